"""Timeline read: ``GET /v1/people/{id}/timeline?purpose=…&limit=50`` under load (token, consent,
row-level security on every row, access log), beside a bare Starlette + asyncpg endpoint reading
the same person's 50 newest interactions by key, served the same way.

The neighbourhood: each resident is known to a council and to a café, which logged 40 and 20
contacts with them over two years; every resident granted the café ``interactions`` for
``service_delivery``, so each read shows the 50 newest of both organisations' contacts, the
council's admitted row by row by the consent policy. Measured at 1 worker process and at the run's
worker count. Afterwards the access log must hold exactly one ``timeline`` entry per successful
read.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from app.bench import reads as reads_bench
from app.bench import synthetic
from app.bench.harness import ApiClient, Bench
from app.bench.load import Request
from app.bench.report import Check, ScenarioReport
from app.bench.seed import Holding, attributes_of, copy_grants, copy_people

NAME = "timeline-read"
TARGET = "≥ 35% of the floor's requests/s at 32 concurrent"
FLOOR = "a bare Starlette + asyncpg endpoint reading the person's 50 newest interactions, served the same way"
CONCURRENCY = 32
PURPOSE = "service_delivery"
PAGE = 50
CONTACTS = {"council": 40, "cafe": 20}  # per resident
SIZES = {  # residents, seconds of load per measurement
    "full": {"people": 20_000, "seconds": 20.0},
    "quick": {"people": 2_000, "seconds": 4.0},
    "tiny": {"people": 40, "seconds": 0.5},
}


async def _seed(bench: Bench, council: ApiClient, cafe: ApiClient, owner) -> tuple[list, list]:
    """The residents, their contacts with both organisations and their grants to the café; returns
    the café's ids for them and the platform's (for the floor)."""
    residents = synthetic.records(
        synthetic.people(SIZES[bench.size]["people"], seed=24), n_sources=1, duplicates=0.0, seed=24
    )
    people = []
    for r in residents:
        values = attributes_of(r)
        own = {a: values[a] for a in ("given_name", "family_name") if a in values}
        people.append(
            [
                Holding(council.org_id, "public", f"C{r.external_ref}", values),
                Holding(cafe.org_id, "commercial", f"T{r.external_ref}", own),
            ]
        )
    with bench.step(f"{NAME}: seeding {len(people):,} residents", len(people)) as done:
        ids = await copy_people(owner, people, done)
    cafe_ids = [own[1] for own in ids]
    persons = dict(
        await owner.fetch(
            "SELECT org_person_id, canonical_id FROM org_people WHERE org_person_id = ANY($1::uuid[])",
            cafe_ids,
        )
    )
    rng = random.Random(24)
    now = datetime.now(UTC)
    rows = []
    for pid in cafe_ids:
        person = persons[pid]
        for org, n in ((council.org_id, CONTACTS["council"]), (cafe.org_id, CONTACTS["cafe"])):
            for _ in range(n):
                at = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
                rows.append((uuid.uuid4(), org, person, "visit", at, "in_person", None, at))
    with bench.step(f"{NAME}: seeding {len(rows):,} interactions"):
        columns = ["id", "org_id", "person_id", "kind", "occurred_at", "channel", "attributes", "created_at"]
        await owner.copy_records_to_table("interactions", records=rows, columns=columns)
        await owner.execute("ANALYZE interactions")
        await copy_grants(owner, cafe.org_id, cafe_ids, PURPOSE, ["interactions"])
    return cafe_ids, [persons[pid] for pid in cafe_ids]


async def run(bench: Bench) -> ScenarioReport:
    size = SIZES[bench.size]
    council = await bench.api_client("Bench council (timelines)", ["people:write"])
    cafe = await bench.api_client(
        "Bench café (timelines)", ["interactions:read"], sector="commercial", kind="business"
    )
    owner = await bench.owner()
    try:
        cafe_ids, persons = await _seed(bench, council, cafe, owner)
        with bench.step(f"{NAME}: indicator roll-ups brought up to date"):
            await bench.catch_up_rollups()
        rng = random.Random(8)
        order = rng.sample(range(len(cafe_ids)), len(cafe_ids))
        reads = [
            Request("GET", f"/v1/people/{cafe_ids[i]}/timeline?purpose={PURPOSE}&limit={PAGE}") for i in order
        ]
        floor_reads = [Request("GET", f"/interactions/{persons[i]}?limit={PAGE}") for i in order]
        load = {"concurrency": CONCURRENCY, "warmup": min(len(reads) // 4, 4 * CONCURRENCY)}
        load |= {"seconds": size["seconds"], "repeat": True}

        runs = await reads_bench.measure(
            bench,
            NAME,
            "GET /v1/people/{id}/timeline",
            cafe,
            reads,
            {"floor": floor_reads},
            load,
            CONCURRENCY,
        )
        measurements, ok_reads = runs.measurements, runs.answered
        logged = await owner.fetchval(
            "SELECT count(*) FROM access_log WHERE org_id = $1 AND action = 'timeline'", cafe.org_id
        )
    finally:
        await owner.close()

    details = {
        "residents": len(cafe_ids),
        "interactions_per_resident": sum(CONTACTS.values()),
        "page": PAGE,
        "throughput_by_workers": {str(m.workers): round(m.figures.throughput, 1) for m in measurements},
    }
    checks = [
        Check.at_least(f"ratio to floor, {m.workers} worker(s)", m.ratio_to_floor, 0.35) for m in measurements
    ]
    checks += [
        Check.at_most("failed reads", sum(m.errors for m in measurements), 0),
        Check("access-log entries = successful reads", logged, f"= {ok_reads}", logged == ok_reads),
    ]
    return ScenarioReport(NAME, TARGET, FLOOR, measurements, checks, details)
