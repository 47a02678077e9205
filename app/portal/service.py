"""Residents' sign-in to the portal: one-time codes by email (``app/web/codes.py``, over the
portal's own ``portal_codes``), sessions, registration. The session cookie is a random token whose
hash is stored, so a copy of the database opens no one's session.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import Conflict, ValidationFailed
from app.core.pagination import PageRequest
from app.db.session import platform_scope
from app.identity.normalise import FieldError
from app.identity.normalise import email as normalise_email
from app.mail import service as mail
from app.organisations import service as organisations_service
from app.people import service as people_service
from app.people.schemas import AttributesIn
from app.portal import repository as repo
from app.rights import service as rights
from app.web.codes import EmailCodes, token_hash

CODES = EmailCodes("portal_codes", "portal-code")


@dataclass(frozen=True)
class PortalSession:
    id: uuid.UUID
    email: str
    person_id: uuid.UUID | None

    @property
    def resident(self) -> Principal:
        assert self.person_id is not None
        return Principal.resident(self.person_id)


@dataclass(frozen=True)
class CodeCheck:
    """What trying a code gave: a session token, or why not (and how many tries are left)."""

    token: str | None = None
    problem: str | None = None
    tries_left: int | None = None


def normalised_email(raw: str) -> str:
    """The address as Kith stores it; 422 naming the field when it is not an email address."""
    try:
        value = normalise_email("email", raw or "")
    except FieldError as exc:
        raise ValidationFailed(
            "Enter your email address, like name@example.com.",
            errors=[{"field": "email", "message": "Enter your email address, like name@example.com"}],
        ) from exc
    return value


async def request_code(session: AsyncSession, raw_email: str) -> uuid.UUID:
    """Send a sign-in code to the address (whether or not anyone is registered with it: a new
    resident registers after proving it). Returns the code's id, which the browser keeps."""
    settings = session.info["settings"]
    email = normalised_email(raw_email)
    code_id, code = await CODES.issue(session, email, settings.portal_codes_per_email)
    await mail.send(
        session,
        settings,
        email,
        f"Your Kith sign-in code: {code}",
        f"Your code to sign in to Kith is {code}.\n\n"
        "It works once, for the next 10 minutes. If you did not ask for it, you can ignore this message: "
        "no one can sign in without the code.\n",
    )
    return code_id


async def verify_code(session: AsyncSession, code_id: uuid.UUID, code: str) -> CodeCheck:
    """Try a code. A wrong try is counted (and committed), so it returns rather than raises."""
    tried = await CODES.check(session, code_id, code)
    if tried.email is None:
        return CodeCheck(problem=tried.problem, tries_left=tried.tries_left)
    people = await repo.people_with_email(session, tried.email)
    person = people[0].canonical_id if len(people) == 1 else None
    token = secrets.token_urlsafe(32)
    settings = session.info["settings"]
    expires = datetime.now(UTC) + timedelta(hours=settings.portal_session_hours)
    await repo.create_session(session, token_hash(token), tried.email, person, expires)
    if person is not None:
        audit.record(session, Principal.resident(person), "portal.signed_in", "person", person)
    return CodeCheck(token=token)


async def current(session: AsyncSession, token: str | None) -> PortalSession | None:
    """The live session a cookie's token opens, if any."""
    if not token:
        return None
    settings = session.info["settings"]
    row = await repo.live_session(session, token_hash(token), settings.portal_idle_minutes)
    return PortalSession(row.id, row.email, row.person_id) if row else None


async def people_to_choose(session: AsyncSession, portal: PortalSession) -> list[dict]:
    """When several people share the proven address (a household's shared inbox), the first names to
    choose between."""
    return [
        {"name": r.name or "(no name given)"} for r in await repo.people_with_email(session, portal.email)
    ]


async def choose(session: AsyncSession, portal: PortalSession, index: int) -> uuid.UUID:
    """Sign in as the ``index``-th person holding the proven address."""
    people = await repo.people_with_email(session, portal.email)
    if not 0 <= index < len(people):
        raise ValidationFailed(
            "Choose who you are.", errors=[{"field": "person", "message": "Choose who you are"}]
        )
    person = people[index].canonical_id
    await repo.set_session_person(session, portal.id, person)
    audit.record(session, Principal.resident(person), "portal.signed_in", "person", person)
    return person


async def register(session: AsyncSession, portal: PortalSession, body: AttributesIn) -> uuid.UUID:
    """A resident with no record registers with the address they proved and their own details."""
    if portal.person_id is not None:
        raise Conflict("You are already registered.")
    missing = [f for f in ("given_name", "family_name") if not getattr(body, f)]
    if missing:
        raise ValidationFailed(
            "Enter your first and last name.",
            errors=[
                {"field": f, "message": "Enter your " + ("first" if f == "given_name" else "last") + " name"}
                for f in missing
            ],
        )
    person = await people_service.register_resident(session, body.model_copy(update={"email": portal.email}))
    await repo.set_session_person(session, portal.id, person)
    return person


async def sign_out(session: AsyncSession, portal: PortalSession) -> None:
    await repo.end_session(session, portal.id)


async def erase(session: AsyncSession, portal: PortalSession) -> dict:
    """Erase the resident and end every session of theirs. Erasure works beyond the resident's own
    rows by nature (it hands their interactions to an erased id, deletes matching's decisions about
    them, tells organisations), so it runs in the platform scope, for the person fixed before it
    widens."""
    canonical = await rights.person_of(session, portal.resident)
    async with platform_scope(session):
        summary = await rights.erase(session, portal.resident)
        await repo.end_sessions_of(session, canonical)
    return summary


async def partnership(session: AsyncSession) -> list[Any]:
    """The organisations of the partnership, for the privacy notice: each a controller of what it
    records (platform scope; their names and sectors are public)."""
    rows, _ = await organisations_service.list_organisations(session, PageRequest(limit=1000, after=None))
    return sorted(rows, key=lambda o: (o.sector, o.name.lower()))
