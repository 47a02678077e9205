"""SQL for identity resolution: set-based lookups and bulk writes. A whole batch costs a handful of
statements — one lookup per kind and one statement writing every table, per chunk of records —
however many records; the chunks' statements can be queued (``queue_*``) to run while Python works."""

from __future__ import annotations

import asyncio
import re
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


# Concurrent submissions of one organisation's reference take turns on transaction-level advisory
# locks. Up to MOST_REF_LOCKS references are locked one by one, under a shared lock on the
# organisation's references as a whole; a larger set takes that lock exclusively instead. Each lock
# is an entry in PostgreSQL's shared lock table, which a stock server sizes for 6,400 (64 per
# transaction, max_locks_per_transaction, times 100 connections): three batches of 5,000
# references locked one by one filled it, and the third failed with "out of shared memory".
MOST_REF_LOCKS = 64
_ORG_REFS_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))"
_ORG_REFS_SHARED = "SELECT pg_advisory_xact_lock_shared(hashtextextended($1::text, 0))"
_REF_LOCKS = (
    "SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || r, 0)) "
    "FROM unnest($2::text[]) WITH ORDINALITY AS t(r, n) ORDER BY n"
)
# One index probe per reference (a LATERAL subquery with LIMIT is never turned into a join; a
# reference is unique within its organisation): the planner, when its statistics still count few
# records for the organisation — one loading its first batches — otherwise reads every record the
# organisation holds and filters them by the references (236 ms a batch at 355,000 records).
_REF_RECORDS = (
    "SELECT r.external_ref, r.id, p.canonical_id, r.claims::text FROM unnest($2::text[]) AS t(ref) "
    "CROSS JOIN LATERAL (SELECT id, person_id, external_ref, claims FROM person_records "
    "  WHERE org_id = $1 AND external_ref = t.ref LIMIT 1) r "
    "JOIN people p ON p.id = r.person_id"
)

ExistingRecords = dict[str, tuple[uuid.UUID, uuid.UUID, dict[str, Any]]]


def locks_organisation(refs: Sequence[str]) -> bool:
    """Whether looking up these references locks all of the organisation's (see MOST_REF_LOCKS)."""
    return len(set(refs)) > MOST_REF_LOCKS


def queue_records_by_external_ref(
    queue: StatementQueue,
    org_id: uuid.UUID,
    refs: Sequence[str],
    *,
    organisation_locked: bool | None = None,
) -> asyncio.Task:
    """external_ref → (record id, canonical person id, claims) among the organisation's own records,
    queued on the transaction's connection (the task answers the dict).

    Concurrent submissions of the same reference take turns on transaction locks: the
    organisation's references as a whole for a large set, else each reference (in sorted order, so
    two submissions cannot deadlock) under a shared lock on the whole. The lookup is a statement of
    its own, so that its snapshot sees what the one before committed. ``organisation_locked``: what
    an earlier call in the transaction took, the whole (True) or references one by one (False),
    None for the first call. After references one by one, the whole is never asked for: two
    transactions doing so at once would deadlock."""
    ordered = sorted(set(refs))
    if not ordered:
        return asyncio.ensure_future(_nothing())
    if organisation_locked:
        pass
    elif organisation_locked is None and locks_organisation(ordered):
        queue.execute(_ORG_REFS_LOCK, str(org_id))
    else:
        queue.execute(_ORG_REFS_SHARED, str(org_id))
        queue.execute(_REF_LOCKS, str(org_id), ordered)
    rows = queue.fetch(_REF_RECORDS, org_id, ordered)

    async def found() -> ExistingRecords:
        return {ref: (rid, canonical, orjson.loads(claims)) for ref, rid, canonical, claims in await rows}

    return asyncio.ensure_future(found())


async def _nothing() -> ExistingRecords:
    return {}


def _verified_holders(attribute: str) -> str:
    value = f"r.claims #>> '{{{attribute},value}}'"
    # Per person, one record: the resolving organisation's own ($2) if it holds one.
    return (
        f"SELECT DISTINCT ON ({value}, p.canonical_id) {value}, p.canonical_id, {profile_columns('r')}, "
        "r.org_id IS NOT DISTINCT FROM $2::uuid AS own, "
        "EXISTS (SELECT 1 FROM org_people o WHERE o.org_id = $2::uuid AND o.canonical_id = p.canonical_id) AS held "
        "FROM person_records r JOIN people p ON p.id = r.person_id "
        f"WHERE (r.claims #>> '{{{attribute},verified}}') = 'true' AND {value} = ANY($1::text[]) "
        # Believed only while the platform trusts the organisation that verified it (a claim made
        # before it lost that trust, or before trust existed, no longer counts).
        "AND (r.org_id IS NULL OR EXISTS (SELECT 1 FROM organisations v WHERE v.id = r.org_id AND v.verifies_identity)) "
        f"AND p.status <> 'erased' ORDER BY {value}, p.canonical_id, own DESC, r.updated_at DESC"
    )


_VERIFIED_HOLDERS = {attribute: _verified_holders(attribute) for attribute in ("email", "phone")}


class VerifiedHolder(NamedTuple):
    canonical_id: uuid.UUID
    profile: Profile  # the folded profile of the record holding the contact
    own: bool  # that record is the resolving organisation's own
    held: bool  # the organisation holds an id for the person already


VerifiedHolders = dict[tuple[str, str], list[VerifiedHolder]]


def queue_people_by_verified_contact(
    queue: StatementQueue, org_id: uuid.UUID, values: Sequence[tuple[str, str]]
) -> asyncio.Task:
    """(attribute, value) → the people holding that email or phone as a verified claim, across all
    organisations, queued on the transaction's connection (the task answers the dict). Several
    people can share one: a household's email or landline."""
    queries = []
    with queued_platform_scope(queue):
        for attribute, sql in _VERIFIED_HOLDERS.items():
            wanted = [v for a, v in values if a == attribute]
            if wanted:
                queries.append((attribute, queue.fetch(sql, wanted, org_id)))

    async def found() -> VerifiedHolders:
        holders: VerifiedHolders = defaultdict(list)
        for attribute, rows in queries:
            for value, canonical, *profile, own, held in await rows:
                holders[(attribute, value)].append(VerifiedHolder(canonical, Profile(*profile), own, held))
        return holders

    return asyncio.ensure_future(found())


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


def _positional(sql: str) -> tuple[str, list[str]]:
    """:name placeholders to asyncpg's $n, with the names in order."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return re.sub(r"(?<!:):([a-z_][a-z0-9_]*)", number, sql), names


_RECORD_COLUMNS = {  # person_records' columns a resolution writes, and their types
    "id": "uuid",
    "person_id": "uuid",
    "external_ref": "text",
    **{c: "date" if c == "m_dob" else "text" for c in MATCH_COLUMNS},
    "claims": "jsonb",
}


def _recordset(param: str, alias: str, columns: dict[str, str]) -> str:
    """``jsonb_to_recordset`` of one statement parameter, typed ``columns`` (a parameter's rows
    travel as one JSON text: asyncpg's encoding of thirty-odd typed arrays, element by element,
    cost more than the statement's own planning and more than orjson's). As jsonb, not json: the
    text is parsed once, and a jsonb column (a record's claims, a decision's explanation) is taken
    from the parsed value as it is, where ``json_to_recordset`` lexes the text, prints each such
    value back out and parses it again (a third less time for a chunk's records and decisions)."""
    return (
        f"jsonb_to_recordset(CAST(:{param} AS jsonb)) AS {alias}("
        + ", ".join(f"{c} {t}" for c, t in columns.items())
        + ")"
    )


_WRITE = _positional(
    "WITH new_people AS (INSERT INTO people (id, canonical_id, status) "
    "  SELECT id, id, status FROM " + _recordset("people", "n", {"id": "uuid", "status": "text"}) + "), "
    "offered AS (SELECT i.id, i.person_id, o.org_person_id AS held FROM "
    + _recordset("org_ids", "i", {"id": "uuid", "person_id": "uuid"})
    # One index probe per person (a LATERAL subquery with LIMIT is never turned into a join): the
    # planner, guessing a hundred rows for json_to_recordset, otherwise hashes every id the
    # organisation holds, for each chunk of each batch. The id held is the one org_ids_for answers.
    + "  LEFT JOIN LATERAL (SELECT o.org_person_id FROM org_people o WHERE o.org_id = :org "
    "    AND o.canonical_id = i.person_id ORDER BY (o.person_id = o.canonical_id) DESC, o.created_at LIMIT 1) o "
    "  ON true), "
    "new_ids AS (INSERT INTO org_people (org_person_id, org_id, person_id, canonical_id) "
    "  SELECT id, :org, person_id, person_id FROM offered WHERE held IS NULL), "
    # A new record's person is its canonical person (records are written for canonical people).
    "records AS (SELECT * FROM " + _recordset("records", "r", _RECORD_COLUMNS) + "), "
    "new_records AS (INSERT INTO person_records (org_id, source_sector, " + ", ".join(_RECORD_COLUMNS) + ") "
    "  SELECT :org, :sector, " + ", ".join(_RECORD_COLUMNS) + " FROM records), "
    "new_matches AS (INSERT INTO person_match (record_id, org_id, canonical_id, "
    + ", ".join(MATCH_COLUMNS)
    + ") "
    "  SELECT id, :org, person_id, " + ", ".join(MATCH_COLUMNS) + " FROM records), "
    "updates AS (SELECT * FROM "
    + _recordset(
        "updates", "u", {"id": "uuid", **{c: _RECORD_COLUMNS[c] for c in (*MATCH_COLUMNS, "claims")}}
    )
    + "), "
    "updated_records AS (UPDATE person_records r SET "
    + ", ".join(f"{c} = u.{c}" for c in MATCH_COLUMNS)
    + ", claims = r.claims || u.claims, updated_at = now() FROM updates u WHERE r.id = u.id), "
    "updated_matches AS (UPDATE person_match m SET "
    + ", ".join(f"{c} = u.{c}" for c in MATCH_COLUMNS)
    + " FROM updates u WHERE m.record_id = u.id), "
    "decisions AS (INSERT INTO identity_decisions (id, org_id, record_id, person_id, candidate_id, status, "
    "answered, queue, method, score, explanation) SELECT id, :org, record_id, person_id, candidate_id, status, "
    "answered, queue, method, score, explanation FROM "
    + _recordset(
        "decisions",
        "d",
        {
            "id": "uuid",
            "record_id": "uuid",
            "person_id": "uuid",
            "candidate_id": "uuid",
            "status": "text",
            "answered": "text",
            "queue": "text",
            "method": "text",
            "score": "float8",
            "explanation": "jsonb",
        },
    )
    + ") SELECT person_id, held FROM offered WHERE held IS NOT NULL"
)


async def write_resolutions(session: AsyncSession, *args: Any, **kwargs: Any) -> None:
    """:func:`queue_resolutions`, made now in the session's transaction."""
    async with statement_queue(session) as queue:
        queue_resolutions(queue, *args, **kwargs)


def queue_resolutions(
    queue: StatementQueue,
    org_id: uuid.UUID | None,
    sector: str,
    *,
    people: dict[uuid.UUID, str],
    org_ids: Sequence[tuple[uuid.UUID, uuid.UUID]],
    new_records: Sequence[dict[str, Any]],
    updated_records: Sequence[dict[str, Any]],
    decisions: Sequence[dict[str, Any]],
) -> asyncio.Task:
    """Everything a resolution writes, in one statement, queued: new people (id → status), the
    organisation's ids for people ((org person id, person id): issued only for a person the
    organisation has no id for yet), new records, re-posted records (claims merged in), and the
    decisions with their explanations. Records and decisions are dicts keyed by column. The task
    answers (person id, the organisation's id for them) for each person offered an id who had one
    already, which it keeps."""
    params: dict[str, Any] = {
        "org": org_id,
        "sector": sector,
        "people": _json([{"id": p, "status": s} for p, s in people.items()]),
        "org_ids": _json([{"id": i, "person_id": p} for i, p in org_ids]),
        "records": _json(new_records),
        "updates": _json(updated_records),
        "decisions": _json(decisions),
    }
    return queue.fetch(_WRITE[0], *(params[n] for n in _WRITE[1]))


def _json(rows: Sequence[dict[str, Any]]) -> str:
    return orjson.dumps(rows, default=str).decode()


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


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
