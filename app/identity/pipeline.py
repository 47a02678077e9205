"""The resolution pipeline, a chunk of a batch at a time: each chunk's candidates looked up
(:class:`LookUp`), its records resolved by the deterministic keys and then matched in batch order
(:class:`ChunkResolver`, ``batch_matching.py``), and what they write queued as one statement
(:class:`Writer`) — every statement queued on the transaction's connection, so that PostgreSQL
looks up and writes while Python scores."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from app.core.ids import new_uuid, ordered_uuid
from app.db.session import StatementQueue, queued_platform_scope
from app.identity import repository as repo
from app.identity import resolution_repository as resolution_repo
from app.identity.batch_matching import BatchMatcher
from app.identity.matching import Parameters, Profile, rank, score
from app.identity.submissions import (
    EXTERNAL_REF_CONFLICT,
    Work,
    claims_of,
    claims_profile,
    match_columns,
    profile_columns,
)

_YIELD_EVERY = 100  # records scored between chances for the queued statements to move on


@dataclass
class LookUp:
    """Queues the candidates of a chunk's records (probe index = position in the chunk), told
    apart by the organisation resolving them: its own records, and the people it holds an id for."""

    org_id: uuid.UUID

    def __call__(self, queue: StatementQueue, chunk: list[Work]) -> asyncio.Task:
        return repo.queue_candidates(queue, [w.probes for w in chunk], self.org_id)


class ChunkResolver:
    """Resolves a batch a chunk at a time, in batch order, queuing every statement on the
    transaction's connection (``main``): deterministic keys first — the organisation's own
    external_ref (the same record again: an idempotent re-post), then an email or phone verified on
    both sides — then probabilistic matching against everyone through the blocking keys.

    The candidate lookups see no record of this batch when they run on a connection of their own
    (there the batch is uncommitted): later records of the batch find earlier ones through the
    matcher's index instead. Without a second connection a chunk's lookup is queued behind the
    earlier chunks' writes and finds those records too, under the same people: the same answer."""

    def __init__(
        self,
        main: StatementQueue,
        org_id: uuid.UUID,
        params: Parameters,
        matcher: BatchMatcher,
        writer: Writer,
        refs: Sequence[str] | None,
        lookup: LookUp,
    ) -> None:
        self.main, self.org_id, self.params = main, org_id, params
        self.matcher, self.writer, self.lookup = matcher, writer, lookup
        # Looked up now, before any write: the lookup waits for nothing else on the connection.
        self.looked_up = set(refs or ())
        self.prefetched = resolution_repo.queue_records_by_external_ref(main, org_id, refs) if refs else None
        # What the transaction has locked of the organisation's references: None, nothing yet.
        self.organisation_locked = resolution_repo.locks_organisation(refs) if refs else None
        self.existing: resolution_repo.ExistingRecords | None = None

    async def resolve(self, chunk: list[Work], lookup: asyncio.Task | None) -> None:
        await self._by_external_ref(chunk)
        await self._by_verified_contact([w for w in chunk if w.record_id is None])
        self.matcher.held.update(w.canonical_id for w in chunk if w.record_id is not None)  # type: ignore[misc]
        still_open = [(i, w) for i, w in enumerate(chunk) if w.record_id is None]
        if lookup is None and still_open:
            with queued_platform_scope(self.main):
                lookup = self.lookup(self.main, [w for _, w in still_open])
            still_open = list(enumerate(w for _, w in still_open))
        by_probe: dict[int, dict[uuid.UUID, list[tuple[Profile, bool]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for found in await lookup if lookup is not None else ():
            by_probe[found.probe][found.canonical_id].append((found.profile, found.own))
            if found.held:
                self.matcher.held.add(found.canonical_id)
        for n, (i, w) in enumerate(still_open, 1):
            self.matcher.resolve(w, by_probe.get(i, {}))
            if n % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # lets the queued statements move on meanwhile
        self.writer.queue(self.main, chunk)

    async def _by_external_ref(self, chunk: list[Work]) -> None:
        if self.existing is None:
            self.existing = await self.prefetched if self.prefetched is not None else {}
        refs = [w.submission.external_ref for w in chunk if w.submission.external_ref]
        if missing := [r for r in refs if r not in self.looked_up]:
            # Queued after the earlier chunks' writes, so it finds their records too: the same record.
            found = resolution_repo.queue_records_by_external_ref(
                self.main, self.org_id, missing, organisation_locked=self.organisation_locked
            )
            if self.organisation_locked is None:
                self.organisation_locked = resolution_repo.locks_organisation(missing)
            self.existing.update(await found)
            self.looked_up.update(missing)
        for w in chunk:
            ref = w.submission.external_ref
            if ref and ref in self.existing:
                record_id, canonical_id, claims = self.existing[ref]
                held = claims_profile(claims)
                if rank(w.profile, held, self.params)[0] == 0:
                    self._hold_conflict(w, canonical_id, held)
                    continue
                w.record_id, w.canonical_id, w.old_claims = record_id, canonical_id, claims
                w.person_id, w.method, w.stored = w.canonical_id, "external_ref", True
                w.status = w.answer = "matched"

    def _hold_conflict(self, w: Work, holder: uuid.UUID, held: Profile) -> None:
        """A reference posted again with a given name and a date of birth that both clearly
        disagree with the record holding it (SPEC §3): a case number typed against the wrong
        resident, or reused. Nothing of the record is overwritten: this one becomes a provisional
        person of its own, without the reference (the record keeps it), held for the
        organisation's reviewers beside the person holding it — ``match`` merges the two,
        ``distinct`` keeps them apart."""
        w.submission = replace(w.submission, external_ref=None)
        w.person_id = w.canonical_id = ordered_uuid()
        w.record_id = ordered_uuid()
        w.new_person = True
        w.status = w.answer = "review"
        w.method = EXTERNAL_REF_CONFLICT
        w.candidate_id = holder
        w.scored = score(w.profile, held, self.params)

    async def _by_verified_contact(self, pending: list[Work]) -> None:
        wanted = sorted(
            {
                (a, w.submission.attributes.get(a))
                for w in pending
                for a in ("email", "phone")
                if a in w.submission.verified
            }
        )
        if not wanted:
            return
        by_contact = await resolution_repo.queue_people_by_verified_contact(self.main, self.org_id, wanted)
        held = self.matcher.held
        for w in pending:
            for attribute in ("email", "phone"):
                if attribute not in w.submission.verified:
                    continue
                # A shared contact is not proof of the same person when the given name or the date
                # of birth clearly disagrees (a household's one email, twins' one phone): such
                # records go on to probabilistic matching, which can hold them for review.
                holders = [
                    (rank(w.profile, h.profile, self.params), h.canonical_id, h)
                    for h in by_contact.get((attribute, w.submission.attributes.get(attribute)), ())
                ]
                holders = [h for h in holders if h[0][0] == 2]
                # The organisation's own record holding it: one of its people. Another
                # organisation's: linked silently, unless the organisation holds an id for that
                # person already (answering it would tell whose record this is): then the
                # probabilistic steps decide, and can hold it for the platform's reviewers.
                own = [(r, c) for r, c, h in holders if h.own]
                others = [(r, c) for r, c, h in holders if not h.held and c not in held]
                if own or others:
                    w.canonical_id = w.person_id = max(own or others)[1]
                    w.status, w.answer = "matched", "matched" if own else "created"
                    w.method = f"verified_{attribute}"
                    w.record_id = ordered_uuid()
                    break


class Writer:
    """Queues what resolved records write — new people, the organisation's ids for people, records
    with their claims, decisions — one statement per chunk of records."""

    def __init__(self, org_id: uuid.UUID, sector: str) -> None:
        self.org_id = org_id
        self.sector = sector
        self.now = datetime.now(UTC).isoformat()
        self.written: dict[uuid.UUID, dict[str, Any]] = {}  # claims of the records queued so far
        self.offered: dict[uuid.UUID, uuid.UUID] = {}  # person → the organisation id queued for them
        self.statements: list[asyncio.Task] = []  # each answers the ids the organisation held already

    def queue(self, queue: StatementQueue, work: list[Work]) -> None:
        if not work:
            return
        people = {
            w.person_id: ("provisional" if w.status == "review" else "active") for w in work if w.new_person
        }
        new_records: dict[uuid.UUID, dict[str, Any]] = {}
        updated_records: dict[uuid.UUID, dict[str, Any]] = {}
        decisions = []
        for w in work:
            claims = claims_of(w.submission, self.now)
            if w.stored or w.record_id in self.written:  # a record written before: claims merged in
                # Its claims as the statements queued so far leave them (a reference can come
                # back several times in one batch).
                merged = self.written.setdefault(w.record_id, dict(w.old_claims))  # type: ignore[arg-type]
                merged.update(claims)
                row = updated_records.setdefault(w.record_id, {"id": w.record_id, "claims": {}})  # type: ignore[arg-type]
                row["claims"].update(claims)
                row.update(match_columns(merged))
            elif w.record_id in new_records:  # the same reference again later in the chunk
                row = new_records[w.record_id]
                row["claims"].update(claims)
                row.update(match_columns(row["claims"]))
            else:
                new_records[w.record_id] = {  # type: ignore[index]
                    "id": w.record_id,
                    "person_id": w.person_id,
                    "external_ref": w.submission.external_ref,
                    "claims": claims,
                    **profile_columns(w.profile, w.keys),
                }
            w.decision_id = ordered_uuid()
            decisions.append(
                {
                    "id": w.decision_id,
                    "record_id": w.record_id,
                    "person_id": w.person_id,
                    "candidate_id": w.candidate_id,
                    "status": w.status,
                    "answered": w.answer,
                    # Held for review: told so, among the organisation's own records (its reviewers);
                    # told otherwise, with another organisation's (the platform's reviewers).
                    "queue": (
                        None
                        if w.status != "review"
                        else "organisation"
                        if w.answer == "review"
                        else "platform"
                    ),
                    "method": w.method,
                    "score": w.scored.probability if w.scored else None,
                    "explanation": (
                        w.scored.explanation()
                        | ({"merge_proposed": [str(c) for c in w.merged]} if w.merged else {})
                        if w.scored
                        else None
                    ),
                }
            )
        # An id for each person new to the organisation (the statement skips those it has one for).
        # The organisation's ids are wholly random: they must say nothing, not even when they were made.
        fresh = {c: new_uuid() for c in dict.fromkeys(w.canonical_id for w in work) if c not in self.offered}
        self.offered.update(fresh)  # type: ignore[arg-type]
        statement = resolution_repo.queue_resolutions(
            queue,
            self.org_id,
            self.sector,
            people=people,  # type: ignore[arg-type]
            org_ids=[(i, c) for c, i in fresh.items()],  # type: ignore[misc]
            new_records=list(new_records.values()),
            updated_records=list(updated_records.values()),
            decisions=decisions,
        )
        self.statements.append(statement)
        for record_id, row in new_records.items():
            self.written[record_id] = dict(row["claims"])

    async def org_ids(self) -> dict[uuid.UUID, uuid.UUID]:
        """Person → the organisation's id for them, for every person queued so far, once the
        statements have answered: the id it held already, else the one issued now."""
        ids = dict(self.offered)
        for statement in self.statements:
            ids.update((person, held) for person, held in await statement)
        return ids
