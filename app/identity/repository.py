"""SQL for identity: the candidates sharing a blocking key with a record, each organisation's ids
for people, the people behind those ids and their records, the parameters in use, the merges a
batch proposes, and erasure. What a resolution queues chunk by chunk (references under their locks,
verified contacts, the one statement writing every table) is in ``resolution_repository.py``."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import StatementQueue, driver_connection, queued_platform_scope, statement_queue
from app.identity.matching import Profile

BLOCK_COLUMNS = (
    "bk_dob_family",
    "bk_dob_given",
    "bk_names_area",
    "bk_email",
    "bk_phone",
    "bk_family_postcode",
    "bk_given_postcode",
    "bk_line_district",
)
MATCH_COLUMNS = ("m_given", "m_family", "m_dob", "m_postcode", "m_line", "m_town", "m_uprn", *BLOCK_COLUMNS)
# The columns a matching Profile is read from, in its fields' order.
PROFILE_COLUMNS = (
    "m_given",
    "m_family",
    "m_dob",
    "m_postcode",
    "bk_email",
    "bk_phone",
    "m_line",
    "m_town",
    "m_uprn",
)


def profile_columns(alias: str) -> str:
    return ", ".join(f"{alias}.{c}" for c in PROFILE_COLUMNS)


_ORG = len(BLOCK_COLUMNS) + 1  # CANDIDATES' parameter after the key arrays: the organisation resolving

# Every stored record sharing a blocking key with the probes (one array of keys per blocking column,
# in BLOCK_COLUMNS order), from the narrow table kept for matching. Row-level security decides which
# organisations' records it sees: the caller's own, or everyone's in a platform scope. Each comes
# with whether it is a record of organisation $6 (the one resolving: its own records), and whether
# that organisation holds an id for the record's person already (its own records' people, and
# those it is linked to otherwise: a card shown, a merge). Without $6 (NULL), neither.
CANDIDATES = (
    f"SELECT c.*, c.org_id IS NOT DISTINCT FROM ${_ORG}::uuid AS own, c.org_id IS NOT DISTINCT FROM ${_ORG}::uuid "
    f"OR EXISTS (SELECT 1 FROM org_people o WHERE o.org_id = ${_ORG}::uuid AND o.canonical_id = c.canonical_id) "
    "AS held FROM ("
    + " UNION ALL ".join(
        f"SELECT '{column}'::text AS block, m.{column} AS key, m.record_id, m.canonical_id, "
        f"{profile_columns('m')}, m.org_id FROM person_match m "
        f"WHERE m.{column} = ANY(${n}::text[])"
        for n, column in enumerate(BLOCK_COLUMNS, 1)
    )
    + ") c"
)


class Candidate(NamedTuple):
    """A stored record found for a probe."""

    probe: int  # the probe's index
    record_id: uuid.UUID
    canonical_id: uuid.UUID
    profile: Profile
    own: bool  # a record of the organisation resolving
    held: bool  # that organisation holds an id for the record's person already


async def candidates(
    session: AsyncSession,
    probes: Sequence[tuple[int, str, str]],
    *,
    platform: bool,
    org_id: uuid.UUID | None = None,
) -> list[Candidate]:
    """Every stored record sharing a blocking key with a probe. ``platform``: across all
    organisations (matching); otherwise only the caller's own records (search). ``org_id``: the
    organisation whose own records and people the candidates are told apart by."""
    wanted = _wanted(probes)
    if not wanted:
        return []
    async with statement_queue(session) as queue:
        if platform:
            with queued_platform_scope(queue):
                rows = _fetch_candidates(queue, key_arrays(wanted), org_id)
        else:
            rows = _fetch_candidates(queue, key_arrays(wanted), org_id)
    return _candidates_found(await rows, wanted)


def _fetch_candidates(
    queue: StatementQueue, arrays: list[list[str]], org_id: uuid.UUID | None
) -> asyncio.Task:
    """CANDIDATES, by its indexes whatever the statistics say. Every key is selective by design,
    but a table that grew fast (a first bulk import into a new platform) has no statistics until
    autovacuum analyses it, and the planner then reads a chunk's hundreds of keys as most of the
    table: a scan of every row per key column, past the statement timeout at 200,000 records
    (measured: 11 s a chunk; 0.05 s by the indexes)."""
    queue.execute("SET LOCAL enable_seqscan = off")
    rows = queue.fetch(CANDIDATES, *arrays, org_id)
    queue.execute("SET LOCAL enable_seqscan = on")
    return rows


def queue_candidates(
    queue: StatementQueue, probes: Sequence[Iterable[tuple[str, str]]], org_id: uuid.UUID | None
) -> asyncio.Task:
    """:func:`candidates`, queued, of each probe's (column, key) pairs (probe index = position in
    ``probes``): the task answers the candidates. Across all organisations when the queue's
    connection is in a platform scope (see ``queued_platform_scope``)."""
    wanted: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, keys in enumerate(probes):
        for key in keys:
            wanted[key].append(i)
    rows = _fetch_candidates(queue, key_arrays(wanted), org_id) if wanted else None

    async def found() -> list[Candidate]:
        return _candidates_found(await rows, wanted) if rows is not None else []

    return asyncio.ensure_future(found())


def _wanted(probes: Sequence[tuple[int, str, str]]) -> dict[tuple[str, str], list[int]]:
    wanted: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, column, key in probes:
        wanted[(column, key)].append(i)
    return wanted


def key_arrays(wanted: dict[tuple[str, str], list[int]]) -> list[list[str]]:
    """The keys wanted, one array per blocking column in BLOCK_COLUMNS order."""
    arrays: dict[str, list[str]] = {column: [] for column in BLOCK_COLUMNS}
    for column, key in wanted:
        arrays[column].append(key)
    return list(arrays.values())


def _candidates_found(rows: Sequence[Any], wanted: dict[tuple[str, str], list[int]]) -> list[Candidate]:
    # A record sharing several keys with a probe comes back once per key: keep it once per probe.
    found = []
    seen: set[tuple[int, uuid.UUID]] = set()
    profiles: dict[uuid.UUID, Profile] = {}
    for column, key, rid, canonical, *columns, _org, own, held in rows:
        for i in wanted[(column, key)]:
            if (i, rid) in seen:
                continue
            seen.add((i, rid))
            profile = profiles.get(rid)
            if profile is None:
                profile = profiles[rid] = Profile(*columns)
            found.append(Candidate(i, rid, canonical, profile, own, held))
    return found


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


async def insert_person(session: AsyncSession, person_id: uuid.UUID, status: str) -> None:
    """A person of their own (their own canonical person), linked to no record yet."""
    await session.execute(
        text("INSERT INTO people (id, canonical_id, status) VALUES (:id, :id, :status)"),
        {"id": person_id, "status": status},
    )


async def mark_erased(session: AsyncSession, people_ids: list[uuid.UUID]) -> None:
    await session.execute(
        text("UPDATE people SET status = 'erased' WHERE id = ANY(CAST(:ids AS uuid[]))"), {"ids": people_ids}
    )


async def set_research_objection(session: AsyncSession, canonical: uuid.UUID, at: Any) -> None:
    await session.execute(
        text("UPDATE people SET research_objection_at = :at WHERE canonical_id = :person"),
        {"at": at, "person": canonical},
    )


async def issue_org_ids(session: AsyncSession, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Issue each organisation an id for each (canonical) person of ``pairs`` (organisation, person)
    it holds none for."""
    await session.execute(
        text(
            "INSERT INTO org_people (org_person_id, org_id, person_id, canonical_id) "
            "SELECT gen_random_uuid(), o, p, p FROM unnest(CAST(:orgs AS uuid[]), CAST(:people AS uuid[])) AS t(o, p) "
            "WHERE NOT EXISTS (SELECT 1 FROM org_people x WHERE x.org_id = t.o AND x.canonical_id = t.p) "
            "ON CONFLICT (org_id, person_id) DO NOTHING"
        ),
        {"orgs": [o for o, _ in pairs], "people": [p for _, p in pairs]},
    )


async def family_names_of_org(session: AsyncSession, org_id: uuid.UUID) -> list[str]:
    """The distinct folded surnames of the organisation's own records (for a name search that
    tolerates typos)."""
    rows = await session.execute(
        text("SELECT DISTINCT m_family FROM person_records WHERE org_id = :org AND m_family IS NOT NULL"),
        {"org": org_id},
    )
    return list(rows.scalars())


async def own_records_of(
    session: AsyncSession, org_id: uuid.UUID, org_person_ids: Sequence[uuid.UUID]
) -> list[Any]:
    """The organisation's own records of the people it knows by these ids: (org person id,
    claims, external ref), newest first."""
    if not org_person_ids:
        return []
    rows = await session.execute(
        text(
            "SELECT op.org_person_id, r.claims, r.external_ref FROM org_people op "
            "JOIN people p ON p.canonical_id = op.canonical_id "
            "JOIN person_records r ON r.person_id = p.id AND r.org_id = op.org_id "
            "WHERE op.org_id = :org AND op.org_person_id = ANY(CAST(:ids AS uuid[])) "
            "ORDER BY r.updated_at DESC"
        ),
        {"org": org_id, "ids": list(set(org_person_ids))},
    )
    return list(rows.all())


async def update_record(
    session: AsyncSession, record_id: uuid.UUID, claims: dict[str, Any], columns: dict[str, Any]
) -> None:
    """Merge new claims into a record (each attribute's claim replaced) and refresh its match columns."""
    sets = ", ".join(f"{c} = :{c}" for c in MATCH_COLUMNS)
    await session.execute(
        text(
            f"WITH matched AS (UPDATE person_match SET {sets} WHERE record_id = :id) "
            f"UPDATE person_records SET {sets}, claims = claims || CAST(:claims AS jsonb), updated_at = now() "
            "WHERE id = :id"
        ),
        {"id": record_id, "claims": orjson.dumps(claims, default=str).decode(), **columns},
    )


_SECTORS: dict[uuid.UUID, str] = {}


async def organisation_sector(session: AsyncSession, org_id: uuid.UUID) -> str:
    """An organisation's sector (fixed once registered, so kept after the first look)."""
    if org_id not in _SECTORS:
        _SECTORS[org_id] = await session.scalar(
            text("SELECT sector FROM organisations WHERE id = :id"), {"id": org_id}
        )
    return _SECTORS[org_id]


# The profile read's statements go to the driver directly: on the hottest path of the API,
# SQLAlchemy's execution machinery cost more than the queries (kith bench, profile-read).
_RESOLVE = (
    "SELECT p.id, p.status FROM org_people op JOIN people p ON p.id = op.canonical_id "
    "WHERE op.org_person_id = $1"
)
_RECORDS = (
    "SELECT r.id, r.org_id, r.source_sector, r.claims::text, r.external_ref FROM person_records r "
    "JOIN people p ON p.id = r.person_id WHERE p.canonical_id = $1"
)


class RecordRow(NamedTuple):
    id: uuid.UUID
    org_id: uuid.UUID | None
    source_sector: str
    claims: dict[str, Any]
    external_ref: str | None


async def resolve_org_person(session: AsyncSession, org_person_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
    """The canonical person and its status behind an organisation's id (only the caller's own ids
    are visible, so another organisation's id finds nothing)."""
    row = await (await driver_connection(session)).fetchrow(_RESOLVE, org_person_id)
    return (row[0], row[1]) if row else None


async def records_of(session: AsyncSession, canonical_id: uuid.UUID) -> list[RecordRow]:
    """Every record of the person (all merged people) that the transaction may see."""
    rows = await (await driver_connection(session)).fetch(_RECORDS, canonical_id)
    return [RecordRow(r[0], r[1], r[2], orjson.loads(r[3]), r[4]) for r in rows]


async def latest_record_of(session: AsyncSession, org_id: uuid.UUID, canonical_id: uuid.UUID) -> Any:
    return (
        await session.execute(
            text(
                "SELECT r.id, r.person_id, r.claims FROM person_records r JOIN people p ON p.id = r.person_id "
                "WHERE r.org_id = :org AND p.canonical_id = :id ORDER BY r.updated_at DESC LIMIT 1"
            ),
            {"org": org_id, "id": canonical_id},
        )
    ).first()


async def resident_record_of(session: AsyncSession, canonical_id: uuid.UUID) -> Any:
    """The record holding the resident's own claims about themselves, if they have made any."""
    return (
        await session.execute(
            text(
                "SELECT r.id, r.person_id, r.claims FROM person_records r JOIN people p ON p.id = r.person_id "
                "WHERE r.org_id IS NULL AND r.source_sector = 'resident' AND p.canonical_id = :id "
                "ORDER BY r.updated_at DESC LIMIT 1"
            ),
            {"id": canonical_id},
        )
    ).first()


async def adopted_parameters(session: AsyncSession) -> Any:
    """The newest adopted estimate's parameters (JSON), if any."""
    return await session.scalar(
        text("SELECT params FROM identity_parameters WHERE adopted ORDER BY id DESC LIMIT 1")
    )


# ------------------------------------------------------------------------ the merges a batch found

_CANONICAL_OF = text("SELECT id, canonical_id FROM people WHERE id = ANY(:ids)")
_LOCK_PAIR = text("SELECT id, canonical_id, status FROM people WHERE id IN (:a, :b) ORDER BY id FOR UPDATE")
# Anyone but the organisation with a record of, or an id for, anyone now part of either person.
_OTHERS_INVOLVED = text(
    "SELECT EXISTS (SELECT 1 FROM person_records r JOIN people p ON p.id = r.person_id "
    "  WHERE p.canonical_id IN (:a, :b) AND r.org_id IS DISTINCT FROM :org) "
    "OR EXISTS (SELECT 1 FROM org_people o WHERE o.canonical_id IN (:a, :b) AND o.org_id <> :org)"
)


def _between(condition: str) -> Any:
    """Whether a decision meeting ``condition`` (on ``d``) lies between anyone now part of person
    :a and anyone of person :b."""
    return text(
        "SELECT EXISTS (SELECT 1 FROM identity_decisions d "
        "JOIN people x ON x.id = d.person_id JOIN people y ON y.id = d.candidate_id "
        f"WHERE {condition} AND d.person_id IN (SELECT id FROM people WHERE canonical_id IN (:a, :b)) "
        "AND ((x.canonical_id = :a AND y.canonical_id = :b) OR (x.canonical_id = :b AND y.canonical_id = :a)))"
    )


# A merge of the two awaiting its reviewers; a reviewer's "different people" between them.
_PROPOSED = _between("d.method = 'merge_proposal' AND d.review_outcome IS NULL")
_REVIEWED_DISTINCT = _between("d.review_outcome = 'distinct'")


async def canonical_ids_of(session: AsyncSession, people_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Person → the canonical person it is part of now."""
    return dict((await session.execute(_CANONICAL_OF, {"ids": people_ids})).all())


async def lock_pair(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> Sequence[Any]:
    """The two people (id, canonical_id, status), locked in id order."""
    return (await session.execute(_LOCK_PAIR, {"a": a, "b": b})).all()


async def reviewed_distinct(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    """Whether a reviewer has said anyone of person ``a`` and anyone of ``b`` are different people."""
    return await session.scalar(_REVIEWED_DISTINCT, {"a": a, "b": b})


async def merge_proposed(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    """Whether a merge of the two awaits its reviewers."""
    return await session.scalar(_PROPOSED, {"a": a, "b": b})


async def others_involved(
    session: AsyncSession, a: uuid.UUID, b: uuid.UUID, org_id: uuid.UUID | None
) -> bool:
    """Whether any organisation but ``org_id`` holds a record of, or an id for, anyone now part of
    either person."""
    return await session.scalar(_OTHERS_INVOLVED, {"a": a, "b": b, "org": org_id})


async def insert_merge_proposal(
    session: AsyncSession,
    *,
    decision_id: uuid.UUID,
    org_id: uuid.UUID | None,
    record_id: uuid.UUID | None,
    merged: uuid.UUID,
    keep: uuid.UUID,
    queue: str,
    score: float,
    explanation: str,
) -> None:
    """A decision held for review asking whether ``merged`` and ``keep`` are one person
    (``explanation``: JSON text)."""
    await session.execute(
        text(
            "INSERT INTO identity_decisions (id, org_id, record_id, person_id, candidate_id, status, queue, "
            "method, score, explanation) VALUES (:id, :org, :record, :merged, :keep, 'review', :queue, "
            "'merge_proposal', :score, CAST(:explanation AS jsonb))"
        ),
        {
            "id": decision_id,
            "org": org_id,
            "record": record_id,
            "merged": merged,
            "keep": keep,
            "queue": queue,
            "score": score,
            "explanation": explanation,
        },
    )


# ---------------------------------------------------------------------------------------- erasure


async def forget_matching_of(session: AsyncSession, people_ids: list[uuid.UUID]) -> None:
    """The decisions that resolved the people's records, and what matching kept of them."""
    for table in ("identity_decisions", "person_match"):
        await session.execute(
            text(
                f"DELETE FROM {table} WHERE record_id IN "
                "(SELECT id FROM person_records WHERE person_id = ANY(CAST(:ids AS uuid[])))"
            ),
            {"ids": people_ids},
        )


async def org_person_ids_of(session: AsyncSession, canonical_id: uuid.UUID) -> list[uuid.UUID]:
    """Every id any organisation holds for the person (those its merged people had too)."""
    rows = await session.execute(
        text("SELECT org_person_id FROM org_people WHERE canonical_id = :p"), {"p": canonical_id}
    )
    return list(rows.scalars())


async def emails_of(session: AsyncSession, people_ids: list[uuid.UUID]) -> list[str]:
    """Every email address the people's records hold."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT claims #>> '{email,value}' FROM person_records "
            "WHERE person_id = ANY(CAST(:ids AS uuid[])) AND claims ? 'email'"
        ),
        {"ids": people_ids},
    )
    return list(rows.scalars())


async def delete_records(session: AsyncSession, people_ids: list[uuid.UUID]) -> int:
    """Every record of the people; how many."""
    deleted = await session.execute(
        text("DELETE FROM person_records WHERE person_id = ANY(CAST(:ids AS uuid[]))"), {"ids": people_ids}
    )
    return deleted.rowcount


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
