"""Identity resolution's quality on records as case systems hold them, beside Splink in the same run.

For each corruption profile (``typical``, ``hard``: app/bench/corruption.py) and each way records
arrive — all held by one organisation (a dedupe), or each record by one of two (a linkage and
dedupe, half the records each) — the same records go through Kith's batch endpoint and through
Splink 5 with the fixed settings of app/bench/peer.py. Both are scored as pairs within clusters
against the truth: precision, recall and F1. Targets (issue 23): Kith's F1 ≥ Splink's − 0.01 at
precision ≥ 0.995; recall ≥ 0.97 on ``typical``.

Each (profile, arrival) pair draws its own population (seed ``BENCH_SEED`` plus an offset), so
that no run's people are another's; Kith matches across the whole platform, and the other runs'
records stay in the database, so a false link to a person of another run is possible and counted
only if it joins two records of this run. Beside F1: the share of records held for review (≤ 3% on
``typical``), and, for the keys alone, pairs completeness (the share of true pairs whose later
record's probes find the earlier one) and candidates per record.

Last, the records of tests/identity/test_messy_quality.py (``hard``, one organisation, the test
seed, 2,600 people: about 5,000 records) go through Kith the same way: the test checks its own
figures against the ones the bench reported for them (docs/bench/).
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date

import orjson

from app.bench import corruption, peer
from app.bench.harness import Bench
from app.bench.load import Request
from app.bench.report import Check, Figures, Measurement, ScenarioReport
from app.identity.evaluation import Quality, pair_quality
from app.identity.matching import blocking_keys, probe_keys
from app.identity.normalise import normalise
from app.identity.submissions import Submission

NAME = "identity-quality"
# Run only when named: at full size it resolves 760,000 records four times over, Splink beside.
BY_DEFAULT = False
TARGET = "F1 ≥ Splink's − 0.01 at precision ≥ 0.995 (typical, hard; one organisation and two); recall ≥ 0.97 on typical"
FLOOR = "Splink 5 on the same records and fields, same run"
SIZES = {"full": 100_000, "quick": 5_000, "tiny": 300}
PROFILES = ("typical", "hard")
BATCH = 5_000
TEST_PEOPLE = 2_600  # tests/identity/test_messy_quality.py's records: hard, one organisation, the test seed
TEST_LABEL = "hard, one organisation, test seed"


async def _kith(bench: Bench, records, label: str, sources: int) -> tuple[dict[str, str], float, float]:
    """Each record's person in Kith (record key → canonical id), after posting the records through
    POST /v1/people/batch as ``sources`` organisations; the records per second; and the share of
    records held for review."""
    server = await bench.shared_service()
    clients = [
        await bench.api_client(f"Bench {label} org {n} (identity quality)", ["people:write"])
        for n in range(sources)
    ]
    started = time.perf_counter()
    for source, client in enumerate(clients):
        mine = [r for r in records if r.source == source]
        batches = [
            Request("POST", "/v1/people/batch", orjson.dumps([r.as_payload() for r in mine[i : i + BATCH]]))
            for i in range(0, len(mine), BATCH)
        ]
        headers = await bench.bearer(server, client)
        load = await bench.drive(
            f"{NAME}: {label}, organisation {source}", server, headers, batches, concurrency=1
        )
        failed = sum(n for status, n in load.all_statuses.items() if status != 200)
        if failed:
            raise RuntimeError(f"{NAME}: {failed} batches failed")
    elapsed = time.perf_counter() - started
    owner = await bench.owner()
    try:
        rows = await owner.fetch(
            "SELECT r.org_id, r.external_ref, p.canonical_id FROM person_records r "
            "JOIN people p ON p.id = r.person_id WHERE r.org_id = ANY($1::uuid[])",
            [c.org_id for c in clients],
        )
        reviews = await owner.fetchval(
            "SELECT count(*) FROM identity_decisions WHERE org_id = ANY($1::uuid[]) AND status = 'review'",
            [c.org_id for c in clients],
        )
    finally:
        await owner.close()
    source_of = {c.org_id: n for n, c in enumerate(clients)}
    clusters = {f"{source_of[r['org_id']]}:{r['external_ref']}": str(r["canonical_id"]) for r in rows}
    return clusters, len(records) / elapsed, reviews / len(records)


def blocking_quality(records) -> dict[str, float]:
    """The keys alone, the records taken in order: pairs completeness (of the true pairs, the share
    whose later record's probe keys find the earlier record's keys) and candidates per record."""
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_truth: dict[int, list[int]] = defaultdict(list)
    found_pairs = true_pairs = candidates = 0
    for i, record in enumerate(records):
        payload = record.as_payload()
        if "date_of_birth" in payload:
            payload["date_of_birth"] = date.fromisoformat(payload["date_of_birth"])
        attributes, _errors, _dropped = normalise(payload)
        profile = Submission(attributes).profile
        keys = blocking_keys(profile)
        found = {j for probe in probe_keys(profile, keys) for j in index.get(probe, ())}
        candidates += len(found)
        for j in by_truth[record.truth_id]:
            true_pairs += 1
            found_pairs += j in found
        for column, key in keys.items():
            if key is not None:
                index[(column, key)].append(i)
        by_truth[record.truth_id].append(i)
    return {
        "pairs_completeness": round(found_pairs / true_pairs, 4) if true_pairs else 1.0,
        "candidates_per_record": round(candidates / len(records), 2) if records else 0.0,
    }


def _figures(q: Quality) -> dict[str, float]:
    return {"precision": round(q.precision, 4), "recall": round(q.recall, 4), "f1": round(q.f1, 4)}


async def run(bench: Bench) -> ScenarioReport:
    n_people = SIZES[bench.size]
    measurements: list[Measurement] = []
    checks: list[Check] = []
    details: dict[str, object] = {"people_per_run": n_people, "seed": corruption.BENCH_SEED}
    offset = 0
    for profile_name in PROFILES:
        profile = corruption.PROFILES[profile_name]
        for sources in (1, 2):
            offset += 1
            arrival = "one organisation" if sources == 1 else "two organisations"
            label = f"{profile_name}, {arrival}"
            with bench.step(f"{NAME}: {label}: records"):
                people = corruption.population(n_people, seed=corruption.BENCH_SEED * 100 + offset)
                records = corruption.records(people, profile, seed=corruption.BENCH_SEED, sources=sources)
                truth = corruption.truth_pairs(records)
            kith_clusters, rate, reviews = await _kith(bench, records, label, sources)
            with bench.step(f"{NAME}: {label}: Splink"):
                started = time.perf_counter()
                splink_clusters = peer.clusters(records, across=sources > 1)
                splink_seconds = time.perf_counter() - started
            kith_q = pair_quality(truth, kith_clusters)
            splink_q = pair_quality(truth, splink_clusters)
            keys = blocking_quality(records)
            bench.say(
                f"{NAME}: {label}: Kith {kith_q.summary()}, {reviews:.2%} of records held for review; "
                f"Splink {splink_q.summary()}; keys: {keys}"
            )
            measurements.append(
                Measurement(
                    f"{label}: F1 (Kith; floor: Splink)",
                    Figures(round(kith_q.f1, 4), "F1"),
                    Figures(round(splink_q.f1, 4), "F1"),
                )
            )
            details[label] = {
                "records": len(records),
                "true_pairs": len(truth),
                "kith": _figures(kith_q) | {"records_per_s": round(rate), "reviews_share": round(reviews, 4)},
                "splink": _figures(splink_q) | {"seconds": round(splink_seconds, 1)},
                "keys": keys,
            }
            checks.append(
                Check.at_least(f"{label}: Kith F1 − Splink F1", round(kith_q.f1 - splink_q.f1, 4), -0.01)
            )
            checks.append(Check.at_least(f"{label}: Kith precision", round(kith_q.precision, 4), 0.995))
            if profile_name == "typical":
                checks.append(Check.at_least(f"{label}: Kith recall", round(kith_q.recall, 4), 0.97))
                checks.append(Check.at_most(f"{label}: records held for review", round(reviews, 4), 0.03))
            if profile_name == "hard":
                checks.append(
                    Check.at_least(f"{label}: pairs completeness", keys["pairs_completeness"], 0.995)
                )
    if bench.size != "tiny":
        with bench.step(f"{NAME}: {TEST_LABEL}: records"):
            people = corruption.population(TEST_PEOPLE, seed=corruption.TEST_SEED)
            records = corruption.records(people, corruption.PROFILES["hard"], seed=corruption.TEST_SEED)
        kith_clusters, _rate, reviews = await _kith(bench, records, TEST_LABEL, 1)
        kith_q = pair_quality(corruption.truth_pairs(records), kith_clusters)
        bench.say(f"{NAME}: {TEST_LABEL}: Kith {kith_q.summary()}")
        details[TEST_LABEL] = {
            "people": TEST_PEOPLE,
            "seed": corruption.TEST_SEED,
            "records": len(records),
            "kith": _figures(kith_q) | {"reviews_share": round(reviews, 4)},
        }
    return ScenarioReport(NAME, TARGET, FLOOR, measurements, checks, details)
