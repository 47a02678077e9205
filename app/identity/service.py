"""Identity resolution: every organisation's records of a resident resolve to the same person.

:func:`resolve` takes one record or a batch of thousands and answers each, in order, like
``POST /v1/people``: deterministic keys first (the organisation's own external_ref, then verified
email or phone), then probabilistic matching (``matching.py``). A batch is resolved set-wise — one
query per kind of lookup and one statement writing every table, per chunk of ``CHUNK`` records (500),
lookups on a second connection and writes queued on the transaction's own, so that PostgreSQL
looks up, PostgreSQL writes and Python scores at the same time — and records within a batch can
match each other.

What the organisation is told depends on its own records alone (no oracle): ``matched`` when the
record is one of its own people, ``review`` when it may be one of them (for its own reviewers),
``created`` otherwise — whether the platform then links the record silently to a person other
organisations know, holds it for the platform's reviewers, or makes a new person. Which of these
the platform did, with the score and its explanation, stays in the decision (:func:`explain`).

The pipeline's stages are ``pipeline.py`` (lookups, deterministic keys, writes) and
``batch_matching.py`` (matching in batch order); a record as submitted, ``submissions.py``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import NotFound
from app.core.ids import ordered_uuid
from app.db.session import platform_scope, side_queue, statement_queue
from app.identity import repository as repo
from app.identity import resolution_repository as resolution_repo
from app.identity.batch_matching import BatchMatcher, Proposal
from app.identity.errors import MergeRefused, PersonNotFound
from app.identity.matching import Parameters, blocking_keys, probe_keys, score
from app.identity.merges import merge
from app.identity.pipeline import ChunkResolver, LookUp, Writer
from app.identity.submissions import EXTERNAL_REF_CONFLICT, Submission, Work, match_columns


@dataclass
class Resolution:
    """What the organisation is told of one record: a function of its own records only."""

    status: str  # created | matched | review, as the organisation's own records have it
    person_id: uuid.UUID  # the organisation's own id for the person
    decision_id: uuid.UUID | None = None  # the platform's decision, for the platform (see explain)
    # Why a review: EXTERNAL_REF_CONFLICT, else None (a possible match among its own records).
    reason: str | None = None


# Records resolved per chunk: large enough that a chunk's statements cost little more than one
# batch-wide statement, small enough that the first lookup answers soon and the rest overlap.
CHUNK = 500

_PARAMS_CACHE: dict[str, Any] = {"at": 0.0, "params": None}


async def current_parameters(session: AsyncSession) -> Parameters:
    """The newest adopted estimate (cached for a minute), else the defaults."""
    if _PARAMS_CACHE["params"] is not None and time.monotonic() - _PARAMS_CACHE["at"] < 60:
        return _PARAMS_CACHE["params"]
    async with platform_scope(session):
        row = await repo.adopted_parameters(session)
    params = Parameters.from_json(row) if row else Parameters()
    _PARAMS_CACHE.update(at=time.monotonic(), params=params)
    return params


def forget_cached_parameters() -> None:
    _PARAMS_CACHE.update(at=0.0, params=None)


async def resolve(
    session: AsyncSession, principal: Principal, submissions: list[Submission]
) -> list[Resolution]:
    """Resolve each submission to a person, store the organisation's record and claims, and answer
    in the same order. Nothing is written for a batch that fails as a whole."""

    async def chunks() -> AsyncIterator[list[Submission]]:
        for i in range(0, len(submissions), CHUNK):
            yield submissions[i : i + CHUNK]

    return await resolve_chunks(session, principal, chunks(), many=len(submissions) > CHUNK)


async def resolve_chunks(
    session: AsyncSession,
    principal: Principal,
    chunks: AsyncIterable[list[Submission]],
    *,
    many: bool,
    refs: Sequence[str] | None = None,
) -> list[Resolution]:
    """:func:`resolve` for submissions that arrive a chunk at a time, such as a batch validated as
    it is resolved (``chunks`` may be a generator doing that work, letting the event loop run
    now and then); ``many``: more than one chunk is coming. ``refs``: the external refs the
    submissions may carry, known before they are validated (a superset does no harm): the records
    already holding them are looked up at once.

    A pipeline: with a second connection to be had, each chunk's candidate lookup leaves on it as
    soon as the chunk arrives; the chunk is resolved and its writes queued on the transaction's
    own connection once the next chunk has arrived (its lookup has had that long to answer), so
    that PostgreSQL looks up one chunk and writes another while Python validates and scores."""
    org_id = principal.org_id
    if org_id is None:
        raise NotFound("Only an organisation can register people.")
    settings = session.info["settings"]
    params = await current_parameters(session)
    writer = Writer(org_id, await repo.organisation_sector(session, org_id))
    matcher = BatchMatcher(params, settings.match_threshold, settings.review_threshold)
    lookup = LookUp(org_id)
    work: list[Work] = []
    async with (
        side_queue(session, wanted=many, platform=True) as side,
        statement_queue(session) as main,
    ):
        step = ChunkResolver(main, org_id, params, matcher, writer, refs, lookup)
        waiting: list[tuple[list[Work], asyncio.Task | None]] = []
        async for submissions in chunks:
            chunk = [Work(s, s.profile) for s in submissions]
            for w in chunk:
                w.keys = blocking_keys(w.profile)
                w.probes = probe_keys(w.profile, w.keys)
            work.extend(chunk)
            # Sent before the deterministic steps: a record they resolve ignores its candidates.
            waiting.append((chunk, lookup(side, chunk) if side is not None else None))
            await asyncio.sleep(0)  # sends it: PostgreSQL looks up while the next chunk arrives
            if len(waiting) > 1:
                await step.resolve(*waiting.pop(0))
        for chunk, lookup in waiting:
            await step.resolve(chunk, lookup)
    if matcher.merges:
        await _merge_fragments(session, principal, matcher.merges, params)
    if not work:
        return []
    org_ids = await writer.org_ids()
    results = [
        Resolution(
            w.answer,
            org_ids[w.canonical_id],  # type: ignore[index]
            w.decision_id,
            EXTERNAL_REF_CONFLICT if w.method == EXTERNAL_REF_CONFLICT else None,
        )
        for w in work
    ]
    counts: dict[str, int] = defaultdict(int)
    for r in results:
        counts[r.status] += 1  # what the organisation was told
    audit.record(
        session,
        principal,
        "people.resolved",
        "person_records",
        None,
        {"records": len(results), **counts, "person_ids": [str(r.person_id) for r in results[:1000]]},
    )
    return results


async def _merge_fragments(
    session: AsyncSession, principal: Principal, proposals: Sequence[Proposal], params: Parameters
) -> None:
    """Make or propose the merges a batch found (each: a record matched two people outright), in
    order. Made as :func:`merge` makes them (reversible, explained, the organisation told in its
    own ids) where the matcher found it automatic and it still is: both still people of their
    own, neither awaiting a review, every record and every id of both this organisation's
    (another's records or ids would let one organisation's records decide what another's consent
    covers). Otherwise put to reviewers — the organisation's, or the platform's where another
    organisation is involved — once for a pair. Neither where a reviewer has said they are
    different people. Each in a savepoint: a merge that meets a concurrent one (a deadlock, a
    lock not had) is left undone, the batch kept."""
    org = principal.org_id
    async with platform_scope(session):
        for p in proposals:
            current = await repo.canonical_ids_of(session, [p.keep, p.merged])
            keep, merged = current.get(p.keep), current.get(p.merged)
            if keep is None or merged is None or keep == merged:
                continue
            try:
                async with session.begin_nested():
                    rows = await repo.lock_pair(session, keep, merged)
                    if len(rows) != 2 or any(r.status != "active" or r.canonical_id != r.id for r in rows):
                        continue
                    if await repo.reviewed_distinct(session, keep, merged):
                        continue
                    others = await repo.others_involved(session, keep, merged, org)
                    if p.automatic and not others:
                        await merge(session, principal, keep, merged, reason="automatic", org_id=org)
                    elif not await repo.merge_proposed(session, keep, merged):
                        queue = "platform" if others else "organisation"
                        await _propose(session, principal, p, keep, merged, queue, params)
            except MergeRefused:
                continue
            except DBAPIError as exc:  # a deadlock or lock timeout with a concurrent merge
                if getattr(exc.orig, "sqlstate", None) not in ("40P01", "55P03", "57014"):
                    raise
                continue


async def _propose(
    session: AsyncSession,
    principal: Principal,
    p: Proposal,
    keep: uuid.UUID,
    merged: uuid.UUID,
    queue: str,
    params: Parameters,
) -> None:
    """A review asking whether ``merged`` and ``keep`` are one person, explained by the closest
    two of their records; the organisation is told nothing of it (its answer was the record's)."""
    scored = score(*p.pair, params)
    decision_id = ordered_uuid()
    await repo.insert_merge_proposal(
        session,
        decision_id=decision_id,
        org_id=principal.org_id,
        record_id=p.work.record_id,
        merged=merged,
        keep=keep,
        queue=queue,
        score=scored.probability,
        explanation=orjson.dumps(scored.explanation() | {"matched_both": str(p.work.record_id)}).decode(),
    )
    audit.record(
        session, principal, "identity.merge_proposed", "identity_decision", decision_id, {"queue": queue}
    )


async def person_of_org(session: AsyncSession, org_person_id: uuid.UUID) -> uuid.UUID:
    """The canonical person behind one of the caller's own ids: 404 for another organisation's id
    (row-level security hides it), an unknown one, or an erased person."""
    found = await repo.resolve_org_person(session, org_person_id)
    if found is None or found[1] == "erased":
        raise PersonNotFound(f"No person {org_person_id}.")
    return found[0]


async def org_person_id(session: AsyncSession, org_id: uuid.UUID, canonical_id: uuid.UUID) -> uuid.UUID:
    """The organisation's id for the (canonical) person, issued now if it had none."""
    ids = await repo.org_ids_for(session, org_id, [canonical_id])
    if canonical_id in ids:
        return ids[canonical_id]
    await repo.issue_org_ids(session, [(org_id, canonical_id)])
    return (await repo.org_ids_for(session, org_id, [canonical_id]))[canonical_id]


async def issue_org_ids(session: AsyncSession, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Each organisation's id for each (canonical) person of ``pairs`` (organisation, person),
    issued where it holds none (in bulk: the demo's neighbourhood)."""
    await repo.issue_org_ids(session, pairs)


async def write_claims(
    session: AsyncSession,
    org_id: uuid.UUID | None,
    canonical_id: uuid.UUID,
    claims: dict[str, dict[str, Any]],
) -> None:
    """Claims asserted about a person by an organisation (``org_id``) or by the resident themselves
    (None): merged into the asserter's latest record of the person (each attribute's claim
    replaced), or written as a record of its own when it has none (a person the organisation
    knows only through a merge, a resident's first correction)."""
    if org_id is None:
        record, sector = await repo.resident_record_of(session, canonical_id), "resident"
    else:
        record = await repo.latest_record_of(session, org_id, canonical_id)
        sector = await repo.organisation_sector(session, org_id)
    await _write_claims(session, org_id, sector, record, canonical_id, claims)


async def _write_claims(
    session: AsyncSession,
    org_id: uuid.UUID | None,
    sector: str,
    record: Any,
    canonical_id: uuid.UUID,
    claims: dict[str, dict[str, Any]],
) -> None:
    if record is not None:
        await repo.update_record(session, record.id, claims, match_columns({**record.claims, **claims}))
        return
    await resolution_repo.write_resolutions(
        session,
        org_id,
        sector,
        people={},
        org_ids=[],
        updated_records=[],
        decisions=[],
        new_records=[
            {"id": uuid.uuid4(), "person_id": canonical_id, "claims": claims, **match_columns(claims)}
        ],
    )


async def register_resident(session: AsyncSession, claims: dict[str, dict[str, Any]]) -> uuid.UUID:
    """A new person holding only the resident's own claims, matched against no one (the portal's
    registration: proving an email address must not link anyone to others' records)."""
    person_id = uuid.uuid4()
    await repo.insert_person(session, person_id, "active")
    await _write_claims(session, None, "resident", None, person_id, claims)
    return person_id


async def new_ghost(session: AsyncSession) -> uuid.UUID:
    """An erased person of its own, linked to no one: what an erased person's interactions and ties
    with organisations belong to from then on, so that what points at it still points at a row."""
    ghost = uuid.uuid4()
    await repo.insert_person(session, ghost, "erased")
    return ghost


async def mark_erased(session: AsyncSession, people_ids: list[uuid.UUID]) -> None:
    """The person kept only as erased ids (platform scope)."""
    await repo.mark_erased(session, people_ids)


async def set_research_objection(session: AsyncSession, canonical: uuid.UUID, at: Any) -> None:
    """Record (or, with None, lift) the person's objection to research."""
    await repo.set_research_objection(session, canonical, at)


async def forget_matching_of(session: AsyncSession, people_ids: list[uuid.UUID]) -> None:
    """At erasure (platform scope), before the records go: the decisions that resolved the
    person's records and what matching kept of them."""
    await repo.forget_matching_of(session, people_ids)


async def org_person_ids_of(session: AsyncSession, canonical_id: uuid.UUID) -> list[uuid.UUID]:
    """Every id any organisation holds for the person (those its merged people had too)."""
    return await repo.org_person_ids_of(session, canonical_id)


async def emails_of(session: AsyncSession, people_ids: list[uuid.UUID]) -> list[str]:
    """Every email address the person's records hold (platform scope)."""
    return await repo.emails_of(session, people_ids)


async def forget_records(session: AsyncSession, people_ids: list[uuid.UUID]) -> int:
    """At erasure (platform scope): every record of the person, with the decisions that resolved
    them and what matching kept of them; how many records."""
    await forget_matching_of(session, people_ids)
    return await repo.delete_records(session, people_ids)
