"""SQL for identity resolution: set-based lookups and bulk writes (one statement per table for a
whole batch, through unnest(), rather than a statement per record)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.matching import Profile

_BLOCK_COLUMNS = (
    "bk_dob_family",
    "bk_dob_given",
    "bk_names_year",
    "bk_names_area",
    "bk_postcode_initial",
    "bk_email",
    "bk_phone",
)

_CANDIDATES = text(
    "WITH q AS (SELECT * FROM unnest(CAST(:idx AS int[]), CAST(:col AS text[]), CAST(:key AS text[])) AS q(i, col, key))\n"
    + "\nUNION ALL\n".join(
        f"SELECT q.i, r.id, p.canonical_id, r.m_given, r.m_family, r.m_dob, r.m_postcode, r.bk_email, r.bk_phone "
        f"FROM q JOIN person_records r ON r.{col} = q.key JOIN people p ON p.id = r.person_id "
        f"WHERE q.col = '{col}' AND p.status <> 'erased'"
        for col in _BLOCK_COLUMNS
    )
)


async def candidates(
    session: AsyncSession, probes: Sequence[tuple[int, str, str]]
) -> list[tuple[int, uuid.UUID, uuid.UUID, Profile]]:
    """(probe index, record id, canonical person id, profile) for every stored record sharing a
    blocking key with a probe. Sees what the transaction's context lets it see."""
    if not probes:
        return []
    idx, col, key = zip(*probes, strict=True)
    rows = await session.execute(_CANDIDATES, {"idx": list(idx), "col": list(col), "key": list(key)})
    return [
        (i, rid, canonical, Profile(given, family, dob, postcode, email, phone))
        for i, rid, canonical, given, family, dob, postcode, email, phone in rows
    ]


async def lock_external_refs(session: AsyncSession, org_id: uuid.UUID, refs: Sequence[str]) -> None:
    """Serialise concurrent submissions of the same external_ref (in sorted order: no deadlock)."""
    if refs:
        await session.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtextextended(CAST(:org AS text) || '/' || r, 0)) "
                "FROM unnest(CAST(:refs AS text[])) AS r ORDER BY r"
            ),
            {"org": str(org_id), "refs": sorted(set(refs))},
        )


async def records_by_external_ref(
    session: AsyncSession, org_id: uuid.UUID, refs: Sequence[str]
) -> dict[str, tuple[uuid.UUID, uuid.UUID]]:
    """external_ref → (record id, canonical person id) among the organisation's own records."""
    if not refs:
        return {}
    rows = await session.execute(
        text(
            "SELECT r.external_ref, r.id, p.canonical_id FROM person_records r JOIN people p ON p.id = r.person_id "
            "WHERE r.org_id = :org AND r.external_ref = ANY(CAST(:refs AS text[]))"
        ),
        {"org": org_id, "refs": list(refs)},
    )
    return {ref: (rid, canonical) for ref, rid, canonical in rows}


async def people_by_verified_contact(
    session: AsyncSession, values: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], uuid.UUID]:
    """(attribute, value) → canonical person holding that email or phone as a verified claim."""
    if not values:
        return {}
    attrs, vals = zip(*values, strict=True)
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (c.attribute, c.value #>> '{}') c.attribute, c.value #>> '{}', p.canonical_id "
            "FROM person_claims c JOIN people p ON p.id = c.person_id "
            "JOIN unnest(CAST(:attrs AS text[]), CAST(:vals AS text[])) AS q(a, v) "
            "ON c.attribute = q.a AND (c.value #>> '{}') = q.v "
            "WHERE c.verified AND c.attribute IN ('email', 'phone') AND p.status <> 'erased' "
            "ORDER BY c.attribute, c.value #>> '{}', c.asserted_at DESC"
        ),
        {"attrs": list(attrs), "vals": list(vals)},
    )
    return {(a, v): canonical for a, v, canonical in rows}


async def insert_people(session: AsyncSession, ids: Sequence[uuid.UUID], statuses: Sequence[str]) -> None:
    if ids:
        await session.execute(
            text(
                "INSERT INTO people (id, canonical_id, status) "
                "SELECT i, i, s FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[])) AS t(i, s)"
            ),
            {"ids": list(ids), "statuses": list(statuses)},
        )


async def org_ids_for(
    session: AsyncSession, org_id: uuid.UUID, canonical_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """canonical person id → the organisation's id for that person (preferring the one issued for
    the canonical person itself over one issued for a person since merged into it)."""
    if not canonical_ids:
        return {}
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (canonical_id) canonical_id, org_person_id FROM org_people "
            "WHERE org_id = :org AND canonical_id = ANY(CAST(:ids AS uuid[])) "
            "ORDER BY canonical_id, (person_id = canonical_id) DESC, created_at"
        ),
        {"org": org_id, "ids": list(set(canonical_ids))},
    )
    return dict(rows.all())


async def insert_org_ids(
    session: AsyncSession, org_id: uuid.UUID, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """(org person id, canonical person id) pairs to issue to the organisation."""
    if pairs:
        ids, people = zip(*pairs, strict=True)
        await session.execute(
            text(
                "INSERT INTO org_people (org_person_id, org_id, person_id, canonical_id) "
                "SELECT i, :org, p, p FROM unnest(CAST(:ids AS uuid[]), CAST(:people AS uuid[])) AS t(i, p)"
            ),
            {"org": org_id, "ids": list(ids), "people": list(people)},
        )


def _record_columns(rows: Sequence[dict[str, Any]]) -> dict[str, list]:
    columns = (
        "id",
        "person_id",
        "external_ref",
        "m_given",
        "m_family",
        "m_dob",
        "m_postcode",
        *_BLOCK_COLUMNS,
    )
    return {c: [r.get(c) for r in rows] for c in columns}


async def insert_records(
    session: AsyncSession, org_id: uuid.UUID | None, rows: Sequence[dict[str, Any]]
) -> None:
    if not rows:
        return
    cols = _record_columns(rows)
    await session.execute(
        text(
            "INSERT INTO person_records (id, person_id, org_id, external_ref, m_given, m_family, m_dob, m_postcode, "
            + ", ".join(_BLOCK_COLUMNS)
            + ") "
            "SELECT id, person_id, :org, external_ref, m_given, m_family, m_dob, m_postcode, "
            + ", ".join(_BLOCK_COLUMNS)
            + " FROM unnest("
            "CAST(:id AS uuid[]), CAST(:person_id AS uuid[]), CAST(:external_ref AS text[]), CAST(:m_given AS text[]), "
            "CAST(:m_family AS text[]), CAST(:m_dob AS date[]), CAST(:m_postcode AS text[]), "
            + ", ".join(f"CAST(:{c} AS text[])" for c in _BLOCK_COLUMNS)
            + ") AS t(id, person_id, external_ref, "
            "m_given, m_family, m_dob, m_postcode, " + ", ".join(_BLOCK_COLUMNS) + ")"
        ),
        {"org": org_id, **cols},
    )


async def update_records(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Refresh the folded attributes and blocking keys of existing records."""
    if not rows:
        return
    cols = _record_columns(rows)
    cols.pop("person_id")
    cols.pop("external_ref")
    sets = ", ".join(f"{c} = t.{c}" for c in ("m_given", "m_family", "m_dob", "m_postcode", *_BLOCK_COLUMNS))
    await session.execute(
        text(
            f"UPDATE person_records r SET {sets}, updated_at = now() FROM unnest("
            "CAST(:id AS uuid[]), CAST(:m_given AS text[]), CAST(:m_family AS text[]), CAST(:m_dob AS date[]), "
            "CAST(:m_postcode AS text[]), "
            + ", ".join(f"CAST(:{c} AS text[])" for c in _BLOCK_COLUMNS)
            + ") AS t(id, m_given, m_family, m_dob, m_postcode, "
            + ", ".join(_BLOCK_COLUMNS)
            + ") WHERE r.id = t.id"
        ),
        cols,
    )


async def upsert_claims(
    session: AsyncSession,
    org_id: uuid.UUID | None,
    sector: str,
    claims: Sequence[tuple[uuid.UUID, uuid.UUID, str, Any, bool]],
) -> None:
    """(record id, person id, attribute, value, verified): insert, or replace the record's claim."""
    if not claims:
        return
    record_ids, person_ids, attrs, values, verified = zip(*claims, strict=True)
    await session.execute(
        text(
            "INSERT INTO person_claims (record_id, attribute, person_id, org_id, source_sector, value, verified) "
            "SELECT r, a, p, :org, :sector, CAST(v AS jsonb), f FROM unnest(CAST(:records AS uuid[]), "
            "CAST(:attrs AS text[]), CAST(:people AS uuid[]), CAST(:vals AS text[]), CAST(:verified AS boolean[])) "
            "AS t(r, a, p, v, f) "
            "ON CONFLICT (record_id, attribute) DO UPDATE SET value = excluded.value, "
            "verified = excluded.verified, asserted_at = now()"
        ),
        {
            "org": org_id,
            "sector": sector,
            "records": list(record_ids),
            "attrs": list(attrs),
            "people": list(person_ids),
            "vals": [orjson.dumps(v, default=str).decode() for v in values],
            "verified": list(verified),
        },
    )


async def insert_decisions(
    session: AsyncSession, org_id: uuid.UUID | None, rows: Sequence[dict[str, Any]]
) -> None:
    if not rows:
        return
    keys = ("id", "record_id", "person_id", "candidate_id", "status", "method", "score", "explanation")
    cols = {k: [r.get(k) for r in rows] for k in keys}
    cols["explanation"] = [orjson.dumps(e).decode() if e is not None else None for e in cols["explanation"]]
    await session.execute(
        text(
            "INSERT INTO identity_decisions (id, org_id, record_id, person_id, candidate_id, status, method, score, "
            "explanation) SELECT i, :org, r, p, c, s, m, sc, CAST(e AS jsonb) FROM unnest(CAST(:id AS uuid[]), "
            "CAST(:record_id AS uuid[]), CAST(:person_id AS uuid[]), CAST(:candidate_id AS uuid[]), "
            "CAST(:status AS text[]), CAST(:method AS text[]), CAST(:score AS float8[]), "
            "CAST(:explanation AS text[])) AS t(i, r, p, c, s, m, sc, e)"
        ),
        {"org": org_id, **cols},
    )


async def organisation_sector(session: AsyncSession, org_id: uuid.UUID) -> str:
    return await session.scalar(text("SELECT sector FROM organisations WHERE id = :id"), {"id": org_id})


async def resolve_org_person(session: AsyncSession, org_person_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
    """The canonical person and its status behind an organisation's id (only the caller's own ids
    are visible, so another organisation's id finds nothing)."""
    row = (
        await session.execute(
            text(
                "SELECT p.id, p.status FROM org_people op JOIN people p ON p.id = op.canonical_id "
                "WHERE op.org_person_id = :id"
            ),
            {"id": org_person_id},
        )
    ).first()
    return (row[0], row[1]) if row else None


async def claims_of(session: AsyncSession, canonical_id: uuid.UUID) -> list[Any]:
    """Every claim about the person (all merged records) that the transaction may see."""
    rows = await session.execute(
        text(
            "SELECT c.attribute, c.value, c.source_sector, c.asserted_at, c.verified, c.org_id, c.record_id "
            "FROM person_claims c JOIN people p ON p.id = c.person_id WHERE p.canonical_id = :id"
        ),
        {"id": canonical_id},
    )
    return list(rows)


async def latest_record_of(session: AsyncSession, org_id: uuid.UUID, canonical_id: uuid.UUID) -> Any:
    return (
        await session.execute(
            text(
                "SELECT r.id, r.person_id FROM person_records r JOIN people p ON p.id = r.person_id "
                "WHERE r.org_id = :org AND p.canonical_id = :id ORDER BY r.updated_at DESC LIMIT 1"
            ),
            {"org": org_id, "id": canonical_id},
        )
    ).first()


async def record_claim_values(session: AsyncSession, record_id: uuid.UUID) -> dict[str, Any]:
    rows = await session.execute(
        text("SELECT attribute, value FROM person_claims WHERE record_id = :id"), {"id": record_id}
    )
    return dict(rows.all())


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
