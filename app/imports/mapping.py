"""Which column of a file holds which of Kith's fields, guessed from the headers or given, and one
row made into the record Kith's batch API takes, its dates read in the file's format."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

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
# Kith's fields for an interaction (a contact the organisation had with a resident), and the
# headers case systems give them. The person is named by the organisation's own reference.
INTERACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "person_ref": (
        "personref",
        "clientref",
        "clientid",
        "caseno",
        "casenumber",
        "caseref",
        "reference",
        "ref",
    ),
    "external_id": ("externalid", "contactid", "activityid", "eventid", "id"),
    "kind": ("kind", "type", "contacttype", "activity", "activitytype"),
    "occurred_at": ("occurredat", "date", "when", "contactdate", "datetime", "time"),
    "duration_minutes": ("durationminutes", "duration", "minutes", "mins"),
    "note": ("note", "notes", "comment", "comments", "description"),
}
FIELDS = {"people": PEOPLE_FIELDS, "interactions": INTERACTION_FIELDS}
# A kind as a case system writes it, in Kith's words.
KIND_WORDS = {
    "visit": "visit", "appointment": "service_contact", "call": "service_contact", "phone": "service_contact",
    "phonecall": "service_contact", "email": "service_contact", "message": "service_contact",
    "servicecontact": "service_contact", "contact": "service_contact", "volunteering": "volunteering",
    "volunteer": "volunteering", "event": "event", "referral": "referral", "purchase": "purchase",
    "sale": "purchase", "other": "other",
}  # fmt: skip
DATE_FORMATS = {"dmy": "31/12/1980", "ymd": "1980-12-31"}
DATE_FIELDS = {"date_of_birth"}
LONDON = ZoneInfo("Europe/London")


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


_DATE_PARTS = re.compile(r"[/.\-]")


def _date(value: str, date_format: str) -> str:
    """A date as the file writes it, in ISO form; as it came if it cannot be read (the record is
    then rejected naming the field)."""
    value = value.strip()
    try:
        if date_format == "dmy":
            day, month, year = _DATE_PARTS.split(value)
        else:
            year, month, day = _DATE_PARTS.split(value)
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return value


def records(
    rows: list[list[str]], headers: list[str], mapping: dict[str, str], date_format: str = "dmy"
) -> list[dict[str, Any]]:
    """The record each row makes: each mapped, non-empty cell under its field (an address's parts
    together), dates read in ``date_format``. The mapping is worked out once for all the rows."""
    position = {h: i for i, h in enumerate(headers)}
    plain = [
        (position[h], f) for f, h in mapping.items() if not f.startswith("address.") and f not in DATE_FIELDS
    ]
    dated = [(position[h], f) for f, h in mapping.items() if f in DATE_FIELDS]
    address = [(position[h], f.split(".", 1)[1]) for f, h in mapping.items() if f.startswith("address.")]
    out = []
    for row in rows:
        made: dict[str, Any] = {}
        for i, field in plain:
            value = row[i].strip()
            if value:
                made[field] = value
        for i, field in dated:
            value = row[i].strip()
            if value:
                made[field] = _date(value, date_format)
        parts = {}
        for i, part in address:
            value = row[i].strip()
            if value:
                parts[part] = value
        if parts:
            made["address"] = parts
        out.append(made)
    return out


def record(
    row: list[str], headers: list[str], mapping: dict[str, str], date_format: str = "dmy"
) -> dict[str, Any]:
    """The record one row makes (:func:`records`)."""
    return records([row], headers, mapping, date_format)[0]


def _moment(value: str, date_format: str) -> str:
    """A date, or a date and a time (HH:MM), as the file writes it: ISO with the UK's zone; as it
    came if it cannot be read (the row is then rejected naming the field)."""
    day, _, clock = value.strip().partition(" ")
    iso = _date(day, date_format)
    try:
        hour, minute = (int(x) for x in (clock or "12:00").split(":")[:2])
        moment = datetime.fromisoformat(iso).replace(hour=hour, minute=minute, tzinfo=LONDON)
    except ValueError:
        return value
    return moment.isoformat()


def interaction(
    row: list[str], headers: list[str], mapping: dict[str, str], date_format: str = "dmy"
) -> dict[str, Any]:
    """The interaction a row makes (its person still named by the organisation's reference, as
    ``person_ref``); its ``external_id``, if the file has none, made from the row itself, so that
    importing the same file again stores nothing twice."""
    position = {h: i for i, h in enumerate(headers)}
    cells = {field: row[position[header]].strip() for field, header in mapping.items()}
    out: dict[str, Any] = {k: v for k, v in cells.items() if v and k in ("person_ref", "external_id")}
    if cells.get("kind"):
        word = _folded(cells["kind"])
        out["kind"] = KIND_WORDS.get(word, cells["kind"])
    if cells.get("occurred_at"):
        out["occurred_at"] = _moment(cells["occurred_at"], date_format)
    if cells.get("duration_minutes"):
        out["duration_minutes"] = cells["duration_minutes"]
    if cells.get("note"):
        out["attributes"] = {"note": cells["note"][:1000]}
    if "external_id" not in out:
        digest = hashlib.sha256("\x1f".join(row).encode()).hexdigest()[:40]
        out["external_id"] = f"import:{digest}"
    return out
