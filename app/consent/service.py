"""Consent decides what one organisation may see of what others hold about a person.

Every read of a person's data by an organisation names a purpose and goes through one entry
point here: :func:`consented_read` (relationships, a wallet, a card), or, each a whole read in one
statement, :func:`profile_read` (the profile) and :func:`timeline_read` (a page of the timeline). Either resolves the organisation's id,
evaluates the person's grants with the database's one rule (``kith_active_grants``, which the
row-level policies call too) and writes the access-log entry in the
reading transaction: a read that returns data is logged, a refused one is not. There is no cache:
a withdrawal or an expiry holds from the very next statement.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.consent import receipts
from app.consent import repository as repo
from app.consent.catalogue import CATEGORIES, PURPOSES
from app.consent.models import ConsentGrant, ConsentReceipt
from app.core.errors import Forbidden, NotFound, ValidationFailed
from app.core.ids import hash_secret
from app.core.logging import request_id_var
from app.core.pagination import PageRequest, make_page
from app.db.session import ClientDisabled, Database, driver_connection, platform_scope
from app.identity import service as identity_service
from app.mail import service as mail
from app.organisations import service as organisations_service
from app.webhooks import service as events

# The SQL condition (on a grant aliased ``g``) under which a grant opens anything, for other
# domains' queries that join grants: the rule lives in the repository, once.
ACTIVE_GRANT = repo.ACTIVE


class UnknownPurpose(ValidationFailed):
    code = "unknown_purpose"


class InvalidGrant(ValidationFailed):
    code = "invalid_grant"


class ConsentRequired(Forbidden):
    code, title = "consent_required", "Consent required"


class ConsentNotFound(NotFound):
    code = "consent_not_found"


class ReceiptNotFound(NotFound):
    code = "receipt_not_found"


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


# Stated by kith_consented_read for the reads inside a consented read, and taken back after it.
_END_READ = "SELECT set_config('kith.purpose', '', true), set_config('kith.read_person', '', true)"


@dataclass(frozen=True)
class ConsentedRead:
    person_id: uuid.UUID  # the platform's person behind the organisation's id (canonical)
    categories: frozenset[str]  # of other organisations' data, what its grants let it see for the purpose


_CONSENTED_READ = "SELECT * FROM kith_consented_read($1, $2, $3, $4, $5, $6, $7)"


@asynccontextmanager
async def consented_read(
    session: AsyncSession,
    principal: Principal,
    org_person_id: uuid.UUID,
    purpose: str,
    action: str,
    *,
    requires: str | None = None,
    shows: Iterable[str] | None = None,
) -> AsyncIterator[ConsentedRead]:
    """A consented read of a person's data by the caller: yields whose it is and the categories
    the person's grants let the caller see of others' data for ``purpose``, with the purpose
    stated to PostgreSQL for the reads inside (its row-level security applies the same rule, so a
    bug here still cannot leak a row of a person who granted nothing). One statement
    (``kith_consented_read``) resolves the id, evaluates the grants and writes the access-log
    entry (``action``; ``shows``: the categories the read shows, else those granted) in the
    reading transaction: a read whose data is returned is logged, by construction. 404 for an id
    not the caller's; 403, and nothing logged, where ``requires`` (a category; ``*``: any) is
    not granted. A profile is read by :func:`profile_read`, the same rule in one statement."""
    require_purpose(purpose)
    connection = await driver_connection(session)
    outcome, person, categories = await connection.fetchrow(
        _CONSENTED_READ,
        org_person_id,
        purpose,
        action,
        requires,
        sorted(shows) if shows is not None else None,
        principal.client_id,
        request_id_var.get(),
    )
    if outcome == "not_found":
        raise identity_service.PersonNotFound(f"No person {org_person_id}.")
    if outcome == "refused":
        raise ConsentRequired(
            f"The person has granted this organisation nothing for the purpose '{purpose}'."
            if requires == "*"
            else f"The person has not granted this organisation '{requires}' for the purpose '{purpose}'."
        )
    try:
        yield ConsentedRead(person, frozenset(categories))
    finally:
        await connection.execute(_END_READ)


_PROFILE_READ = "SELECT * FROM kith_profile_read($1, $2, $3, $4, $5, $6)"


async def profile_read(
    db: Database, principal: Principal, org_person_id: uuid.UUID, purpose: str
) -> list[dict[str, Any]]:
    """The person's records as the caller may see them for ``purpose`` — its own whole, another
    organisation's claims only in the categories the person's grants cover — with the read
    logged: one statement (``kith_profile_read``), its own transaction, opening the caller's
    context itself. Each record: ``org_id``, ``source_sector``, ``claims``, ``external_ref``
    (the caller's own records only). 404 for an id not the caller's."""
    require_purpose(purpose)
    async with db.direct() as connection:
        outcome, records = await connection.fetchrow(
            _PROFILE_READ,
            db.service_key,
            principal.client_id,
            principal.org_id,
            org_person_id,
            purpose,
            request_id_var.get(),
        )
    if outcome == "client_disabled":
        raise ClientDisabled()
    if outcome == "not_found":
        raise identity_service.PersonNotFound(f"No person {org_person_id}.")
    # The pool's connections decode jsonb (SQLAlchemy's asyncpg dialect sets the codec); a plain
    # asyncpg connection hands the text.
    return orjson.loads(records) if isinstance(records, str) else records


_TIMELINE_READ = "SELECT * FROM kith_timeline_read($1, $2, $3, $4, $5, $6, $7, $8, $9)"


@dataclass(frozen=True)
class TimelinePage:
    items: str  # the page's items as a JSON array (the documented TimelineItem shape), as written
    last: tuple[datetime, uuid.UUID] | None  # the last item's position when there are more


async def timeline_read(
    db: Database,
    principal: Principal,
    org_person_id: uuid.UUID,
    purpose: str,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> TimelinePage:
    """A page of the person's interactions, newest first, before ``before`` if given: the
    caller's own, and other organisations' where the person's grants cover ``interactions`` for
    ``purpose``; with no grant at all for the purpose, 403 and nothing logged. One statement
    (``kith_timeline_read``), its own transaction, opening the caller's context itself and
    logging the read (``timeline``, showing ``interactions``). 404 for an id not the caller's."""
    require_purpose(purpose)
    async with db.direct() as connection:
        outcome, items, last_at, last_id = await connection.fetchrow(
            _TIMELINE_READ,
            db.service_key,
            principal.client_id,
            principal.org_id,
            org_person_id,
            purpose,
            request_id_var.get(),
            before[0] if before else None,
            before[1] if before else None,
            limit,
        )
    if outcome == "client_disabled":
        raise ClientDisabled()
    if outcome == "not_found":
        raise identity_service.PersonNotFound(f"No person {org_person_id}.")
    if outcome == "refused":
        raise ConsentRequired(
            f"The person has granted this organisation nothing for the purpose '{purpose}'."
        )
    return TimelinePage(items, (last_at, last_id) if last_at is not None else None)


async def people_granting(
    session: AsyncSession,
    principal: Principal,
    person_canonical_ids: Iterable[uuid.UUID],
    purpose: str,
    category: str,
) -> frozenset[uuid.UUID]:
    """Those of the people who let the caller see ``category`` of other organisations' data for
    ``purpose`` (its active grants from them cover it)."""
    require_purpose(purpose)
    if principal.org_id is None:
        return frozenset()
    return frozenset(
        await repo.people_granting(session, principal.org_id, list(person_canonical_ids), purpose, category)
    )


async def require(
    session: AsyncSession, principal: Principal, person_canonical_id: uuid.UUID, purpose: str, category: str
) -> None:
    """403 unless the caller's active grants from the person cover ``category`` for ``purpose``:
    for writes that need a grant (earning, spending). A read goes through :func:`consented_read`."""
    require_purpose(purpose)
    granted = (
        await repo.granted_categories(session, principal.org_id, person_canonical_id, purpose)
        if principal.org_id is not None
        else set()
    )
    if category not in granted:
        raise ConsentRequired(
            f"The person has not granted this organisation '{category}' for the purpose '{purpose}'."
        )


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


async def _issue_receipt(
    session: AsyncSession, grant: ConsentGrant, event: str, at: datetime
) -> ConsentReceipt:
    organisation = await repo.organisation(session, grant.org_id)
    row = ConsentReceipt(**_receipt_columns(session, grant, event, at, organisation))
    session.add(row)
    await session.flush()
    return row


def _receipt_columns(
    session: AsyncSession, grant: ConsentGrant, event: str, at: datetime, organisation: Any
) -> dict[str, Any]:
    """A new receipt for ``event`` of ``grant``, signed: ConsentReceipt's columns."""
    receipt_id = uuid.uuid4()
    body = receipts.build(
        receipt_id=receipt_id,
        event=event,
        at=at,
        grant=grant,
        organisation=organisation,
        policy_url=session.info["settings"].policy_url,
    )
    return {
        "id": receipt_id,
        "grant_id": grant.id,
        "org_id": grant.org_id,
        "event": event,
        "receipt": body,
        "jws": receipts.sign(body, session.info["signing_key"]),
        "created_at": at,
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
    token = _awaiting(row) if not confirmed else None
    if confirmed:
        row.confirmed_at = now
    session.add(row)
    await session.flush()
    await _keep_confirm_links(session, [(row, token)])
    await _issue_receipt(session, row, "granted", now)
    await events.record_events(session, "consent.granted", {org_id: _event_payload(row)})
    _audit_grant(session, actor, row)
    organisation = await repo.organisation(session, org_id)
    canonical = (await repo.canonical_ids(session, [org_person_id]))[org_person_id]
    await _tell_resident(
        session, canonical, row, organisation.name if organisation else "An organisation", token
    )
    return row, True


async def _trusted_to_record(session: AsyncSession, org_id: uuid.UUID) -> bool:
    return (await organisations_service.trust(session, org_id)).records_consent


def _awaiting(row: ConsentGrant) -> str:
    """Mark ``row`` as awaiting the resident; the token of the link that confirms it (kept by
    :func:`_keep_confirm_links` once the row is written)."""
    row.confirmed_at = None
    return secrets.token_urlsafe(24)


async def _keep_confirm_links(session: AsyncSession, rows: list[tuple[ConsentGrant, str | None]]) -> None:
    """Keep the hash of each confirmation link's token on its grant. In the platform scope: the
    link confirms a grant with no sign-in, so the organisation's own transaction may not set it
    (kith_grant_guard refuses it there) — or a partner could confirm its own grants."""
    links = [{"id": row.id, "hash": hash_secret(token)} for row, token in rows if token is not None]
    if not links:
        return
    async with platform_scope(session):
        await session.execute(
            text("UPDATE consent_grants SET confirm_token_hash = :hash WHERE id = :id"), links
        )


async def _tell_resident(
    session: AsyncSession, canonical: uuid.UUID, row: ConsentGrant, org_name: str, token: str | None
) -> None:
    if token is not None and not await _may_ask(session, row.org_id, canonical):
        return
    async with platform_scope(session):  # the resident's address is theirs, not the organisation's
        await mail.tell_residents(session, [(canonical, *_grant_notice(session, row, org_name, token))])


async def _may_ask(session: AsyncSession, org_id: uuid.UUID, canonical: uuid.UUID) -> bool:
    """Whether the organisation may mail the resident another "did you agree?" now: a few a day at
    most, so that re-recording grants cannot wear her down into confirming one (beyond it the grant
    still waits for her in the portal)."""
    limiter = session.info.get("limiter")  # the server's; the command line asks without limit
    if limiter is None:
        return True
    return await limiter.allow(
        session.info["settings"].grant_ask_rate_limit, f"grant-ask:{org_id}:{canonical}"
    )


def _grant_notice(
    session: AsyncSession, row: ConsentGrant, org_name: str, token: str | None
) -> tuple[str, str]:
    """What a resident is told of a new grant: (subject, body), with the confirmation link when it
    awaits them."""
    settings = session.info["settings"]
    portal = f"{settings.public_url.rstrip('/')}/portal/organisations"
    what = "; ".join(CATEGORIES.get(c, c).lower() for c in row.categories)
    why = PURPOSES.get(row.purpose, row.purpose)
    how = {
        "portal": "You gave it in the Kith portal.",
        "card_presented": f"You showed your rewards card at {org_name}.",
        "recorded_by_org": f"{org_name} recorded that you agreed"
        + (f" ({row.evidence['kind']} consent)." if row.evidence else "."),
    }.get(row.method, "")
    if token is not None:
        link = f"{settings.public_url.rstrip('/')}/portal/consents/confirm/{token}"
        return (
            f"Did you agree to share your information with {org_name}?",
            f"{org_name} says you agreed to let it see {what} that other organisations hold about you, "
            f"for: {why}\n\n{how} Nothing is shared until you confirm it.\n\n"
            f"If you agreed, confirm here: {link}\n\n"
            f"If you did not, you need do nothing; you can also refuse it at {portal}\n",
        )
    return (
        f"You gave {org_name} permission to see your information",
        f"{org_name} may now see {what} that other organisations hold about you, for: {why}\n\n"
        f"{how}\n\nYou can see and withdraw every permission in one step at {portal}\n",
    )


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
        tokens.append(None if confirmed else _awaiting(row))
        fresh.append(row)
        ids[key] = row.id
    if fresh:
        organisation = await repo.organisation(session, org_id)
        issued = [_receipt_columns(session, row, "granted", now, organisation) for row in fresh]
        await repo.insert_grants(session, fresh, issued)
        await _keep_confirm_links(session, list(zip(fresh, tokens, strict=True)))
        await events.record_many(session, "consent.granted", [(org_id, _event_payload(row)) for row in fresh])
        canonical = await repo.canonical_ids(session, [row.org_person_id for row in fresh])
        name = organisation.name if organisation else "An organisation"
        for row in fresh:
            _audit_grant(session, principal, row)
        told = [
            (canonical[row.org_person_id], *_grant_notice(session, row, name, token))
            for row, token in zip(fresh, tokens, strict=True)
            if token is None or await _may_ask(session, org_id, canonical[row.org_person_id])
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
    await _issue_receipt(session, grant_row, "withdrawn", now)
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


async def receipt(session: AsyncSession, principal: Principal, receipt_id: uuid.UUID) -> dict[str, Any]:
    """A receipt of the caller's own (row-level security hides everyone else's)."""
    row = await session.get(ConsentReceipt, receipt_id)
    if row is None or (principal.org_id is not None and row.org_id != principal.org_id):
        raise ReceiptNotFound(f"No consent receipt {receipt_id}.")
    return {
        "id": row.id,
        "consent_id": row.grant_id,
        "event": row.event,
        "receipt": row.receipt,
        "jws": row.jws,
    }


async def organisations_to_tell(
    session: AsyncSession,
    person_canonical_id: uuid.UUID,
    categories: Iterable[str],
    exclude: uuid.UUID | None,
) -> dict[uuid.UUID, uuid.UUID]:
    """Organisations (other than ``exclude``) that may see changes in ``categories`` of the
    person's data, each with its own id for the person; the caller must be in a platform scope."""
    orgs = await repo.orgs_granted(session, person_canonical_id, sorted(set(categories)), exclude)
    if not orgs:
        return {}
    ids = await repo.org_person_ids(session, person_canonical_id)
    return {org: ids[org] for org in orgs if org in ids}


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
            "client_id": r.client_id,
            "purpose": r.purpose,
            "categories": list(r.categories),
            "action": r.action,
            "read_at": r.read_at,
        }
        for r in rows
    ]
    return items, next_cursor


async def organisation_names(
    session: AsyncSession, org_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    """Name and sector of organisations whose data a consented read shows (residents and their
    organisations see who holds what; an organisation's name is not personal data)."""
    wanted = list(set(org_ids))
    if not wanted:
        return {}
    async with platform_scope(session):
        rows = await session.execute(
            text("SELECT id, name, sector FROM organisations WHERE id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": wanted},
        )
    return {r.id: (r.name, r.sector) for r in rows}


_REDACT_GRANTS = text(
    "UPDATE consent_grants g SET evidence = jsonb_build_object('kind', g.evidence->>'kind', 'reference', "
    "'(erased)'), confirm_token_hash = NULL FROM org_people op WHERE op.org_person_id = g.org_person_id "
    "AND op.canonical_id = :person AND g.evidence IS NOT NULL"
)
_REDACT_RECEIPTS = text(
    "UPDATE consent_receipts r SET receipt = jsonb_build_object('erased', true, "
    "'jws_sha256', encode(sha256(convert_to(r.jws, 'UTF8')), 'hex')), jws = '' "
    "FROM consent_grants g JOIN org_people op ON op.org_person_id = g.org_person_id "
    "WHERE r.grant_id = g.id AND op.canonical_id = :person AND r.jws <> ''"
)


async def redact_for_erasure(session: AsyncSession, canonical: uuid.UUID) -> None:
    """At erasure (platform scope): the evidence organisations wrote for the person's grants goes
    (its kind stays), and their receipts are kept only as their id and the hash of what was signed
    (proof that a receipt existed, nothing of what it said)."""
    await session.execute(_REDACT_GRANTS, {"person": canonical})
    await session.execute(_REDACT_RECEIPTS, {"person": canonical})
