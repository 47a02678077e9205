"""Validation and normalisation of the attributes a profile holds.

Values are stored as people typed them, tidied (Unicode NFC, spacing); matching uses a separate
folded form (:func:`name_key`). Every failure names the field, so a 422 can say what is wrong.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

MAX_AGE_YEARS = 120
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_POSTCODE = re.compile(r"^(GIR0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]?[0-9][ABD-HJLNP-UW-Z]{2})$")
_SIMPLE_EMAIL = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")
_UPRN = re.compile(r"^[0-9]{1,12}$")


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Dropped(FieldError):
    """A bad optional value (SPEC: a phone the validator refuses, an implausible date of birth):
    the value is left out, the rest of the record kept, and the answer warns of it."""


def tidy(value: str) -> str:
    """NFC, no control characters, single spaces, trimmed."""
    if value.isascii() and value.isprintable():  # nearly every value: only its spacing to tidy
        return " ".join(value.split())
    return _SPACES.sub(" ", _CONTROL.sub(" ", unicodedata.normalize("NFC", value))).strip()


def name(field: str, value: str, max_length: int = 100) -> str:
    cleaned = tidy(value)
    if not cleaned:
        raise FieldError(field, "must not be empty")
    if len(cleaned) > max_length:
        raise FieldError(field, f"must be at most {max_length} characters")
    if not any(ch.isalpha() for ch in cleaned):
        raise FieldError(field, "must contain letters")
    return cleaned


@lru_cache(maxsize=1 << 17)
def name_key(value: str | None) -> str | None:
    """The folded form names are compared in: no accents, case, spaces or punctuation. (Cached:
    names repeat, and every record of a batch folds two.)"""
    if not value:
        return None
    if value.isascii():  # nothing to decompose, and case folds as it lowers
        return "".join(filter(str.isalpha, value.lower())) or None
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    folded = "".join(ch for ch in decomposed if ch.isalpha() and not unicodedata.combining(ch))
    return folded or None


_STREET_WORDS = {
    "street": "st", "road": "rd", "avenue": "ave", "lane": "ln", "drive": "dr", "close": "cl",
    "crescent": "cres", "place": "pl", "gardens": "gdns", "court": "ct", "terrace": "ter",
    "grove": "gr", "square": "sq", "way": "way", "walk": "wlk", "mews": "mews", "park": "pk",
}  # fmt: skip


_ASCII_NOT_ALNUM = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


@lru_cache(maxsize=1 << 17)
def address_line_key(line1: str | None, line2: str | None = None) -> str | None:
    """The folded house number and street of an address ("Flat 2, 14 Park Road" → "2/14|pk rd"),
    as matching compares them: the numbers before the street (a flat's and its building's), then
    the street with its common words abbreviated. None for a PO box (no home) or no line."""
    text = " ".join(part for part in (line1, line2) if part)
    if not text:
        return None
    folded = name_fold(text)
    if folded.isascii():  # the same as below, at a tenth of the cost
        words = folded.translate(_ASCII_NOT_ALNUM).split()
    else:
        words = "".join(ch if ch.isalnum() else " " for ch in folded).split()
    if not words or (len(words) >= 2 and words[0] in ("po", "p") and "box" in words[:3]):
        return None
    numbers = [i for i, w in enumerate(words) if not w.isalpha() and any(c.isdigit() for c in w)]
    street = [_STREET_WORDS.get(w, w) for w in words[(numbers[-1] if numbers else -1) + 1 :]]
    if not street:
        return None
    return f"{'/'.join(words[i] for i in numbers)}|{' '.join(street)}"


def address_keys(address: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """What matching compares of a normalised address besides its postcode: the house
    (:func:`address_line_key`) and the folded town."""
    if not address:
        return None, None
    town = address.get("town")
    return address_line_key(address.get("line1"), address.get("line2")), name_fold(town) if town else None


def name_fold(value: str) -> str:
    """Lower case without accents (for free text compared loosely: address lines, towns)."""
    if value.isascii():
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def email(field: str, value: str) -> str:
    cleaned = tidy(value).lower()
    if len(cleaned) > 254:
        raise FieldError(field, "is too long to be an email address")
    if _SIMPLE_EMAIL.match(cleaned):  # the common case, without the full parser's cost
        return cleaned
    try:
        return validate_email(cleaned, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise FieldError(field, f"is not a valid email address ({exc})") from exc


def _gb_number_types() -> list[tuple[re.Pattern, frozenset[int]]]:
    """libphonenumber's own GB metadata: each number type's pattern and possible lengths."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("GB")
    general = frozenset(metadata.general_desc.possible_length or ())
    types = []
    # Any type will do, so the order only decides how soon the commonest numbers are settled.
    for desc in (
        metadata.mobile,
        metadata.fixed_line,
        metadata.premium_rate,
        metadata.toll_free,
        metadata.shared_cost,
        metadata.voip,
        metadata.personal_number,
        metadata.pager,
        metadata.uan,
        metadata.voicemail,
    ):
        if desc is not None and desc.national_number_pattern:
            lengths = frozenset(desc.possible_length or ()) or general
            types.append((re.compile(desc.national_number_pattern), lengths))
    return types


_GB_GENERAL = re.compile(
    phonenumbers.PhoneMetadata.metadata_for_region("GB").general_desc.national_number_pattern
)
_GB_TYPES = _gb_number_types()
_GB_WRITTEN = re.compile(r"^(?:\+44|0044|0(?!180020))([1-9][0-9]{6,9})$")
_PHONE_PUNCTUATION = str.maketrans("", "", " -.()\u00a0")
_GB_TRUNK_IN_BRACKETS = re.compile(r"\s*(\+44|0044)\s*\(0\)")


def _gb_e164(value: str) -> str | None:
    """E.164 for the common case — a GB number written nationally or with +44 — decided by the same
    patterns libphonenumber's is_valid_number applies for GB, without its general parser (a sixth
    of a batch's time). None where this shortcut does not apply: the full parser decides."""
    if trunk := _GB_TRUNK_IN_BRACKETS.match(value):  # "+44 (0)20 …": the (0) is dialled only at home
        value = trunk.group(1) + value[trunk.end() :]
    written = _GB_WRITTEN.match(value.translate(_PHONE_PUNCTUATION))
    if written is None or "(0)" in value:
        return None
    national = written.group(1)
    if not _GB_GENERAL.fullmatch(national):
        return None
    if any(len(national) in lengths and pattern.fullmatch(national) for pattern, lengths in _GB_TYPES):
        return "+44" + national
    return None


@lru_cache(maxsize=65536)
def _e164(value: str) -> str | None:
    fast = _gb_e164(value)
    if fast is not None:
        return fast
    try:
        parsed = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone(field: str, value: str) -> str:
    normalised = _e164(tidy(value))
    if normalised is None:
        raise Dropped(field, "is not a valid phone number (UK numbers may omit +44)")
    return normalised


def postcode(field: str, value: str) -> str:
    compact = "".join(value.split()).upper()
    if not _POSTCODE.match(compact):
        raise FieldError(field, "is not a valid UK postcode")
    return f"{compact[:-3]} {compact[-3:]}"


@lru_cache(maxsize=4)
def _earliest_birth(today: date) -> date:
    try:
        return today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - MAX_AGE_YEARS, day=28)


_TODAY: list[Any] = [0.0, None]  # (until when, on the monotonic clock; the date)


def _today() -> date:
    """Today's date, looked up at most once a second (date.today() reads the clock and the time
    zone: a batch's every record asked it)."""
    now = time.monotonic()
    if now >= _TODAY[0]:
        _TODAY[:] = [now + 1.0, date.today()]
    return _TODAY[1]


def date_of_birth(field: str, value: date, today: date | None = None) -> date:
    today = today or _today()
    if value > today:
        raise Dropped(field, "must not be in the future")
    if value < _earliest_birth(today):
        raise Dropped(field, f"must not be more than {MAX_AGE_YEARS} years ago")
    return value


def uprn(field: str, value: str) -> str:
    cleaned = tidy(str(value))
    if not _UPRN.match(cleaned):
        raise FieldError(field, "must be a UPRN of 1 to 12 digits")
    return cleaned


def address(field: str, value: dict[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for part in ("line1", "line2", "town"):
        raw = value.get(part)
        if raw is None:
            out[part] = None
            continue
        cleaned = tidy(raw)
        if len(cleaned) > 200:
            raise FieldError(f"{field}.{part}", "must be at most 200 characters")
        out[part] = cleaned or None
    raw_postcode = value.get("postcode")
    out["postcode"] = postcode(f"{field}.postcode", raw_postcode) if raw_postcode else None
    if not any(out.values()):
        raise FieldError(field, "must have at least one of line1, line2, town, postcode")
    return out


# Each attribute's check, in the order attributes are checked (and their errors reported).
_CHECKS = {
    "given_name": name,
    "family_name": name,
    "preferred_name": name,
    "date_of_birth": date_of_birth,
    "email": email,
    "phone": phone,
    "address": address,
    "uprn": uprn,
}
ATTRIBUTES = tuple(_CHECKS)


@dataclass(frozen=True)
class Attributes:
    """A validated set of attribute values (None = not asserted)."""

    values: dict[str, Any]

    def get(self, attribute: str) -> Any:
        return self.values.get(attribute)


def normalise(raw: dict[str, Any], prefix: str = "") -> tuple[Attributes, list[FieldError], list[FieldError]]:
    """Validate and normalise every attribute present in ``raw``: the values, the errors (all of
    them, not just the first) and the warnings (values dropped: :class:`Dropped`)."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    dropped: list[FieldError] = []
    for attribute, check in _CHECKS.items():
        value = raw.get(attribute)
        if value is None:
            continue
        try:
            values[attribute] = check(prefix + attribute, value)
        except Dropped as exc:
            dropped.append(exc)
        except FieldError as exc:
            errors.append(exc)
    return Attributes(values), errors, dropped
