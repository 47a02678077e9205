"""The console's own work: staff sign-in by emailed code or with the organisation's own OpenID
Connect provider, sessions, and turning one search box into a search of the organisation's own
people. Everything a page shows or changes about a resident goes through the domains' services, as
the staff member (``Principal.staff``).

Codes are the portal's mechanism (``app/web/codes.py``) over the console's own ``staff_codes``. A
code is asked for any address and mailed only to an invited one, so the page does not tell who is
staff. The session cookie is a
random token whose hash is stored; a session ends after ``KITH_CONSOLE_IDLE_MINUTES`` unused, at
``KITH_CONSOLE_SESSION_HOURS``, or as soon as the staff member is disabled.

Single sign-on (``app/console/oidc.py`` speaks the protocol) begins from an address: an enabled
staff member's of an organisation with a provider is sent there. The sign-in's ``state`` is kept by
the browser (a cookie) and, hashed, by a row used up by the first callback; its nonce and PKCE
verifier are derived from it. The session opens only for an enabled staff member of that same
organisation whose verified address the provider's checked ID token gives.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import PLATFORM_ROLES, Principal
from app.consent.catalogue import PURPOSES
from app.console import oidc
from app.console import repository as repo
from app.core.errors import NotFound, ValidationFailed
from app.identity.normalise import FieldError
from app.identity.normalise import email as normalise_email
from app.mail import service as mail
from app.organisations import service as organisations
from app.people import service as people_service
from app.people.schemas import SearchIn
from app.web.codes import EmailCodes, token_hash

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from app.organisations.models import StaffUser

CODES = EmailCodes("staff_codes", "console-code")


class MembershipNotFound(NotFound):
    code = "membership_not_found"


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
    signed_in_by: str = "code"  # or "sso": then it never moves to another organisation

    @property
    def principal(self) -> Principal:
        return Principal.staff(self.org_id, self.staff_id, self.role)


@dataclass(frozen=True)
class CodeCheck:
    token: str | None = None
    problem: str | None = None
    tries_left: int | None = None
    several: bool = False  # the address is staff at several organisations: offer the others


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
    code_id, code = await CODES.issue(session, email, CODES_PER_EMAIL)
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
    than raises. The session opens for the address's earliest membership; with several, the
    staff member then chooses among them (:func:`switch`)."""
    tried = await CODES.check(session, code_id, code)
    if tried.email is None:
        return CodeCheck(problem=tried.problem, tries_left=tried.tries_left)
    memberships = await organisations.staff_signing_in(session, tried.email)
    if not memberships:
        return CodeCheck(
            problem="This address has no access to the Kith console. Ask your organisation's admin."
        )
    staff, _ = memberships[0]
    return CodeCheck(token=await _open_session(session, staff, "code"), several=len(memberships) > 1)


async def _open_session(
    session: AsyncSession, staff: StaffUser, method: str, expires_at: datetime | None = None
) -> str:
    """A new console session for the staff member, however they signed in (audited with the
    method: ``code``, ``sso``, or ``switch`` from a code session, which keeps the sign-in's own
    end, ``expires_at``); returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    settings = session.info["settings"]
    await repo.create_session(
        session,
        token_hash(token),
        staff.id,
        expires_at or datetime.now(UTC) + timedelta(hours=settings.console_session_hours),
        "sso" if method == "sso" else "code",
    )
    audit.record(
        session,
        Principal.staff(staff.org_id, staff.id, staff.role),
        "staff.signed_in",
        "staff_user",
        staff.id,
        {"method": method},
    )
    return token


@dataclass(frozen=True)
class SsoStep:
    """Where a single sign-on goes next: to the provider (``location``, with the ``state`` the
    browser keeps), into a session (``token``), or to a page saying what went wrong (``problem``
    with its ``status``)."""

    location: str | None = None
    state: str | None = None
    organisation: str | None = None
    token: str | None = None
    problem: str | None = None
    status: int = 400


SSO_TTL = timedelta(minutes=10)
SSO_CALLBACK = "/console/sso/callback"
START_AGAIN = "Start again from the sign-in page, or sign in with an emailed code."
PROVIDER_DOWN = (
    "Your organisation's sign-in service could not be reached, or did not answer as expected. "
    "Try again in a few minutes, or sign in with an emailed code."
)


def _sso_secrets(session: AsyncSession, state: str) -> tuple[str, str]:
    """A sign-in's nonce and PKCE verifier, derived from its state with a server key: nothing is
    kept of them, and a copy of the database could not make them."""
    key = session.info["signing_key"].derive("console-sso")
    nonce = hmac.new(key, b"nonce:" + state.encode(), hashlib.sha256).hexdigest()
    verifier = hmac.new(key, b"pkce:" + state.encode(), hashlib.sha256).digest()
    return nonce, base64.urlsafe_b64encode(verifier).rstrip(b"=").decode()


def _client(session: AsyncSession, provider: organisations.SsoProvider) -> oidc.Client:
    callback = session.info["settings"].public_url.rstrip("/") + SSO_CALLBACK
    return oidc.Client(provider.issuer, provider.client_id, provider.client_secret, callback)


def _refused(org_id: uuid.UUID | None, reason: str, problem: str, status: int = 400) -> SsoStep:
    log.info("console single sign-on refused", extra={"org_id": str(org_id), "reason": reason})
    return SsoStep(problem=problem, status=status)


async def start_sso(session: AsyncSession, raw_email: str) -> SsoStep | None:
    """Begin signing in with the organisation's own OpenID Connect provider (platform scope): the
    provider's authorization URL, and the state the browser keeps to come back with. None if the
    address is no enabled staff member of an organisation that has a provider."""
    email = normalised_email(raw_email)
    org_id = await organisations.sso_organisation_of(session, email)
    provider = await organisations.sso_provider(session, org_id) if org_id else None
    if provider is None:
        return None
    state = secrets.token_urlsafe(32)
    nonce, verifier = _sso_secrets(session, state)
    try:
        location = await oidc.authorization_url(
            _client(session, provider), state=state, nonce=nonce, verifier=verifier, login_hint=email
        )
    except oidc.ProviderUnavailable as exc:
        return _refused(org_id, f"provider: {exc}", PROVIDER_DOWN, 502)
    await repo.forget_old_sso_requests(session)
    await repo.insert_sso_request(session, token_hash(state), provider.org_id, datetime.now(UTC) + SSO_TTL)
    return SsoStep(location=location, state=state, organisation=provider.org_name)


async def finish_sso(
    session: AsyncSession,
    *,
    state: str,
    browser_state: str | None,
    code: str,
    error: str,
    issuer: str | None,
) -> SsoStep:
    """Finish a single sign-on at the provider's callback (platform scope). The state must be the
    one this browser was given, unused and unexpired (it is used up now, whatever follows); the code
    is exchanged and the ID token checked (``oidc.sign_in``); the provider must say the email
    address is verified, and it must be an enabled staff member's of the organisation the sign-in
    began for. A session's token, or the problem to show: never an exception."""
    ours = bool(state and browser_state and hmac.compare_digest(state, browser_state))
    if error or not code:  # refused or cancelled at the provider (whose answer may lack the state)
        org_id = await repo.use_sso_request(session, token_hash(state)) if ours else None
        return _refused(
            org_id, f"error: {error[:100]}", f"Your organisation's account did not sign you in. {START_AGAIN}"
        )
    if not ours:
        return _refused(None, "state", f"This sign-in did not begin in this browser. {START_AGAIN}")
    org_id = await repo.use_sso_request(session, token_hash(state))
    if org_id is None:
        return _refused(None, "used", f"This sign-in has expired or has already been used. {START_AGAIN}")
    provider = await organisations.sso_provider(session, org_id)
    if provider is None:
        return _refused(
            org_id,
            "removed",
            "Your organisation does not sign in here with its own account now. Sign in with an emailed code.",
        )
    if issuer is not None and issuer != provider.issuer:  # RFC 9207: the answer came from another provider
        return _refused(org_id, "issuer", f"The answer came from another sign-in service. {START_AGAIN}")
    nonce, verifier = _sso_secrets(session, state)
    try:
        claims = await oidc.sign_in(_client(session, provider), code=code, nonce=nonce, verifier=verifier)
    except oidc.ProviderUnavailable as exc:
        return _refused(org_id, f"provider: {exc}", PROVIDER_DOWN, 502)
    except oidc.TokenRefused as exc:
        return _refused(
            org_id,
            exc.reason,
            f"Your organisation's sign-in service answered, but Kith cannot trust the answer: {exc}. "
            f"{START_AGAIN} If this keeps happening, tell your organisation's admin.",
        )
    try:
        if claims.get("email_verified") not in (True, "true"):  # some providers send a string
            raise FieldError("email", "is not verified")
        email = normalise_email("email", str(claims.get("email") or ""))
    except FieldError:
        return _refused(
            org_id,
            "email_unverified",
            "Your organisation's account did not give Kith a verified email address, so Kith cannot "
            "tell whether you were invited. Ask your organisation's admin.",
            403,
        )
    memberships = await organisations.staff_signing_in(session, email)
    staff = next((s for s, _ in memberships if s.org_id == org_id), None)
    if staff is None:
        return _refused(
            org_id,
            "not_invited",
            f"{email} has no access to the Kith console at {provider.org_name}. "
            "Ask your organisation's admin to invite you.",
            403,
        )
    if staff.role in PLATFORM_ROLES:
        # The platform's reviewers read every organisation's records: no one organisation's own
        # provider may vouch for them. They sign in with an emailed code.
        return _refused(org_id, "not_invited", "The platform's reviewers sign in with an emailed code.", 403)
    return SsoStep(token=await _open_session(session, staff, "sso"))


async def current(session: AsyncSession, token: str | None) -> StaffSession | None:
    """The live session a cookie's token opens (platform scope), if any."""
    if not token:
        return None
    row = await repo.live_session(session, token_hash(token), session.info["settings"].console_idle_minutes)
    if row is None:
        return None
    return StaffSession(
        row.id, row.staff_id, row.org_id, row.org_name, row.role, row.email, row.purpose, row.signed_in_by
    )


async def memberships(session: AsyncSession, staff: StaffSession) -> list[tuple[StaffUser, str]]:
    """The organisations the signed-in address may move to from this session (platform scope):
    every enabled membership of the address if it signed in by an emailed code, which proved the
    address; only the current one after single sign-on, whose provider speaks for its own
    organisation alone."""
    if staff.signed_in_by != "code":
        return []
    return await organisations.staff_signing_in(session, staff.email)


async def switch(session: AsyncSession, staff: StaffSession, staff_id: uuid.UUID) -> str:
    """Move the session to another of the address's memberships (platform scope): the current
    session ends and one opens for that membership; returns its cookie's token. Refused (404) for a
    membership that is not the address's, is disabled, or after single sign-on."""
    chosen = next((m for m, _ in await memberships(session, staff) if m.id == staff_id), None)
    if chosen is None:
        raise MembershipNotFound("You have no such organisation to move to.")
    ends = await repo.end_session(session, staff.id)  # moving never makes a sign-in last longer
    if ends is None:  # signed out meanwhile (or disabled): nothing to move
        raise MembershipNotFound("Your session has ended: sign in again.")
    return await _open_session(session, chosen, "switch", ends)


async def end_sessions_of(session: AsyncSession, staff_id: uuid.UUID) -> None:
    """End every session of a staff member (platform scope): disabled, they are signed out now,
    and a later invitation does not bring an old session back."""
    await repo.end_sessions_of(session, staff_id)


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
