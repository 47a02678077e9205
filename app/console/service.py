"""The console's own work: staff sign-in by emailed code, sessions, and turning one search box into
a search of the organisation's own people. Everything a page shows or changes about a resident
goes through the domains' services, as the staff member (``Principal.staff``).

A code is six digits, kept only as a keyed hash, valid for ten minutes, used once, dead after five
wrong tries; an address may ask for a few codes per quarter hour. A code is asked for any address
and mailed only to an invited one, so the page does not tell who is staff. The session cookie is a
random token whose hash is stored; a session ends after ``KITH_CONSOLE_IDLE_MINUTES`` unused, at
``KITH_CONSOLE_SESSION_HOURS``, or as soon as the staff member is disabled.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.consent.catalogue import PURPOSES
from app.console import repository as repo
from app.core.errors import RateLimited, ValidationFailed
from app.identity.normalise import FieldError
from app.identity.normalise import email as normalise_email
from app.mail import service as mail
from app.organisations import service as organisations
from app.people import service as people_service
from app.people.schemas import SearchIn

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
CODES_PER_EMAIL = 5


@dataclass(frozen=True)
class StaffSession:
    """A live console session: who, for which organisation, in which role, reading for which purpose."""

    id: uuid.UUID
    staff_id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    role: str
    email: str
    purpose: str | None

    @property
    def principal(self) -> Principal:
        return Principal.staff(self.org_id, self.staff_id, self.role)


@dataclass(frozen=True)
class CodeCheck:
    token: str | None = None
    problem: str | None = None
    tries_left: int | None = None


def _keyed_hash(session: AsyncSession, value: str) -> str:
    secret = session.info["signing_key"].derive("console-code")
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalised_email(raw: str) -> str:
    try:
        return normalise_email("email", raw or "")
    except FieldError as exc:
        raise ValidationFailed(
            "Enter your work email address, like name@example.org.",
            errors=[{"field": "email", "message": "Enter your work email address, like name@example.org"}],
        ) from exc


async def request_code(session: AsyncSession, raw_email: str) -> uuid.UUID:
    """Ask for a sign-in code (platform scope). Mailed only if the address is an enabled staff
    member's; the answer is the same either way. Returns the code's id, which the browser keeps."""
    settings = session.info["settings"]
    email = normalised_email(raw_email)
    if await repo.codes_asked_for(session, email, minutes=15) >= CODES_PER_EMAIL:
        raise RateLimited(
            "Too many codes have been asked for this address. Wait 15 minutes, then try again.",
            headers={"Retry-After": "900"},
        )
    await repo.forget_old_codes(session)
    code_id = uuid.uuid4()
    code = f"{secrets.randbelow(10**6):06d}"
    await repo.insert_code(
        session, code_id, email, _keyed_hash(session, f"{code_id}:{code}"), datetime.now(UTC) + CODE_TTL
    )
    if await organisations.staff_signing_in(session, email):
        await mail.send(
            session,
            settings,
            email,
            f"Your Kith console sign-in code: {code}",
            f"Your code to sign in to the Kith staff console is {code}.\n\n"
            "It works once, for the next 10 minutes. If you did not ask for it, you can ignore this message.\n",
        )
    return code_id


async def verify_code(session: AsyncSession, code_id: uuid.UUID, code: str) -> CodeCheck:
    """Try a code (platform scope). A wrong try is counted (and committed), so it returns rather
    than raises. The session opens for the address's staff membership (the first organisation's by
    name, if it has several)."""
    row = await repo.code_for_update(session, code_id)
    if row is None or row.used_at is not None or row.expired:
        return CodeCheck(problem="This code has expired or has already been used. Ask for a new code.")
    if row.attempts >= MAX_ATTEMPTS:
        return CodeCheck(problem="This code has been tried too many times. Ask for a new code.")
    if not hmac.compare_digest(_keyed_hash(session, f"{code_id}:{(code or '').strip()}"), row.code_hash):
        left = MAX_ATTEMPTS - await repo.count_attempt(session, code_id)
        if left <= 0:
            return CodeCheck(problem="That code is not right, and it has now been tried too many times.")
        return CodeCheck(problem="That code is not right. Check the message and try again.", tries_left=left)
    await repo.use_code(session, code_id)
    memberships = await organisations.staff_signing_in(session, row.email)
    if not memberships:
        return CodeCheck(
            problem="This address has no access to the Kith console. Ask your organisation's admin."
        )
    staff, _ = memberships[0]
    token = secrets.token_urlsafe(32)
    settings = session.info["settings"]
    await repo.create_session(
        session,
        token_hash(token),
        staff.id,
        datetime.now(UTC) + timedelta(hours=settings.console_session_hours),
    )
    audit.record(
        session,
        Principal.staff(staff.org_id, staff.id, staff.role),
        "staff.signed_in",
        "staff_user",
        staff.id,
    )
    return CodeCheck(token=token)


async def current(session: AsyncSession, token: str | None) -> StaffSession | None:
    """The live session a cookie's token opens (platform scope), if any."""
    if not token:
        return None
    row = await repo.live_session(session, token_hash(token), session.info["settings"].console_idle_minutes)
    if row is None:
        return None
    return StaffSession(row.id, row.staff_id, row.org_id, row.org_name, row.role, row.email, row.purpose)


async def sign_out(session: AsyncSession, staff: StaffSession) -> None:
    await repo.end_session(session, staff.id)


async def choose_purpose(session: AsyncSession, staff: StaffSession, purpose: str) -> None:
    """Remember the purpose the staff member reads for, for the rest of their session."""
    if purpose not in PURPOSES:
        raise ValidationFailed(
            "Choose why you are reading.",
            errors=[{"field": "purpose", "message": "Choose why you are reading"}],
        )
    await repo.set_purpose(session, staff.id, purpose)


# What one search box may hold besides names.
_EMAIL = re.compile(r"\S+@\S+")
_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
_DATE = re.compile(r"\b(?:(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(\d{4})-(\d{2})-(\d{2}))\b")
_PHONE = re.compile(r"(?<![\w/])(\+?\d[\d ]{8,}\d)(?![\w/])")


def parse_search(text: str) -> dict[str, Any]:
    """Read one search box as the API's search fields: an email address, a postcode, a date of
    birth (31/12/1980 or 1980-12-31), a phone number, and names (the first word a given name, the
    last a family name; one word alone, a family name)."""
    rest = text.strip()
    fields: dict[str, Any] = {}
    if found := _EMAIL.search(rest):
        fields["email"] = found.group(0)
        rest = rest.replace(found.group(0), " ")
    if found := _DATE.search(rest):
        d, m, y, iy, im, iday = found.groups()
        try:
            fields["date_of_birth"] = date(int(y), int(m), int(d)) if y else date(int(iy), int(im), int(iday))
        except ValueError:
            pass
        rest = rest.replace(found.group(0), " ")
    if found := _POSTCODE.search(rest):
        fields["postcode"] = f"{found.group(1)} {found.group(2)}".upper()
        rest = rest.replace(found.group(0), " ")
    if found := _PHONE.search(rest):
        fields["phone"] = found.group(1)
        rest = rest.replace(found.group(0), " ")
    words = [w for w in re.split(r"[\s,]+", rest) if w]
    if len(words) == 1:
        fields["family_name"] = words[0]
    elif words:
        fields["given_name"], fields["family_name"] = words[0], " ".join(words[1:])
    return fields


async def find(session: AsyncSession, staff: StaffSession, text: str) -> list[dict[str, Any]]:
    """The organisation's own people most like the search box's text, best first, each with what
    tells two of them apart (name, year of birth, postcode district, own reference). The text is
    also tried as the organisation's own reference."""
    principal = staff.principal
    found: dict[uuid.UUID, float] = {}
    for hit in await people_service.find_by_external_ref(session, principal, text.strip()):
        found[hit["person_id"]] = 1.0
    fields = parse_search(text)
    if fields:
        try:
            body = SearchIn.model_validate({**fields, "limit": 20})
        except ValidationError as exc:
            raise ValidationFailed(
                "Search for a name, a date of birth, a postcode, a phone number, an email address or your reference.",
                errors=[{"field": "q", "message": e["msg"]} for e in exc.errors()],
            ) from exc
        for hit in await people_service.search(session, principal, body):
            found.setdefault(hit["person_id"], hit["score"])
    if not found and not fields:
        raise ValidationFailed(
            "Type a name, a date of birth, a postcode, a phone number, an email address or your reference.",
            errors=[{"field": "q", "message": "Type something to search for"}],
        )
    summaries = await people_service.summaries(session, principal, list(found))
    return sorted(
        ({**summaries.get(pid, {}), "person_id": pid, "score": score} for pid, score in found.items()),
        key=lambda r: -r["score"],
    )
