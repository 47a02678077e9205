"""SQL a resolution queues on the transaction's connection while Python works: the organisation's
references looked up under their locks, the people holding a verified email or phone, and the one
statement that writes every table for a chunk of records (or for one record). A whole batch costs a
handful of statements — one lookup per kind and one write per chunk of records — however many
records. The candidates by blocking key are looked up in ``repository.py``."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import StatementQueue, queued_platform_scope, statement_queue
from app.identity.matching import Profile
from app.identity.repository import MATCH_COLUMNS, profile_columns

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
