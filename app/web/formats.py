"""How the pages write a held value for a person to read: an address on one line, a phone number as
people write it (07911 123456; a number from abroad with its country code), not as it is stored
(E.164, +447911123456)."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

ADDRESS_FIELDS = ("line1", "line2", "town", "postcode")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def phone(value: str) -> str:
    """A phone number held in E.164, written for reading (as it came if it cannot be parsed)."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 44
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def display(value: Any) -> str:
    """A held value as a page shows it."""
    if isinstance(value, dict):
        return ", ".join(str(value[k]) for k in ADDRESS_FIELDS if value.get(k))
    if isinstance(value, str) and _E164.fullmatch(value):
        return phone(value)
    return "" if value is None else str(value)
