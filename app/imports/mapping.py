"""Which column of a file holds which of Kith's fields, guessed from the headers or given, and one
row made into the record Kith's batch API takes, its dates read in the file's format."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from app.core.errors import ValidationFailed

# Kith's fields for a person, and the headers case systems give them (compared lower-cased, with
# spaces, dots, hyphens and underscores dropped).
PEOPLE_FIELDS: dict[str, tuple[str, ...]] = {
    "external_ref": (
        "externalref",
        "reference",
        "ref",
        "id",
        "clientid",
        "caseid",
        "caseno",
        "casenumber",
        "clientno",
        "refno",
        "caseref",
        "recordid",
    ),
    "given_name": ("givenname", "firstname", "forename", "forenames", "first"),
    "family_name": ("familyname", "lastname", "surname", "last"),
    "preferred_name": ("preferredname", "knownas", "nickname"),
    "date_of_birth": ("dateofbirth", "dob", "birthdate", "born"),
    "email": ("email", "emailaddress", "mail"),
    "phone": ("phone", "telephone", "tel", "mobile", "phonenumber", "mobilenumber"),
    "address.line1": ("addressline1", "address1", "address", "street", "line1"),
    "address.line2": ("addressline2", "address2", "line2"),
    "address.town": ("town", "city", "towncity"),
    "address.postcode": ("postcode", "postalcode", "zip", "zipcode"),
    "uprn": ("uprn",),
}
DATE_FORMATS = {"dmy": "31/12/1980", "ymd": "1980-12-31"}
DATE_FIELDS = {"date_of_birth"}


def _folded(header: str) -> str:
    return re.sub(r"[\s._\-/]", "", header.lower())


def guess(headers: list[str], fields: dict[str, tuple[str, ...]] = PEOPLE_FIELDS) -> dict[str, str]:
    """Kith field → the header that seems to hold it (each header used once, first field first)."""
    folded = {_folded(h): h for h in headers if h}
    out: dict[str, str] = {}
    for field, names in fields.items():
        for name in (_folded(field), *names):
            header = folded.get(name)
            if header is not None and header not in out.values():
                out[field] = header
                break
    return out


def parse_map(
    raw: str, headers: list[str], fields: dict[str, tuple[str, ...]] = PEOPLE_FIELDS
) -> dict[str, str]:
    """``given_name=Forename,family_name=Surname``: 422 naming a field Kith does not have or a
    column the file does not."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        field, _, header = part.partition("=")
        field, header = field.strip(), header.strip()
        if field not in fields:
            raise ValidationFailed(
                f"{field!r} is not one of Kith's fields: {', '.join(fields)}.",
                errors=[{"field": "map", "message": f"unknown field {field}"}],
            )
        if header not in headers:
            raise ValidationFailed(
                f"The file has no column {header!r}; its columns are: {', '.join(headers)}.",
                errors=[{"field": "map", "message": f"no column {header}"}],
            )
        mapping[field] = header
    return mapping


def _date(value: str, date_format: str) -> str:
    """A date as the file writes it, in ISO form; as it came if it cannot be read (the record is
    then rejected naming the field)."""
    value = value.strip()
    try:
        if date_format == "dmy":
            day, month, year = re.split(r"[/.\-]", value)
        else:
            year, month, day = re.split(r"[/.\-]", value)
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return value


def record(
    row: list[str], headers: list[str], mapping: dict[str, str], date_format: str = "dmy"
) -> dict[str, Any]:
    """The record a row makes: each mapped, non-empty cell under its field (an address's parts
    together), dates read in ``date_format``."""
    position = {h: i for i, h in enumerate(headers)}
    out: dict[str, Any] = {}
    for field, header in mapping.items():
        value = row[position[header]].strip()
        if not value:
            continue
        if field in DATE_FIELDS:
            value = _date(value, date_format)
        if field.startswith("address."):
            out.setdefault("address", {})[field.split(".", 1)[1]] = value
        else:
            out[field] = value
    return out
