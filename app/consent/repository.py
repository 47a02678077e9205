"""SQL for consent: the consented reads' statements, grants, receipts, and reading the access log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.consent.models import ConsentGrant, ConsentReceipt
from app.db.session import driver_connection
from app.identity.models import OrgPerson
from app.organisations.models import Organisation

# A live grant: not withdrawn, and not past its expiry at this statement's now(). It may still
# await the resident's confirmation; only an active one (live and confirmed) opens anything — the
# database's rule (kith_grant_active, revision 2026_12_07_consented_read), on a grant aliased ``g``.
LIVE = "g.withdrawn_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now())"
ACTIVE = "kith_grant_active(g)"


# Stated by kith_consented_read for the reads inside a consented read, and taken back after it.
_END_READ = "SELECT set_config('kith.purpose', '', true), set_config('kith.read_person', '', true)"
_CONSENTED_READ = "SELECT * FROM kith_consented_read($1, $2, $3, $4, $5, $6, $7)"
_PROFILE_READ = "SELECT * FROM kith_profile_read($1, $2, $3, $4, $5, $6)"
_TIMELINE_READ = "SELECT * FROM kith_timeline_read($1, $2, $3, $4, $5, $6, $7, $8, $9)"


async def open_consented_read(
    conn: asyncpg.Connection,
    org_person_id: uuid.UUID,
    purpose: str,
    action: str,
    requires: str | None,
    shows: list[str] | None,
    client_id: str | None,
    request_id: str | None,
) -> asyncpg.Record:
    """``kith_consented_read`` on the session's own connection: (outcome, person, categories)."""
    return await conn.fetchrow(
        _CONSENTED_READ, org_person_id, purpose, action, requires, shows, client_id, request_id
    )


async def end_consented_read(conn: asyncpg.Connection) -> None:
    """Take back what ``kith_consented_read`` stated for the reads inside it."""
    await conn.execute(_END_READ)


async def profile_read(
    conn: asyncpg.Connection,
    service_key: bytes,
    client_id: str | None,
    org_id: uuid.UUID | None,
    org_person_id: uuid.UUID,
    purpose: str,
    request_id: str | None,
) -> asyncpg.Record:
    """``kith_profile_read``, its own transaction: (outcome, records)."""
    return await conn.fetchrow(
        _PROFILE_READ, service_key, client_id, org_id, org_person_id, purpose, request_id
    )


async def timeline_read(
    conn: asyncpg.Connection,
    service_key: bytes,
    client_id: str | None,
    org_id: uuid.UUID | None,
    org_person_id: uuid.UUID,
    purpose: str,
    request_id: str | None,
    before_at: datetime | None,
    before_id: uuid.UUID | None,
    limit: int,
) -> asyncpg.Record:
    """``kith_timeline_read``, its own transaction: (outcome, items, last_at, last_id)."""
    return await conn.fetchrow(
        _TIMELINE_READ,
        service_key,
        client_id,
        org_id,
        org_person_id,
        purpose,
        request_id,
        before_at,
        before_id,
        limit,
    )


async def granted_categories(
    session: AsyncSession, org_id: uuid.UUID, canonical_id: uuid.UUID, purpose: str
) -> set[str]:
    """The categories the organisation's active grants from the person cover for ``purpose``."""
    connection = await driver_connection(session)
    return set(
        await connection.fetchval("SELECT kith_grant_categories($1, $2, $3)", org_id, canonical_id, purpose)
    )


async def grants_of(
    session: AsyncSession, org_id: uuid.UUID | None, canonical_id: uuid.UUID
) -> list[ConsentGrant]:
    """Every grant (active or not) the person made; only those to ``org_id`` when given."""
    query = (
        select(ConsentGrant)
        .where(
            ConsentGrant.org_person_id.in_(
                select(OrgPerson.org_person_id).where(OrgPerson.canonical_id == canonical_id)
            )
        )
        .order_by(ConsentGrant.granted_at, ConsentGrant.id)
    )
    if org_id is not None:
        query = query.where(ConsentGrant.org_id == org_id)
    return list((await session.scalars(query)).all())


async def active_grants(
    session: AsyncSession, canonical_id: uuid.UUID, purpose: str | None = None
) -> list[ConsentGrant]:
    """The person's live grants to any organisation, confirmed or awaiting them (the caller must
    see across organisations): what a withdrawal or an erasure withdraws."""
    rows = await session.execute(
        text(
            "SELECT g.id FROM consent_grants g JOIN org_people op ON op.org_person_id = g.org_person_id "
            f"WHERE op.canonical_id = :person AND {LIVE} AND (CAST(:purpose AS text) IS NULL OR g.purpose = :purpose) "
            "ORDER BY g.granted_at"
        ),
        {"person": canonical_id, "purpose": purpose},
    )
    ids = list(rows.scalars())
    if not ids:
        return []
    found = await session.scalars(select(ConsentGrant).where(ConsentGrant.id.in_(ids)))
    return sorted(found.all(), key=lambda g: (g.granted_at, g.id))


async def same_active_grant(
    session: AsyncSession,
    org_person_id: uuid.UUID,
    purpose: str,
    categories: Sequence[str],
    expires_at: datetime | None,
) -> ConsentGrant | None:
    """A live grant identical to the one asked for (a retried request), confirmed or not, if any."""
    found = await session.scalars(
        select(ConsentGrant)
        .where(
            ConsentGrant.org_person_id == org_person_id,
            ConsentGrant.purpose == purpose,
            ConsentGrant.categories == list(categories),
            ConsentGrant.withdrawn_at.is_(None),
            ConsentGrant.expires_at.is_(None)
            if expires_at is None
            else ConsentGrant.expires_at == expires_at,
        )
        .limit(1)
    )
    return found.first()


async def canonical_ids(
    session: AsyncSession, org_person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The canonical person behind each organisation-scoped id (the caller sees those ids)."""
    rows = await session.execute(
        select(OrgPerson.org_person_id, OrgPerson.canonical_id).where(
            OrgPerson.org_person_id.in_(list(org_person_ids))
        )
    )
    return {r.org_person_id: r.canonical_id for r in rows}


async def awaiting_grant_by_token(session: AsyncSession, token_hash: str) -> ConsentGrant | None:
    return (
        await session.scalars(
            select(ConsentGrant).where(ConsentGrant.confirm_token_hash == token_hash).with_for_update()
        )
    ).first()


async def grant_for_update(session: AsyncSession, consent_id: uuid.UUID) -> ConsentGrant | None:
    return (
        await session.scalars(select(ConsentGrant).where(ConsentGrant.id == consent_id).with_for_update())
    ).first()


# Per grant asked for (person, purpose, categories joined by commas, expiry), an active grant
# identical to it, as same_active_grant finds one.
_SAME_ACTIVE = (
    "SELECT k.n, g.id FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY "
    "AS k(person, purpose, categories, expires_at, n) "
    "CROSS JOIN LATERAL (SELECT g.id FROM consent_grants g WHERE g.org_person_id = k.person "
    "  AND g.purpose = k.purpose AND g.categories = string_to_array(k.categories, ',') "
    "  AND g.withdrawn_at IS NULL AND g.expires_at IS NOT DISTINCT FROM k.expires_at LIMIT 1) g"
)


async def same_active_grants(
    session: AsyncSession, wanted: Sequence[tuple[uuid.UUID, str, Sequence[str], datetime | None]]
) -> dict[tuple, uuid.UUID]:
    """:func:`same_active_grant` for many (person, purpose, sorted categories, expiry) at once:
    each that has one → its id."""
    if not wanted:
        return {}
    rows = await (await driver_connection(session)).fetch(
        _SAME_ACTIVE,
        [w[0] for w in wanted],
        [w[1] for w in wanted],
        [",".join(w[2]) for w in wanted],
        [w[3] for w in wanted],
    )
    return {wanted[n - 1]: grant_id for n, grant_id in rows}


_GRANT_COLUMNS = (
    "id",
    "org_id",
    "org_person_id",
    "purpose",
    "categories",
    "method",
    "evidence",
    "granted_by",
    "granted_at",
    "expires_at",
    "confirmed_at",
    "confirm_token_hash",
)


async def insert_grants(
    session: AsyncSession, grants: Sequence[ConsentGrant], issued: Sequence[dict[str, Any]]
) -> None:
    """New grants and their receipts (dicts of ConsentReceipt's columns), a statement each."""
    await session.execute(insert(ConsentGrant), [{c: getattr(g, c) for c in _GRANT_COLUMNS} for g in grants])
    await session.execute(insert(ConsentReceipt), list(issued))


async def set_confirm_token_hashes(session: AsyncSession, links: Sequence[dict[str, Any]]) -> None:
    """Each grant's (``id``) confirmation-link token hash (``hash``)."""
    await session.execute(text("UPDATE consent_grants SET confirm_token_hash = :hash WHERE id = :id"), links)


async def receipt(session: AsyncSession, receipt_id: uuid.UUID) -> ConsentReceipt | None:
    return await session.get(ConsentReceipt, receipt_id)


async def receipt_ids(
    session: AsyncSession, grant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    if not grant_ids:
        return {}
    rows = await session.execute(
        select(ConsentReceipt.grant_id, ConsentReceipt.id)
        .where(ConsentReceipt.grant_id.in_(list(grant_ids)))
        .order_by(ConsentReceipt.created_at, ConsentReceipt.event)
    )
    out: dict[uuid.UUID, list[uuid.UUID]] = {g: [] for g in grant_ids}
    for grant_id, receipt_id in rows:
        out[grant_id].append(receipt_id)
    return out


async def receipts_of(session: AsyncSession, grant_ids: Sequence[uuid.UUID]) -> list[ConsentReceipt]:
    if not grant_ids:
        return []
    found = await session.scalars(
        select(ConsentReceipt)
        .where(ConsentReceipt.grant_id.in_(list(grant_ids)))
        .order_by(ConsentReceipt.created_at, ConsentReceipt.event)
    )
    return list(found.all())


async def organisation(session: AsyncSession, org_id: uuid.UUID) -> Organisation | None:
    return await session.get(Organisation, org_id)


async def organisation_names(
    session: AsyncSession, org_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    """Name and sector of each organisation (the caller must see them all)."""
    rows = await session.execute(
        text("SELECT id, name, sector FROM organisations WHERE id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": list(org_ids)},
    )
    return {r.id: (r.name, r.sector) for r in rows}


async def org_person_ids(session: AsyncSession, canonical_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID]:
    """organisation → its id for the person (the one issued for the canonical person first)."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (org_id) org_id, org_person_id FROM org_people WHERE canonical_id = :person "
            "ORDER BY org_id, (person_id = canonical_id) DESC, created_at"
        ),
        {"person": canonical_id},
    )
    return dict(rows.all())


async def people_granting(
    session: AsyncSession, org_id: uuid.UUID, canonical_ids: Sequence[uuid.UUID], purpose: str, category: str
) -> set[uuid.UUID]:
    """Those of the people (canonical ids) whose active grants to the organisation cover
    ``category`` for ``purpose``."""
    if not canonical_ids:
        return set()
    rows = await session.execute(
        text(
            "SELECT p FROM unnest(CAST(:people AS uuid[])) AS p "
            "WHERE :category = ANY(kith_grant_categories(:org, p, :purpose))"
        ),
        {"org": org_id, "people": list(set(canonical_ids)), "purpose": purpose, "category": category},
    )
    return set(rows.scalars())


async def orgs_granted(
    session: AsyncSession, canonical_id: uuid.UUID, categories: Sequence[str], exclude: uuid.UUID | None
) -> list[uuid.UUID]:
    """Organisations holding an active grant (any purpose) from the person covering any of
    ``categories``, but ``exclude``."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT g.org_id FROM consent_grants g JOIN org_people op ON op.org_person_id = g.org_person_id "
            f"WHERE op.canonical_id = :person AND {ACTIVE} AND g.categories && CAST(:cats AS text[]) "
            "AND g.org_id IS DISTINCT FROM CAST(:exclude AS uuid)"
        ),
        {"person": canonical_id, "cats": list(categories), "exclude": exclude},
    )
    return list(rows.scalars())


async def access_log(
    session: AsyncSession, canonical_id: uuid.UUID, limit: int, before: tuple[datetime, int] | None
) -> list[Any]:
    """Reads of the person's data (under any id merged into it), newest first."""
    rows = await session.execute(
        text(
            "SELECT a.id, a.org_id, o.name AS organisation, a.client_id, a.purpose, a.categories, a.action, "
            "a.read_at FROM access_log a LEFT JOIN organisations o ON o.id = a.org_id "
            "WHERE a.person_id IN (SELECT id FROM people WHERE canonical_id = :person) "
            "AND (CAST(:before_at AS timestamptz) IS NULL OR (a.read_at, a.id) < (:before_at, :before_id)) "
            "ORDER BY a.read_at DESC, a.id DESC LIMIT :limit"
        ),
        {
            "person": canonical_id,
            "before_at": before[0] if before else None,
            "before_id": before[1] if before else 0,
            "limit": limit,
        },
    )
    return list(rows)


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


async def redact_for_erasure(session: AsyncSession, canonical_id: uuid.UUID) -> None:
    """The evidence of the person's grants (its kind stays), and their receipts but for their id
    and the hash of what was signed."""
    await session.execute(_REDACT_GRANTS, {"person": canonical_id})
    await session.execute(_REDACT_RECEIPTS, {"person": canonical_id})


async def staff_reads(session: AsyncSession, org_id: uuid.UUID, start: datetime, end: datetime) -> list[Any]:
    """The organisation's staff members' reads of residents' data in [start, end), oldest first."""
    rows = await session.execute(
        text(
            "SELECT read_at, client_id, org_person_id, purpose, categories, action FROM access_log "
            "WHERE org_id = :org AND client_id LIKE 'staff:%' AND read_at >= :start AND read_at < :end "
            "ORDER BY read_at, id"
        ),
        {"org": org_id, "start": start, "end": end},
    )
    return list(rows.all())


async def log_reviews(
    session: AsyncSession,
    org_id: uuid.UUID,
    client_id: str | None,
    person_ids: list[uuid.UUID],
    purpose: str,
    categories: list[str],
    request_id: str | None,
) -> None:
    """Access-log entries for reads of people by their platform ids (the platform's reviewers')."""
    await session.execute(
        text(
            "INSERT INTO access_log (org_id, client_id, person_id, org_person_id, purpose, categories, action, "
            "request_id, read_at) SELECT :org, :client, p, p, :purpose, CAST(:categories AS text[]), 'review', "
            ":request, now() FROM unnest(CAST(:people AS uuid[])) AS p"
        ),
        {
            "org": org_id,
            "client": client_id,
            "people": person_ids,
            "purpose": purpose,
            "categories": categories,
            "request": request_id,
        },
    )
