"""Replay Kith's matcher on the corruption model in memory, without a database: for tuning and for
reading where links are lost (blocking, the disagreement rules, the threshold).

    .venv/bin/python scripts/identity_replay.py --profile typical --people 5000 --seed 2301

Runs the batch matcher of app/identity/service.py over every record in order, as one organisation
posting them in one batch (each record's candidates are the earlier records its probe keys find),
and prints precision, recall and F1 of the clusters, pairs completeness (the share of true pairs
whose later record's probes find the earlier one), and the commonest comparison patterns of the
pairs it found but did not link. Never tune on ``corruption.HELD_OUT_SEED``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter, defaultdict
from datetime import date

from app.bench import corruption
from app.identity.evaluation import pair_quality
from app.identity.matching import Parameters, blocking_keys, decide, probe_keys, score
from app.identity.normalise import normalise
from app.identity.service import Submission, _BatchMatcher, _Work


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="typical", choices=sorted(corruption.PROFILES))
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=corruption.TEST_SEED)
    parser.add_argument("--match", type=float, default=0.99)
    parser.add_argument("--review", type=float, default=0.8)
    parser.add_argument("--patterns", type=int, default=25)
    args = parser.parse_args()
    if args.seed == corruption.HELD_OUT_SEED:
        print("(the held-out seed: measure, do not tune)", file=sys.stderr)

    people = corruption.population(args.people, seed=args.seed)
    recs = corruption.records(people, corruption.PROFILES[args.profile], seed=args.seed)
    truth = corruption.truth_pairs(recs)
    params = Parameters()
    matcher = _BatchMatcher(params, args.match, args.review)
    work: list[_Work] = []
    started = time.perf_counter()
    for r in recs:
        payload = r.as_payload()
        if "date_of_birth" in payload:
            payload["date_of_birth"] = date.fromisoformat(payload["date_of_birth"])
        attrs, errors, _dropped = normalise(payload)
        if errors:
            print("refused:", r.external_ref, [str(e) for e in errors], file=sys.stderr)
            continue
        s = Submission(attrs, external_ref=r.external_ref)
        w = _Work(s, s.profile)
        w.keys = blocking_keys(w.profile)
        w.probes = probe_keys(w.profile, w.keys)
        matcher.resolve(w, {})
        w.truth = r.truth_id  # type: ignore[attr-defined]
        w.key = f"{r.source}:{r.external_ref}"  # type: ignore[attr-defined]
        work.append(w)
    elapsed = time.perf_counter() - started
    # The merges the batch proposed, made as the service makes them after it (all records are one
    # organisation's here, and no reviewer has decided anything).
    parent: dict = {}

    def root(c):
        while c in parent:
            c = parent[c]
        return c

    for p in matcher.merges:
        if p.automatic and root(p.keep) != root(p.merged):
            parent[root(p.merged)] = root(p.keep)
    clusters = {w.key: str(root(w.canonical_id)) for w in work}  # type: ignore[attr-defined]
    q = pair_quality(truth, clusters)
    statuses = Counter(w.status for w in work)
    members: dict[str, list[_Work]] = defaultdict(list)
    for w in work:
        members[str(root(w.canonical_id))].append(w)
    false_links: Counter = Counter()
    for group in members.values():
        for x, y in itertools.combinations(group, 2):
            if x.truth != y.truth:  # type: ignore[attr-defined]
                s = score(x.profile, y.profile, params)
                false_links[(s.rule, tuple(s.levels.values()))] += 1
    print(f"{args.profile}, {args.people} people, seed {args.seed}: {len(work)} records in {elapsed:.1f}s")
    print(
        f"  {q.summary()}; statuses {dict(statuses)}; reviews {statuses['review'] / len(work):.2%} of records"
    )

    print("  false links (rule, levels):")
    for key, n in false_links.most_common(args.patterns):
        print(f"    {n:5d}  {key}")
    # Pairs completeness, and what the pairwise decision would be for each true pair.
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, w in enumerate(work):
        for column, key in w.keys.items():
            if key is not None:
                index[(column, key)].append(i)
    by_truth: dict[int, list[int]] = defaultdict(list)
    for i, w in enumerate(work):
        by_truth[w.truth].append(i)  # type: ignore[attr-defined]
    blocked = missed_blocking = 0
    outcomes: Counter = Counter()
    patterns: Counter = Counter()
    candidates = 0
    unblocked: Counter = Counter()
    for i, w in enumerate(work):
        found = {j for probe in w.probes for j in index.get(probe, ()) if j < i}
        candidates += len(found)
        for j in by_truth[w.truth]:  # type: ignore[attr-defined]
            if j >= i:
                continue
            if j not in found:
                missed_blocking += 1
                s = score(w.profile, work[j].profile, params)
                would = decide(s, args.match, args.review)
                extra = [
                    name
                    for name, key in _extra_keys(w.profile).items()
                    if key and key in _extra_keys(work[j].profile).values()
                ]
                unblocked[(would, tuple(extra))] += 1
                continue
            blocked += 1
            s = score(w.profile, work[j].profile, params)
            outcome = decide(s, args.match, args.review)
            outcomes[outcome] += 1
            if outcome != "matched":
                pattern = tuple(s.levels[a] for a in ("given", "family", "dob", "address", "email", "phone"))
                patterns[(outcome, s.rule, round(s.probability, 2) if s.rule is None else None, pattern)] += 1
    pairs = blocked + missed_blocking
    print(
        f"  pairs completeness {blocked / pairs:.4f} ({missed_blocking} of {pairs} true pairs never compared); "
        f"candidates per record {candidates / len(work):.1f}"
    )
    print(f"  true pairs compared, decided pairwise: {dict(outcomes)}")
    print("  commonest patterns not matched (outcome, rule, p, given/family/dob/postcode/email/phone):")
    for key, n in patterns.most_common(args.patterns):
        print(f"    {n:5d}  {key}")
    print("  never compared: (decision if compared, extra keys that would find it)")
    for key, n in unblocked.most_common(args.patterns):
        print(f"    {n:5d}  {key}")
    return 0


def _extra_keys(p):
    from app.identity.matching import phonetic

    names = sorted(phonetic(n) for n in (p.given, p.family) if n)
    return {
        "dob": f"d{p.dob}" if p.dob else None,
        "postcode": f"p{p.postcode}" if p.postcode else None,
        "names": "n" + "|".join(names) if len(names) == 2 else None,
        "line": f"l{p.line}|{p.postcode.split(' ')[0] if p.postcode else p.town}"
        if p.line and p.line[0] != "|"
        else None,
        "email": p.email,
        "phone": p.phone,
    }


if __name__ == "__main__":
    sys.exit(main())
