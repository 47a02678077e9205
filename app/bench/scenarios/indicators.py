"""Indicators: all ten for one area and period, over HTTP, read from the incrementally maintained
roll-ups, beside the same figures computed by a full scan of the raw tables in the same run.

The neighbourhood goes straight into the tables with COPY: 20 wards of 8 LSOAs, 60 organisations
across the three sectors, the residents (each with a postcode), interactions over the last twelve
months (a few residents very active, most not) and a person–person tie for a third of them. The
roll-up job then runs once in full (timed), and ``GET /v1/indicators/values`` is asked for one ward
and the last full month, one request at a time (the target is a latency). The published values must
equal those computed from the full scan.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx

from app.bench.harness import Bench
from app.bench.load import Request
from app.bench.report import Check, Figures, Measurement, ScenarioReport
from app.db.session import Database
from app.indicators import areas, service
from app.indicators.periods import Period, add_months

NAME = "indicators"
TARGET = "all ten for one area and period ≤ 50 ms p95 with 100,000 residents and 5,000,000 interactions"
FLOOR = "the same figures computed by a full scan of the raw tables (no roll-ups)"
SIZES = {  # residents, interactions, seconds of requests, full scans
    "full": {"people": 100_000, "interactions": 5_000_000, "seconds": 10.0, "scans": 3},
    "quick": {"people": 5_000, "interactions": 100_000, "seconds": 2.0, "scans": 2},
    "tiny": {"people": 300, "interactions": 3_000, "seconds": 0.5, "scans": 1},
}
WARDS, LSOAS, POSTCODES = 20, 8, 6
SECTORS = ("public", "social", "commercial")
KINDS = ("visit", "purchase", "service_contact", "referral", "volunteering", "event")
CHUNK = 250_000
AREA = "E05800000"


def lookup() -> list[str]:
    """A postcode lookup in NSPL's columns for the benchmark's wards, LSOAs and MSOAs."""
    lines = ["pcds,osward,lsoa21cd,msoa21cd"]
    letters = "ABDEFGHJLN"
    for w in range(WARDS):
        for lsoa in range(LSOAS):
            for p in range(POSTCODES):
                lines.append(
                    f"ZE{w + 1} {lsoa + 1}{letters[p]}{letters[lsoa]},E0580{w:04d},"
                    f"E0180{w * LSOAS + lsoa:04d},E0280{w // 2:04d}"
                )
    return lines


async def _seed(bench: Bench, owner, db: Database, size: dict) -> None:
    rng = random.Random(5)
    async with db.session(platform=True) as session:
        await areas.import_lookup(session, lookup())
    postcodes = [line.split(",")[0] for line in lookup()[1:]]
    orgs = [
        (uuid.uuid4(), f"Bench org {i}", SECTORS[i % 3], "bench", f"E0580{i % WARDS:04d}") for i in range(60)
    ]
    await owner.copy_records_to_table(
        "organisations", records=orgs, columns=["id", "name", "sector", "kind", "area_code"]
    )
    people = [uuid.uuid4() for _ in range(size["people"])]
    registered = datetime(2024, 1, 1, tzinfo=UTC)
    await owner.copy_records_to_table(
        "people",
        records=[(p, p, "active", registered) for p in people],
        columns=["id", "canonical_id", "status", "created_at"],
    )
    await owner.copy_records_to_table(
        "person_records",
        records=[(uuid.uuid4(), p, rng.choice(postcodes), "public", "{}") for p in people],
        columns=["id", "person_id", "m_postcode", "source_sector", "claims"],
    )
    today = datetime.now(UTC).date()
    first = add_months(date(today.year, today.month, 1), -12)
    span = (date(today.year, today.month, 1) - first).days
    org_ids = [o[0] for o in orgs]
    made = 0
    with bench.step(f"{NAME}: seeding {size['interactions']:,} interactions", size["interactions"]) as done:
        while made < size["interactions"]:
            n = min(CHUNK, size["interactions"] - made)
            rows = []
            for _ in range(n):
                kind = rng.choice(KINDS)
                at = datetime(first.year, first.month, first.day, 9, tzinfo=UTC) + timedelta(
                    days=rng.randrange(span), minutes=rng.randrange(600)
                )
                who = people[int(rng.paretovariate(1.2)) % len(people)]
                minutes = rng.randint(30, 240) if kind == "volunteering" else None
                rows.append((uuid.uuid4(), rng.choice(org_ids), who, kind, at, minutes))
            await owner.copy_records_to_table(
                "interactions",
                records=rows,
                columns=["id", "org_id", "person_id", "kind", "occurred_at", "duration_minutes"],
            )
            made += n
            done(made)
    ties = [
        (
            uuid.uuid4(),
            org_ids[0],
            "person_person",
            "friend",
            a,
            rng.choice(people),
            date(2024, 6, 1),
            '{"kind": "verbal"}',
        )
        for a in rng.sample(people, len(people) // 3)
    ]
    await owner.copy_records_to_table(
        "relationships",
        records=ties,
        columns=["id", "org_id", "kind", "type", "person_id", "other_person_id", "started_on", "evidence"],
    )
    await owner.execute("ANALYZE")


async def run(bench: Bench) -> ScenarioReport:
    size = SIZES[bench.size]
    analyst = await bench.api_client("Bench analyst", ["indicators:read"], kind="partnership")
    # Nothing else writes to this database: the job need not look back before its mark, and no job
    # runs in the server while it is timed.
    settings = bench.settings.model_copy(
        update={"statement_timeout_ms": 3_600_000, "indicator_rollup_overlap_seconds": 0}
    )
    db = Database.connect(bench.url, settings)
    owner = await bench.owner()
    period = Period.containing(service.today(), "month").previous
    try:
        await _seed(bench, owner, db, size)
        with bench.step(f"{NAME}: roll-up job, first run"):
            started = time.perf_counter()
            async with db.session(platform=True) as session:
                job = await service.refresh(session, settings)
            refresh_s = time.perf_counter() - started

        async with bench.service(bench.workers, {"KITH_INDICATOR_REFRESH_SECONDS": "0"}) as server:
            path = f"/v1/indicators/values?area={AREA}&period={period.label}"
            headers = await bench.bearer(server, analyst)
            served = await bench.drive(
                f"{NAME}: GET /v1/indicators/values, one at a time",
                server,
                headers,
                [Request("GET", path)] * 20,
                concurrency=1,
                warmup=5,
                seconds=size["seconds"],
                repeat=True,
            )
            async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
                answer = (await http.get(path)).json()

        async with db.session(platform=True) as session:
            rolled = await service.raw_figures(session, settings, AREA, [period, period.previous], full=False)
        scans = []
        with bench.step(f"{NAME}: floor, full scans", size["scans"]) as done:
            for n in range(size["scans"]):
                started = time.perf_counter()
                async with db.session(platform=True) as session:
                    raw = await service.raw_figures(
                        session, settings, AREA, [period, period.previous], full=True
                    )
                scans.append((time.perf_counter() - started) * 1000)
                done(n + 1)
    finally:
        await owner.close()
        await db.dispose()

    # What is published is a pure function of the roll-up's figures (publication.publish_cells, over
    # every area of the period at once): the roll-up must hold what a full scan finds.
    same = rolled == raw and len(answer.get("indicators", [])) == 10
    measurement = Measurement(
        "GET /v1/indicators/values, one area and month",
        Figures.of_load(served, "requests"),
        # A full scan takes seconds: its latency, not a rate, is the comparison (throughput None).
        Figures.of(scans, None, "computations"),
        concurrency=1,
        workers=bench.workers,
        errors=served.count - served.statuses.get(200, 0),
    )
    checks = [
        Check.at_most("p95 ms, all ten for one area and period", measurement.figures.p95_ms, 50),
        Check.at_most("failed requests", measurement.errors, 0),
        Check("roll-up's figures = the full scan's", int(same), "= 1", same),
    ]
    details = {
        "residents": size["people"],
        "interactions": size["interactions"],
        "area": AREA,
        "period": period.label,
        "rollup_first_run_s": round(refresh_s, 1),
        "rollup_cells": job.cells,
        "full_scan_ms": [round(s, 1) for s in scans],
        "full_scan_over_p95": round(statistics.median(scans) / measurement.figures.p95_ms)
        if measurement.figures.p95_ms
        else None,
    }
    return ScenarioReport(NAME, TARGET, FLOOR, [measurement], checks, details)
