"""Residents' sign-in to the portal: one-time codes by email, sessions, registration.

A code is six digits, kept only as a keyed hash, valid for ten minutes, used once, and dead after
five wrong tries; an email address may ask for a few codes per quarter hour. The session cookie is
a random token whose hash is stored, so a copy of the database opens no one's session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import Conflict, RateLimited, ValidationFailed
from app.db.session import platform_scope
from app.identity.normalise import FieldError
from app.identity.normalise import email as normalise_email
from app.mail import service as mail
from app.people import service as people_service
from app.people.schemas import AttributesIn
from app.portal import repository as repo
from app.rights import service as rights

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5


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


def _keyed_hash(session: AsyncSession, purpose: str, value: str) -> str:
    secret = session.info["signing_key"].derive(purpose)
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    if await repo.codes_asked_for(session, email, minutes=15) >= settings.portal_codes_per_email:
        raise RateLimited(
            "Too many codes have been asked for this address. Wait 15 minutes, then try again.",
            headers={"Retry-After": "900"},
        )
    await repo.forget_old_codes(session)
    code_id = uuid.uuid4()
    code = f"{secrets.randbelow(10**6):06d}"
    await repo.insert_code(
        session,
        code_id,
        email,
        _keyed_hash(session, "portal-code", f"{code_id}:{code}"),
        datetime.now(UTC) + CODE_TTL,
    )
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
    row = await repo.code_for_update(session, code_id)
    if row is None or row.used_at is not None or row.expired:
        return CodeCheck(problem="This code has expired or has already been used. Ask for a new code.")
    if row.attempts >= MAX_ATTEMPTS:
        return CodeCheck(problem="This code has been tried too many times. Ask for a new code.")
    expected = _keyed_hash(session, "portal-code", f"{code_id}:{(code or '').strip()}")
    if not hmac.compare_digest(expected, row.code_hash):
        tries = await repo.count_attempt(session, code_id)
        left = MAX_ATTEMPTS - tries
        if left <= 0:
            return CodeCheck(
                problem="That code is not right, and it has now been tried too many times. Ask for a new code."
            )
        return CodeCheck(problem="That code is not right. Check the message and try again.", tries_left=left)
    await repo.use_code(session, code_id)
    people = await repo.people_with_email(session, row.email)
    person = people[0].canonical_id if len(people) == 1 else None
    token = secrets.token_urlsafe(32)
    settings = session.info["settings"]
    expires = datetime.now(UTC) + timedelta(hours=settings.portal_session_hours)
    await repo.create_session(session, token_hash(token), row.email, person, expires)
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
