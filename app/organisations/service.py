"""Organisations, their API clients, staff and single sign-on providers: the platform operator's
administration."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import PLATFORM_ROLES, ROLES, SCOPES, Principal
from app.auth.tokens import ClientRecord
from app.core.errors import Forbidden, NotFound, ValidationFailed
from app.core.ids import hash_secret, new_token, new_uuid
from app.core.pagination import PageRequest, make_page
from app.organisations import repository
from app.organisations.models import ApiClient, Organisation, StaffUser

log = logging.getLogger(__name__)


class OrganisationNotFound(NotFound):
    code = "organisation_not_found"


class ClientNotFound(NotFound):
    code = "client_not_found"


async def create_organisation(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    sector: str,
    kind: str,
    area_code: str | None = None,
) -> Organisation:
    """Register an organisation (platform operator only)."""
    org = await repository.insert_organisation(
        session, id=new_uuid(), name=name, sector=sector, kind=kind, area_code=area_code
    )
    audit.record(
        session, principal, "organisation.created", "organisation", org.id, {"sector": sector, "kind": kind}
    )
    return org


async def get_organisation(session: AsyncSession, org_id: uuid.UUID) -> Organisation:
    """One organisation visible to the caller, or 404."""
    org = await repository.get_organisation(session, org_id)
    if org is None:
        raise OrganisationNotFound(f"No organisation {org_id}.")
    return org


async def list_organisations(
    session: AsyncSession, page: PageRequest
) -> tuple[list[Organisation], str | None]:
    """Organisations in order of registration, a page at a time."""
    after = page.position(datetime.fromisoformat, uuid.UUID)
    rows = await repository.list_organisations(session, page.limit, after)
    return make_page(rows, page.limit, lambda o: (o.created_at.isoformat(), str(o.id)))


async def create_client(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    *,
    name: str,
    scopes: list[str],
    admin: bool = False,
) -> tuple[ApiClient, str]:
    """Make an API client for an organisation; returns it with its secret, which is never stored."""
    await get_organisation(session, org_id)
    wanted = sorted(set(scopes) | ({"admin"} if admin else set()))
    if "admin" in wanted and not principal.platform:
        raise Forbidden("Only the platform makes platform-admin clients.")
    if beyond := await _beyond(session, principal, wanted):
        raise Forbidden(
            f"Your organisation's admin may not give a client {' '.join(beyond)}: ask the platform."
        )
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise ValidationFailed(
            f"Unknown scope: {' '.join(unknown)}", errors=[{"field": "scopes", "message": "unknown scope"}]
        )
    secret = new_token("ks", 32)
    client = await repository.insert_client(
        session,
        client_id=new_token("kc", 12),
        org_id=org_id,
        name=name,
        secret_hash=hash_secret(secret),
        scopes=wanted,
    )
    audit.record(
        session,
        principal,
        "client.created",
        "api_client",
        client.client_id,
        {"org_id": str(org_id), "scopes": wanted},
    )
    return client, secret


async def list_clients(session: AsyncSession, org_id: uuid.UUID) -> list[ApiClient]:
    """An organisation's API clients (never their secrets)."""
    await get_organisation(session, org_id)
    return await repository.list_clients(session, org_id)


async def client_scopes_allowed(session: AsyncSession, principal: Principal) -> frozenset[str]:
    """The scopes an organisation's own admin may give its API clients, and so manage clients
    holding: what the platform set for the organisation (``kith orgs scopes``), or else what the
    admin's own role may do; never ``admin``. The platform may give any."""
    if principal.platform:
        return frozenset(SCOPES)
    org = await repository.get_organisation(session, principal.org_id)  # type: ignore[arg-type]
    allowed = principal.scopes if org is None or org.client_scopes is None else org.client_scopes
    return frozenset(allowed) - {"admin"}


async def _beyond(
    session: AsyncSession, principal: Principal, scopes: list[str] | tuple[str, ...]
) -> list[str]:
    """The scopes an organisation's own admin may not give or take over (a platform-admin client
    above all)."""
    return sorted(set(scopes) - await client_scopes_allowed(session, principal))


async def set_client_scopes(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, scopes: list[str] | None
) -> Organisation:
    """The platform sets what the organisation's own admin may give its API clients (None: what
    the admin's role may do); audited. Clients made before keep their scopes."""
    if scopes is not None:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or "admin" in scopes:
            raise ValidationFailed(
                f"Not a scope an organisation's admin may give: {' '.join(unknown or ['admin'])}",
                errors=[{"field": "scopes", "message": "unknown scope, or admin"}],
            )
        scopes = sorted(set(scopes))
    org = await get_organisation(session, org_id)
    before = org.client_scopes
    org.client_scopes = scopes
    await session.flush()
    audit.record(
        session,
        principal,
        "organisation.client_scopes",
        "organisation",
        org.id,
        {"before": before, "after": scopes},
    )
    return org


async def _manageable(
    session: AsyncSession, principal: Principal, client_id: str, stopping: bool = False
) -> None:
    """The caller may manage the client: the platform any, an organisation's admin its own that may
    do no more than the admin may give; ``stopping`` one (disabling it only takes power away) any of
    its own but a platform-admin client, so that a compromised one can always be stopped."""
    client = await repository.get_client(session, client_id)
    if client is None or (not principal.platform and client.org_id != principal.org_id):
        raise ClientNotFound(f"No API client {client_id}.")
    if stopping and not principal.platform and "admin" in client.scopes:
        raise Forbidden("This is a platform-admin client: only the platform manages it.")
    if not stopping and (beyond := await _beyond(session, principal, client.scopes)):
        raise Forbidden(
            f"This client may do more than you may ({' '.join(beyond)}): only the platform manages it."
        )


async def disable_client(session: AsyncSession, principal: Principal, client_id: str) -> ApiClient:
    """Disable a client: its tokens stop working on their next request. An organisation's admin
    disables any of its own clients but a platform-admin one."""
    await _manageable(session, principal, client_id, stopping=True)
    client = await repository.disable_client(session, client_id)
    if client is None:
        raise ClientNotFound(f"No API client {client_id}.")
    audit.record(session, principal, "client.disabled", "api_client", client_id)
    return client


async def client_for_token(session: AsyncSession, client_id: str) -> ClientRecord | None:
    """The enabled client a token request names, for the authorization server."""
    client = await repository.get_client(session, client_id)
    if client is None or client.disabled_at is not None:
        return None
    return ClientRecord(client.client_id, client.org_id, client.secret_hash, tuple(client.scopes))


@dataclass(frozen=True)
class Trust:
    """What the platform trusts an organisation to do on residents' behalf (neither, by default)."""

    records_consent: bool = False
    verifies_identity: bool = False


async def trust(session: AsyncSession, org_id: uuid.UUID | None) -> Trust:
    """The trust the platform gives ``org_id`` (none for no organisation)."""
    if org_id is None:
        return Trust()
    row = await repository.get_organisation(session, org_id)  # its own row, or any for the platform
    return Trust(row.records_consent, row.verifies_identity) if row is not None else Trust()


async def set_trust(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    *,
    records_consent: bool | None = None,
    verifies_identity: bool | None = None,
) -> Organisation:
    """The platform trusts (or stops trusting) an organisation to record consent or to verify
    identity; audited. Unchanged where None."""
    org = await get_organisation(session, org_id)
    before = {"records_consent": org.records_consent, "verifies_identity": org.verifies_identity}
    if records_consent is not None:
        org.records_consent = records_consent
    if verifies_identity is not None:
        org.verifies_identity = verifies_identity
    await session.flush()
    after = {"records_consent": org.records_consent, "verifies_identity": org.verifies_identity}
    audit.record(
        session, principal, "organisation.trust", "organisation", org.id, {"before": before, "after": after}
    )
    return org


class StaffNotFound(NotFound):
    code = "staff_not_found"


async def invite_staff(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, *, email: str, role: str
) -> StaffUser:
    """Invite a person (by their normalised email address) to the organisation's console with a
    role; inviting an existing member again sets their role and enables them. Audited. The
    platform's roles (``PLATFORM_ROLES``) only the platform gives."""
    allowed = ROLES + PLATFORM_ROLES if principal.platform else ROLES
    if role not in allowed:
        raise ValidationFailed(
            f"Unknown role {role!r}: one of {', '.join(allowed)}.",
            errors=[{"field": "role", "message": f"must be one of {', '.join(allowed)}"}],
        )
    await get_organisation(session, org_id)
    staff = await repository.staff_of_org(session, org_id, email)
    if staff is not None and staff.role in PLATFORM_ROLES and not principal.platform:
        raise Forbidden("This is one of the platform's reviewers: only the platform changes them.")
    if staff is None:
        staff = await repository.insert_staff(
            session, id=new_uuid(), org_id=org_id, email=email, role=role, invited_by=principal.actor
        )
    else:
        staff.role, staff.disabled_at = role, None
        await session.flush()
    audit.record(
        session, principal, "staff.invited", "staff_user", staff.id, {"org_id": str(org_id), "role": role}
    )
    return staff


async def staff_signing_in(session: AsyncSession, email: str) -> list[tuple[StaffUser, str]]:
    """The enabled staff memberships of an address, with each organisation's name, the earliest
    first (platform scope: sign-in comes before any organisation's context). Sign-in opens the
    earliest: an organisation that invites another's staff member later cannot take their
    sign-in over."""
    return await repository.enabled_staff_by_email(session, email)


async def enabled_staff(session: AsyncSession, staff_id: uuid.UUID) -> StaffUser | None:
    """The staff user, if still enabled."""
    staff = await repository.get_staff(session, staff_id)
    return staff if staff is not None and staff.disabled_at is None else None


async def rotate_client_secret(session: AsyncSession, principal: Principal, client_id: str) -> str:
    """A new secret for an enabled client of the caller's (row-level security keeps it to its
    own); the old one stops working at once. Returns the new secret, which is never stored."""
    await _manageable(session, principal, client_id)
    secret = new_token("ks", 32)
    client = await repository.set_client_secret(session, client_id, hash_secret(secret))
    if client is None or (principal.org_id is not None and client.org_id != principal.org_id):
        raise ClientNotFound(f"No enabled API client {client_id}.")
    audit.record(session, principal, "client.secret_rotated", "api_client", client_id)
    return secret


async def list_staff(session: AsyncSession, org_id: uuid.UUID) -> list[StaffUser]:
    """The organisation's staff, enabled or not, by email address."""
    return await repository.list_staff(session, org_id)


async def set_staff_role(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, staff_id: uuid.UUID, role: str
) -> StaffUser:
    """Change a staff member's role (their sessions carry the new role from their next request)."""
    if role not in ROLES:
        raise ValidationFailed(
            f"Unknown role {role!r}.",
            errors=[{"field": "role", "message": f"must be one of {', '.join(ROLES)}"}],
        )
    staff = await repository.staff_by_id(session, org_id, staff_id)
    if staff is None:
        raise StaffNotFound(f"No staff member {staff_id}.")
    if staff.role in PLATFORM_ROLES and not principal.platform:
        raise Forbidden("This is one of the platform's reviewers: only the platform changes them.")
    before, staff.role = staff.role, role
    await session.flush()
    audit.record(
        session, principal, "staff.role_changed", "staff_user", staff.id, {"before": before, "after": role}
    )
    return staff


async def disable_staff(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, staff_id: uuid.UUID
) -> StaffUser:
    """Disable a staff member: their sessions end at their next request. The platform's reviewers
    only the platform disables."""
    staff = await repository.staff_by_id(session, org_id, staff_id)
    if staff is None:
        raise StaffNotFound(f"No staff member {staff_id}.")
    if staff.role in PLATFORM_ROLES and not principal.platform:
        raise Forbidden("This is one of the platform's reviewers: only the platform changes them.")
    if staff.disabled_at is None:
        staff.disabled_at = datetime.now(UTC)
        await session.flush()
        audit.record(session, principal, "staff.disabled", "staff_user", staff.id)
    return staff


async def staff_emails(session: AsyncSession, org_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Staff id → email address, for the organisation's own reports."""
    return await repository.staff_emails(session, org_id)


# Single sign-on: the OpenID Connect provider an organisation's staff sign in to the console with.
SSO_SEAL = "organisation-sso-client-secret"
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class SsoNotConfigured(NotFound):
    code = "sso_not_configured"


@dataclass(frozen=True)
class SsoProvider:
    """An organisation's provider as the console signs in with it (the secret unsealed)."""

    org_id: uuid.UUID
    org_name: str
    issuer: str
    client_id: str
    client_secret: str


def provider_url_acceptable(url: str) -> bool:
    """A provider's URL Kith will call: https, or http on a loopback address (development and
    tests), with no query or fragment."""
    parts = urlsplit(url)
    if not parts.hostname or parts.query or parts.fragment:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)


async def set_sso(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
) -> None:
    """Let the organisation's staff sign in with its OpenID Connect provider (platform operator;
    audited). The secret is kept sealed with a key derived from the server's signing key, so a copy
    of the database alone does not reveal it; it is never shown back."""
    errors = []
    if not provider_url_acceptable(issuer):
        errors.append({"field": "issuer", "message": "must be an https URL (http only on localhost)"})
    if not client_id.strip() or len(client_id) > 255:
        errors.append({"field": "client_id", "message": "must be given, at most 255 characters"})
    if not client_secret:
        errors.append({"field": "client_secret", "message": "must be given"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']} {e['message']}" for e in errors), errors=errors)
    await get_organisation(session, org_id)
    sealed = session.info["signing_key"].seal(SSO_SEAL, client_secret, str(org_id))
    await repository.upsert_sso(
        session,
        org_id=org_id,
        issuer=issuer,
        client_id=client_id.strip(),
        client_secret_sealed=sealed,
        configured_by=principal.actor,
    )
    audit.record(
        session,
        principal,
        "organisation.sso_set",
        "organisation",
        org_id,
        {"issuer": issuer, "client_id": client_id},
    )


async def remove_sso(session: AsyncSession, principal: Principal, org_id: uuid.UUID) -> None:
    """Stop single sign-on for the organisation (its staff sign in by emailed code); audited."""
    if not await repository.delete_sso(session, org_id):
        raise SsoNotConfigured(f"Organisation {org_id} has no single sign-on to remove.")
    audit.record(session, principal, "organisation.sso_removed", "organisation", org_id)


async def sso_organisation_of(session: AsyncSession, email: str) -> uuid.UUID | None:
    """The organisation with a provider of which this (normalised) address is an enabled staff
    member — the first by name, if several (platform scope)."""
    found = await repository.sso_organisations_of(session, email)
    return found[0][0] if found else None


async def sso_provider(session: AsyncSession, org_id: uuid.UUID) -> SsoProvider | None:
    """The organisation's provider with its secret unsealed; None if it has none, or if the secret
    no longer opens (sealed under another signing key: set it again)."""
    row = await repository.get_sso(session, org_id)
    org = await repository.get_organisation(session, org_id)
    if row is None or org is None:
        return None
    try:
        secret = session.info["signing_key"].unseal(SSO_SEAL, row.client_secret_sealed, str(org_id))
    except ValueError:
        log.warning(
            "the single sign-on client secret does not open: set it again", extra={"org_id": str(org_id)}
        )
        return None
    return SsoProvider(org_id, org.name, row.issuer, row.client_id, secret)
