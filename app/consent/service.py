"""Consent grants: a person × organisation × purpose × categories, given by the resident (the
portal, their card) or recorded by an organisation, awaiting the resident's confirmation unless
given by them or recorded by an organisation the platform trusts to; confirmed, refused and
withdrawn, each with its signed receipt (``receipts.py``) and the resident told
(``notices.py``). What a grant lets an organisation see or do is decided in ``access.py``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.consent import notices, receipts
from app.consent import repository as repo
from app.consent.catalogue import CATEGORIES, PURPOSES
from app.consent.models import ConsentGrant
from app.core.errors import Forbidden, NotFound, ValidationFailed
from app.core.ids import hash_secret
from app.core.pagination import PageRequest, make_page
from app.db.session import platform_scope
from app.identity import service as identity_service
from app.mail import service as mail
from app.organisations import service as organisations_service
from app.webhooks import service as events


class UnknownPurpose(ValidationFailed):
    code = "unknown_purpose"


class InvalidGrant(ValidationFailed):
    code = "invalid_grant"


class ConsentRequired(Forbidden):
    code, title = "consent_required", "Consent required"


class ConsentNotFound(NotFound):
    code = "consent_not_found"


def require_purpose(purpose: str) -> str:
    """The purpose, or a 422 naming the known ones."""
    if purpose not in PURPOSES:
        raise UnknownPurpose(
            f"Unknown purpose '{purpose}'; one of: {', '.join(PURPOSES)}.",
            errors=[{"field": "purpose", "message": "unknown purpose"}],
        )
    return purpose


def catalogue() -> dict[str, list[dict[str, str]]]:
    """The purposes a read may state and the categories a grant may cover, as residents see them."""
    return {
        "purposes": [{"purpose": k, "description": v} for k, v in PURPOSES.items()],
        "categories": [{"category": k, "description": v} for k, v in CATEGORIES.items()],
    }


# ----------------------------------------------------------------------------------------- grants


def _status(grant: ConsentGrant, now: datetime | None = None) -> str:
    if grant.withdrawn_at is not None:
        return "withdrawn"
    if grant.expires_at is not None and grant.expires_at <= (now or datetime.now(UTC)):
        return "expired"
    if grant.confirmed_at is None:
        return "awaiting_resident"
    return "active"


def grant_view(grant: ConsentGrant, receipt_ids: list[uuid.UUID]) -> dict[str, Any]:
    return {
        "consent_id": grant.id,
        "person_id": grant.org_person_id,
        "purpose": grant.purpose,
        "categories": list(grant.categories),
        "method": grant.method,
        "evidence": grant.evidence,
        "status": _status(grant),
        "granted_at": grant.granted_at,
        "confirmed_at": grant.confirmed_at,
        "expires_at": grant.expires_at,
        "withdrawn_at": grant.withdrawn_at,
        "receipt_ids": receipt_ids,
    }


def _event_payload(grant: ConsentGrant) -> dict[str, Any]:
    return {
        "person_id": str(grant.org_person_id),
        "consent_id": str(grant.id),
        "purpose": grant.purpose,
        "categories": list(grant.categories),
        "method": grant.method,
        "status": _status(grant),  # awaiting_resident: it opens nothing until the resident confirms
        "expires_at": grant.expires_at.isoformat() if grant.expires_at else None,
        "withdrawn_at": grant.withdrawn_at.isoformat() if grant.withdrawn_at else None,
    }


async def grant(
    session: AsyncSession,
    actor: Principal,
    *,
    org_id: uuid.UUID,
    org_person_id: uuid.UUID,
    purpose: str,
    categories: list[str],
    method: str,
    evidence: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ConsentGrant, bool]:
    """Record a grant to ``org_id`` (the person as it knows them: ``org_person_id``) with its signed
    receipt, and tell the resident; (grant, True). The same live grant asked for again is (that
    grant, False) — confirmed now if it awaited the resident and this one need not.

    A grant opens other organisations' data only once confirmed: at once when the resident gave it
    in the portal or by presenting their card, or when the platform trusts the recording
    organisation to record consent; otherwise when the resident confirms it (the portal, or the
    link in the notice they are sent)."""
    now = datetime.now(UTC)
    categories = check_grant(purpose, categories, expires_at, now)
    confirmed = method in ("portal", "card_presented") or await _trusted_to_record(session, org_id)
    existing = await repo.same_active_grant(session, org_person_id, purpose, categories, expires_at)
    if existing is not None:
        if confirmed and existing.confirmed_at is None:
            await _confirm(session, actor, existing, now)
        return existing, False
    row = _new_grant(actor, org_id, org_person_id, purpose, categories, method, evidence, expires_at, now)
    token = notices.awaiting(row) if not confirmed else None
    if confirmed:
        row.confirmed_at = now
    session.add(row)
    await session.flush()
    await notices.keep_confirm_links(session, [(row, token)])
    await receipts.issue(session, row, "granted", now)
    await events.record_events(session, "consent.granted", {org_id: _event_payload(row)})
    _audit_grant(session, actor, row)
    organisation = await repo.organisation(session, org_id)
    canonical = (await repo.canonical_ids(session, [org_person_id]))[org_person_id]
    await notices.tell_resident(
        session, canonical, row, organisation.name if organisation else "An organisation", token
    )
    return row, True


async def _trusted_to_record(session: AsyncSession, org_id: uuid.UUID) -> bool:
    return (await organisations_service.trust(session, org_id)).records_consent


async def _confirm(session: AsyncSession, actor: Principal, row: ConsentGrant, now: datetime) -> None:
    row.confirmed_at = now
    row.confirm_token_hash = None
    await session.flush()
    await events.record_events(session, "consent.confirmed", {row.org_id: _event_payload(row)})
    audit.record(session, actor, "consent.confirmed", "consent_grant", row.id, {"org_id": str(row.org_id)})


async def confirm_by_link(session: AsyncSession, token: str) -> ConsentGrant:
    """The resident confirms a grant an organisation recorded, through the link they were sent
    (platform scope). 404 for a link that is unknown, used, or for a grant no longer live."""
    row = await repo.awaiting_grant_by_token(session, hash_secret(token))
    if row is None or _status(row) != "awaiting_resident":
        raise ConsentNotFound(
            "This link is not valid any more: the permission was confirmed, refused or has expired."
        )
    await _confirm(session, Principal.resident(await _canonical_of(session, row)), row, datetime.now(UTC))
    return row


async def grant_awaiting_link(session: AsyncSession, token: str) -> dict[str, Any] | None:
    """What a confirmation link asks the resident to confirm (platform scope): the grant and the
    organisation's name; None when the link is unknown or the grant no longer awaits them."""
    row = await repo.awaiting_grant_by_token(session, hash_secret(token))
    if row is None or _status(row) != "awaiting_resident":
        return None
    organisation = await repo.organisation(session, row.org_id)
    return {**grant_view(row, []), "organisation": organisation.name if organisation else "An organisation"}


async def refuse_by_link(session: AsyncSession, token: str) -> ConsentGrant:
    """The resident refuses a grant an organisation recorded, through the link they were sent: it is
    withdrawn, with its receipt (platform scope)."""
    row = await repo.awaiting_grant_by_token(session, hash_secret(token))
    if row is None or _status(row) != "awaiting_resident":
        raise ConsentNotFound(
            "This link is not valid any more: the permission was confirmed, refused or has expired."
        )
    row.confirm_token_hash = None
    return await withdraw(session, Principal.resident(await _canonical_of(session, row)), row)


async def confirm_by_resident(
    session: AsyncSession, resident: Principal, grant_id: uuid.UUID
) -> ConsentGrant:
    """The signed-in resident confirms one of their grants that awaits them (platform scope)."""
    row = await repo.grant_for_update(session, grant_id)
    if (
        row is None
        or _status(row) != "awaiting_resident"
        or await _canonical_of(session, row) != resident.resident_id
    ):
        raise ConsentNotFound("There is no permission like that awaiting you.")
    await _confirm(session, resident, row, datetime.now(UTC))
    return row


async def _canonical_of(session: AsyncSession, row: ConsentGrant) -> uuid.UUID:
    return (await repo.canonical_ids(session, [row.org_person_id]))[row.org_person_id]


def _new_grant(
    actor: Principal,
    org_id: uuid.UUID,
    org_person_id: uuid.UUID,
    purpose: str,
    categories: list[str],
    method: str,
    evidence: dict[str, Any] | None,
    expires_at: datetime | None,
    now: datetime,
) -> ConsentGrant:
    return ConsentGrant(
        id=uuid.uuid4(),
        org_id=org_id,
        org_person_id=org_person_id,
        purpose=purpose,
        categories=categories,
        method=method,
        evidence=evidence,
        granted_by=actor.actor,
        granted_at=now,
        expires_at=expires_at,
        withdrawn_at=None,
    )


def check_grant(purpose: str, categories: list[str], expires_at: datetime | None, now: datetime) -> list[str]:
    """A grant's purpose, categories and expiry checked (InvalidGrant, a 422 naming the field);
    its categories as stored (sorted, once each)."""
    require_purpose(purpose)
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown or not categories:
        raise InvalidGrant(
            f"Unknown or missing categories: {', '.join(unknown) or 'none given'}.",
            errors=[{"field": "categories", "message": f"one or more of: {', '.join(CATEGORIES)}"}],
        )
    if expires_at is not None and expires_at <= now:
        raise InvalidGrant(
            "A grant cannot expire in the past.",
            errors=[{"field": "expires_at", "message": "must be in the future"}],
        )
    return sorted(set(categories))


def _audit_grant(session: AsyncSession, actor: Principal, row: ConsentGrant) -> None:
    audit.record(
        session,
        actor,
        "consent.granted",
        "consent_grant",
        row.id,
        {
            "org_id": str(row.org_id),
            "purpose": row.purpose,
            "categories": row.categories,
            "method": row.method,
        },
    )


async def grants_by_org(
    session: AsyncSession, principal: Principal, wanted: list[tuple[uuid.UUID, Any]]
) -> list[uuid.UUID]:
    """:func:`grant_by_org` for many (the organisation's id for a person, the grant asked for) at
    once, as a batch of registrations brings them: the consent id of each, in order. Each grant is
    checked, receipted, announced and audited as one made alone; one asked for twice, or held
    already (the same person, purpose, categories and expiry, not withdrawn), is that grant. The
    people are the organisation's own: the batch has just resolved them. A handful of statements in
    all, where one grant at a time cost about six round trips each (5.7 ms a record)."""
    if not wanted:
        return []
    org_id: uuid.UUID = principal.org_id  # type: ignore[assignment]
    now = datetime.now(UTC)
    keys = []  # (person, purpose, categories, expiry): what makes two grants the same one
    asked: dict[tuple, Any] = {}  # each distinct grant's body, as first asked for
    for person, body in wanted:
        categories = check_grant(body.purpose, list(body.categories), body.expires_at, now)
        key = (person, body.purpose, tuple(categories), body.expires_at)
        keys.append(key)
        asked.setdefault(key, body)
    ids = await repo.same_active_grants(session, list(asked))
    confirmed = await _trusted_to_record(session, org_id)
    fresh, tokens = [], []
    for key, body in asked.items():
        if key in ids:
            continue
        person, purpose, categories, expires_at = key
        evidence = body.evidence.model_dump() if body.evidence else None
        row = _new_grant(
            principal, org_id, person, purpose, list(categories), body.method, evidence, expires_at, now
        )
        if confirmed:
            row.confirmed_at = now
        tokens.append(None if confirmed else notices.awaiting(row))
        fresh.append(row)
        ids[key] = row.id
    if fresh:
        organisation = await repo.organisation(session, org_id)
        issued = [receipts.signed_columns(session, row, "granted", now, organisation) for row in fresh]
        await repo.insert_grants(session, fresh, issued)
        await notices.keep_confirm_links(session, list(zip(fresh, tokens, strict=True)))
        await events.record_many(session, "consent.granted", [(org_id, _event_payload(row)) for row in fresh])
        canonical = await repo.canonical_ids(session, [row.org_person_id for row in fresh])
        name = organisation.name if organisation else "An organisation"
        for row in fresh:
            _audit_grant(session, principal, row)
        told = [
            (canonical[row.org_person_id], *notices.grant_notice(session, row, name, token))
            for row, token in zip(fresh, tokens, strict=True)
            if token is None or await notices.may_ask(session, org_id, canonical[row.org_person_id])
        ]
        async with platform_scope(session):  # the residents' addresses are theirs, not the organisation's
            await mail.tell_residents(session, told)
    return [ids[key] for key in keys]


async def withdraw(session: AsyncSession, actor: Principal, grant_row: ConsentGrant) -> ConsentGrant:
    """Withdraw a grant, with its signed receipt; withdrawing it again changes nothing."""
    if grant_row.withdrawn_at is not None:
        return grant_row
    now = datetime.now(UTC)
    grant_row.withdrawn_at = now
    grant_row.withdrawn_by = actor.actor
    await session.flush()
    await receipts.issue(session, grant_row, "withdrawn", now)
    await events.record_events(session, "consent.withdrawn", {grant_row.org_id: _event_payload(grant_row)})
    audit.record(
        session,
        actor,
        "consent.withdrawn",
        "consent_grant",
        grant_row.id,
        {"org_id": str(grant_row.org_id), "purpose": grant_row.purpose},
    )
    return grant_row


async def grant_by_org(
    session: AsyncSession, principal: Principal, org_person_id: uuid.UUID, body: Any
) -> tuple[dict[str, Any], bool]:
    """An organisation records a grant the resident gave it (card presented, or recorded with
    evidence). 404 for a person the organisation is not linked to."""
    await identity_service.person_of_org(session, org_person_id)
    row, created = await grant(
        session,
        principal,
        org_id=principal.org_id,  # type: ignore[arg-type]
        org_person_id=org_person_id,
        purpose=body.purpose,
        categories=list(body.categories),
        method=body.method,
        evidence=body.evidence.model_dump() if body.evidence else None,
        expires_at=body.expires_at,
    )
    ids = await repo.receipt_ids(session, [row.id])
    return grant_view(row, ids[row.id]), created


async def grants_for_org(session: AsyncSession, principal: Principal, org_person_id: uuid.UUID) -> list[dict]:
    """The grants the person made to the calling organisation, oldest first (active or not)."""
    canonical = await identity_service.person_of_org(session, org_person_id)
    rows = await repo.grants_of(session, principal.org_id, canonical)
    ids = await repo.receipt_ids(session, [g.id for g in rows])
    return [grant_view(g, ids[g.id]) for g in rows]


async def withdraw_by_org(
    session: AsyncSession, principal: Principal, org_person_id: uuid.UUID, consent_id: uuid.UUID
) -> dict[str, Any]:
    """Withdraw one of the person's grants to the calling organisation (idempotent)."""
    canonical = await identity_service.person_of_org(session, org_person_id)
    row = await repo.grant_for_update(session, consent_id)
    mine = {g.id for g in await repo.grants_of(session, principal.org_id, canonical)}
    if row is None or row.id not in mine:
        raise ConsentNotFound(f"No consent {consent_id} for person {org_person_id}.")
    await withdraw(session, principal, row)
    ids = await repo.receipt_ids(session, [row.id])
    return grant_view(row, ids[row.id])


async def access_log_of(
    session: AsyncSession, person_canonical_id: uuid.UUID, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    """Who read the person's data, newest first (for the resident; the caller must be in a
    platform scope)."""
    before = page.position(datetime.fromisoformat, int)
    rows = await repo.access_log(session, person_canonical_id, page.limit + 1, before)  # type: ignore[arg-type]
    rows, next_cursor = make_page(rows, page.limit, lambda r: (r.read_at, r.id))
    items = [
        {
            "organisation_id": r.org_id,
            "organisation": r.organisation or "(organisation no longer registered)",
            # A member of staff is shown by role (staff:<role>), never by who they are.
            "client_id": ":".join(r.client_id.split(":")[:2])
            if (r.client_id or "").startswith("staff:")
            else r.client_id,
            "purpose": r.purpose,
            "categories": list(r.categories),
            "action": r.action,
            "read_at": r.read_at,
        }
        for r in rows
    ]
    return items, next_cursor


async def redact_for_erasure(session: AsyncSession, canonical: uuid.UUID) -> None:
    """At erasure (platform scope): the evidence organisations wrote for the person's grants goes
    (its kind stays), and their receipts are kept only as their id and the hash of what was signed
    (proof that a receipt existed, nothing of what it said)."""
    await repo.redact_for_erasure(session, canonical)
