"""Profile read: ``GET /v1/people/{id}?purpose=…`` under load (token check, consent check, access
log), beside a bare Starlette + asyncpg endpoint reading one row by key, served the same way.

The neighbourhood: every resident is registered by a council (a full record); a café holds its own
short record of each (names and email) and reads profiles for ``service_delivery``. Half the
residents granted the café that purpose for identity and contact, so half the reads show the
council's values too and half only the café's own. Measured at 1 worker process and at the run's
worker count, to show how throughput grows with processes; the targets are checked at the
latter. Afterwards the access log must hold exactly one entry per successful read.
"""

from __future__ import annotations

import random

from app.bench import reads as reads_bench
from app.bench import synthetic
from app.bench.harness import ApiClient, Bench
from app.bench.load import Request
from app.bench.report import Check, ScenarioReport
from app.bench.seed import Holding, attributes_of, copy_grants, copy_people

NAME = "profile-read"
TARGET = "≥ 50% of the floor's requests/s; p99 ≤ 25 ms at 32 concurrent"
FLOOR = "a bare Starlette + asyncpg endpoint reading one row by key, served by uvicorn the same way"
CONCURRENCY = 32
PURPOSE = "service_delivery"
SIZES = {  # residents, seconds of load per measurement
    "full": {"people": 100_000, "seconds": 20.0},
    "quick": {"people": 5_000, "seconds": 4.0},
    "tiny": {"people": 40, "seconds": 0.5},
}
SECOND_FLOOR = "floor reading and inserting a row"
_CAFE_ATTRIBUTES = ("given_name", "family_name", "email")
GRANTED = ["identity", "contact"]


async def _seed(bench: Bench, council: ApiClient, cafe: ApiClient, owner) -> tuple[list, list]:
    """The residents, each held by the council and the café, half of them with a grant to the
    café; returns the café's ids for them and the keys of the council's records (for the floor)."""
    residents = synthetic.records(
        synthetic.people(SIZES[bench.size]["people"], seed=21), n_sources=1, duplicates=0.0, seed=21
    )
    people = []
    with bench.step(f"{NAME}: preparing {len(residents):,} residents", len(residents)) as done:
        for n, r in enumerate(residents):
            values = attributes_of(r)
            own = {a: values[a] for a in _CAFE_ATTRIBUTES if a in values}
            people.append(
                [
                    Holding(council.org_id, "public", f"C{r.external_ref}", values),
                    Holding(cafe.org_id, "commercial", f"L{r.external_ref}", own),
                ]
            )
            if n % 1000 == 0:
                done(n)
    with bench.step(f"{NAME}: seeding", len(people)) as done:
        cafe_ids = [own[1] for own in await copy_people(owner, people, done)]
    await copy_grants(owner, cafe.org_id, cafe_ids[::2], PURPOSE, GRANTED)
    keys = await owner.fetch("SELECT id FROM person_records WHERE org_id = $1", council.org_id)
    return cafe_ids, [k["id"] for k in keys]


async def run(bench: Bench) -> ScenarioReport:
    size = SIZES[bench.size]
    council = await bench.api_client("Bench council (profiles)", ["people:write"])
    cafe = await bench.api_client(
        "Bench café (profiles)", ["people:read"], sector="commercial", kind="business"
    )
    owner = await bench.owner()
    try:
        cafe_ids, keys = await _seed(bench, council, cafe, owner)
        with bench.step(f"{NAME}: indicator roll-ups brought up to date"):
            await bench.catch_up_rollups()
        rng = random.Random(7)
        reads = [
            Request("GET", f"/v1/people/{p}?purpose={PURPOSE}") for p in rng.sample(cafe_ids, len(cafe_ids))
        ]
        floor_keys = rng.sample(keys, len(keys))
        floor_reads = [Request("GET", f"/rows/{key}") for key in floor_keys]
        logged_floor_reads = [Request("GET", f"/rows-logged/{key}") for key in floor_keys]
        load = {"concurrency": CONCURRENCY, "warmup": min(len(reads) // 4, 4 * CONCURRENCY)}
        load |= {"seconds": size["seconds"], "repeat": True}

        runs = await reads_bench.measure(
            bench,
            NAME,
            "GET /v1/people/{id}",
            cafe,
            reads,
            {"floor": floor_reads, SECOND_FLOOR: logged_floor_reads},
            load,
            CONCURRENCY,
            stack=True,
        )
        # Each answered read wrote its entry in its own statement, before it was answered.
        logged = await owner.fetchval(
            "SELECT count(*) FROM access_log WHERE org_id = $1 AND action = 'profile'", cafe.org_id
        )
    finally:
        await owner.close()

    measurements, ok_reads, logged_floors = runs.measurements, runs.answered, runs.other_floors[SECOND_FLOOR]
    at, first = measurements[-1], measurements[0]
    details = {
        "second_floor": "the same read inserting one access-log row in the same statement",
        "second_floor_requests_per_s_by_workers": {
            str(w): round(f.throughput, 1) for w, f in logged_floors.items() if f.throughput
        },
        "second_floor_p99_ms_by_workers": {str(w): f.p99_ms for w, f in logged_floors.items()},
        "ratio_to_second_floor_by_workers": {
            str(m.workers): round(m.figures.throughput / logged_floors[m.workers].throughput, 3)
            for m in measurements
            if m.figures.throughput and logged_floors[m.workers].throughput
        },
        "stack": "Kith's /healthz from the same server, the same way: its HTTP stack without work",
        "stack_requests_per_s_by_workers": {str(w): round(f.throughput, 1) for w, f in runs.stack.items()},
        "stack_ratio_to_floor_by_workers": {
            str(m.workers): round(runs.stack[m.workers].throughput / m.floor.throughput, 3)
            for m in measurements
            if m.floor.throughput and m.workers in runs.stack
        },
        "residents": len(cafe_ids),
        "grants": len(cafe_ids[::2]),
        "throughput_by_workers": {str(m.workers): round(m.figures.throughput, 1) for m in measurements},
        "growth_1_to_n_workers": round(at.figures.throughput / first.figures.throughput, 2),
        "floor_growth_1_to_n_workers": round(at.floor.throughput / first.floor.throughput, 2),
    }
    checks = [
        check
        for m in measurements
        for check in (
            Check.at_least(f"ratio to floor, {m.workers} worker(s)", m.ratio_to_floor, 0.5),
            Check.at_most(f"p99 ms at {CONCURRENCY} concurrent, {m.workers} worker(s)", m.figures.p99_ms, 25),
        )
    ]
    checks += [
        Check.at_most("failed reads", sum(m.errors for m in measurements), 0),
        Check("access-log entries = successful reads", logged, f"= {ok_reads}", logged == ok_reads),
    ]
    return ScenarioReport(NAME, TARGET, FLOOR, measurements, checks, details)
