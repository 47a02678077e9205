"""Matching a batch's records in order: each scored against its candidates and decided — the
organisation's own records first, which decide what it is told, then everyone's — where a record
can also match a person an earlier record of the same batch created, and a record that matches
several people outright proposes merging them (fragments of one person)."""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass

from app.core.ids import ordered_uuid
from app.identity.matching import Parameters, Profile, decide, rank, score
from app.identity.submissions import Work


class BatchMatcher:
    """Scores records against their candidates and decides, in batch order: a record can also match
    a person an earlier record of the same batch created, or be an earlier record's reference again.

    Twice over: against the organisation's own records alone, which decides what it is told, and
    then — only for a record none of them matches or may match — against everyone's, which
    decides whether the platform links it silently to another organisation's person, holds it for
    the platform's reviewers, or makes a new person."""

    def __init__(self, params: Parameters, match_threshold: float, review_threshold: float) -> None:
        self.params = params
        self.thresholds = (match_threshold, review_threshold)
        self.batch_index: dict[tuple[str, str], list[tuple[uuid.UUID, Profile]]] = defaultdict(list)
        self.refs_seen: dict[str, Work] = {}
        # The people the organisation holds an id for, as far as known: found so among the
        # candidates, or given to a record of this batch.
        self.held: set[uuid.UUID] = set()
        # Merges proposed, in order: made (automatic) or put to reviewers after the batch.
        self.merges: list[Proposal] = []
        # The match weight at and above which a pair matches outright (its probability ≥ the threshold).
        self.match_weight = math.log2(match_threshold / (1 - match_threshold)) - math.log2(
            params.prior / (1 - params.prior)
        )

    def resolve(self, w: Work, candidates: dict[uuid.UUID, list[tuple[Profile, bool]]]) -> None:
        """``candidates``: canonical person → the profiles of their records found, each with
        whether it is the organisation's own."""
        ref = w.submission.external_ref
        if ref and ref in self.refs_seen:  # the same external_ref twice in one batch: one record
            first = self.refs_seen[ref]
            w.canonical_id, w.person_id, w.record_id = first.canonical_id, first.person_id, first.record_id
            w.status = w.answer = "matched"
            w.method = "external_ref"
            return
        own_top: tuple[tuple[int, float], uuid.UUID, Profile] | None = None
        top: tuple[tuple[int, float], uuid.UUID, Profile] | None = None
        # Records of this batch found by the same keys are the organisation's own records too.
        # (Each once: a record of the batch found by several keys is compared once.)
        seen = {id(p): (c, p) for probe in w.probes for c, p in self.batch_index.get(probe, ())}
        earlier = [(c, (p, True)) for c, p in seen.values()]
        found = [(c, p) for c, profiles in candidates.items() for p in profiles]
        # A person any of whose records found is clearly someone else (a household member's
        # disagreement) is never joined automatically, however well another of their records
        # matches: the record would chain two people together. What the organisation is told
        # weighs its own records alone (``own_excluded``): another organisation's record must not
        # change its answer. A person every one of whose records found is the organisation's own
        # and matches the record outright is one it may merge with its best (fragments).
        excluded: set[uuid.UUID] = set()
        own_excluded: set[uuid.UUID] = set()
        not_outright: set[uuid.UUID] = set()  # a record found of them does not match outright
        foreign: set[uuid.UUID] = set()  # a record found of them is another organisation's
        for canonical, (profile, own) in found + earlier:
            ranked = rank(w.profile, profile, self.params)
            if ranked[0] == 0:
                excluded.add(canonical)
                if own:
                    own_excluded.add(canonical)
            if ranked[0] != 2 or ranked[1] < self.match_weight:
                not_outright.add(canonical)
            if not own:
                foreign.add(canonical)
            if top is None or ranked > top[0]:
                top = (ranked, canonical, profile)
            if own and (own_top is None or ranked > own_top[0]):
                own_top = (ranked, canonical, profile)
        own_scored = score(w.profile, own_top[2], self.params) if own_top is not None else None
        w.answer = decide(own_scored, *self.thresholds)
        if w.answer == "matched" and own_top[1] in own_excluded:  # type: ignore[index]
            w.answer = "review"
        if w.answer != "created":  # one of the organisation's own people, or possibly one
            w.scored, w.status, chosen = own_scored, w.answer, own_top[1]  # type: ignore[index]
        else:
            w.scored = own_scored if top is own_top else score(w.profile, top[2], self.params)  # type: ignore[index]
            w.status = decide(w.scored, *self.thresholds)
            chosen = top[1] if top is not None else None
            if w.status == "matched" and chosen in excluded:
                w.status = "review"
            elif w.status == "matched" and chosen in self.held:
                # Another organisation's record of a person this organisation holds an id for
                # already, where none of its own records matches: answering with that id would
                # tell it whose record this is. The platform's reviewers decide.
                w.status = "review"
        if w.status == "matched" and chosen not in not_outright:
            self._fragments(w, chosen, found + earlier, not_outright | excluded, foreign)  # type: ignore[arg-type]
        if w.status == "matched":
            w.canonical_id = w.person_id = chosen
        else:
            w.person_id = w.canonical_id = ordered_uuid()
            w.new_person = True
            if w.status == "review":
                w.candidate_id = chosen
        w.record_id = ordered_uuid()
        self.held.add(w.canonical_id)  # type: ignore[arg-type]
        if ref:
            self.refs_seen[ref] = w
        for column, key in w.keys.items():
            if key is not None:
                self.batch_index[(column, key)].append((w.canonical_id, w.profile))

    def _fragments(
        self,
        w: Work,
        chosen: uuid.UUID,
        found: list[tuple[uuid.UUID, tuple[Profile, bool]]],
        unmatched: set[uuid.UUID],
        foreign: set[uuid.UUID],
    ) -> None:
        """Fragments of one person: every other person every record found of whom matches the
        record outright, as the one it joins does, is one cluster with it — unless a twin's or
        household's disagreement lies between any two of their records found: the record would
        chain two people together. Merged automatically (after the batch, ``service.py``)
        where every record found of both is the organisation's own and it was told the record
        matched; otherwise (another organisation's records) proposed to the platform's reviewers.

        Every link the record makes is above the threshold; the links between the fragments
        themselves need not be (that they fall short is why they are fragments). Requiring them
        too was measured: recall −1.7 points on ``typical`` and −2.0 on ``hard`` at the same
        precision, the merges turned into reviews (+0.5% of records)."""
        others = {c for c, _ in found} - unmatched - {chosen}
        if not others:
            return
        profiles: dict[uuid.UUID, list[Profile]] = defaultdict(list)
        for c, (profile, _own) in found:
            profiles[c].append(profile)
        for other in others:
            pairs = [(rank(x, y, self.params), x, y) for x in profiles[chosen] for y in profiles[other]]
            if any(r[0] != 2 for r, _, _ in pairs):
                continue
            automatic = w.answer == "matched" and chosen not in foreign and other not in foreign
            _, x, y = max(pairs, key=lambda p: p[0])  # the pair as a reviewer would see it
            self.merges.append(Proposal(chosen, other, w, (x, y), automatic))
            if automatic:
                w.merged.append(other)


@dataclass
class Proposal:
    """A merge of two people that a record matched both of."""

    keep: uuid.UUID
    merged: uuid.UUID
    work: Work  # the record that matched both (its id known once resolved)
    pair: tuple[Profile, Profile]  # the closest two of their records, as a reviewer would compare them
    automatic: bool  # to be made without a reviewer, if it still may be after the batch
