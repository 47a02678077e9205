"""Indicators at scale: all ten for one area and period from the roll-ups, beside the same values
computed by a full scan, in the same run.

    python scripts/indicators_bench.py [--people 100000] [--interactions 5000000] [--queries 200]

Builds a fresh database (on KITH_DATABASE_URL's server, else an embedded one), loads a synthetic
neighbourhood straight into the tables with COPY (20 wards of 8 LSOAs, 60 organisations, N
residents, M interactions over the last twelve months, person–person ties), runs the roll-up job
once in full, then times:

- the query: ``indicators.service.values`` — what GET /v1/indicators/values does after the token
  check: read the area's two roll-up rows and publish them through disclosure control — for one
  ward and the latest full month, ``--queries`` times (p50, p95, p99); and the same request to
  ``GET /v1/indicators/values`` of a ``kith serve`` process over loopback HTTP;
- the floor it is measured against: the same figures computed by a full scan of the raw tables
  (the same SQL over people, postcodes and interactions instead of the roll-ups), a few times;
- an incremental run of the job after 10,000 new interactions arrive.

It checks that both ways give the same published values, and prints one JSON report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from identity_bench import bench_client, in_fresh_database, percentile, plain, progress, start_server  # noqa: E402

from app.auth.principal import Principal  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.db import migrate  # noqa: E402
from app.db.session import Database  # noqa: E402
from app.indicators import areas, publication, service  # noqa: E402
from app.indicators.periods import Period, add_months  # noqa: E402

WARDS, LSOAS, POSTCODES = 20, 8, 6
SECTORS = ("public", "social", "commercial")
KINDS = ("visit", "purchase", "service_contact", "referral", "volunteering", "event")
CHUNK = 250_000


def lookup() -> list[str]:
    lines = ["pcds,osward,lsoa21cd,msoa21cd"]
    letters = "ABDEFGHJLN"
    for w in range(WARDS):
        for lsoa in range(LSOAS):
            for p in range(POSTCODES):
                lines.append(
                    f"ZE{w + 1} {lsoa + 1}{letters[p]}{letters[lsoa]},E0580{w:04d},E0180{w * LSOAS + lsoa:04d},"
                    f"E0280{w // 2:04d}"
                )
    return lines


async def load(url: str, settings: Settings, args) -> tuple[list[uuid.UUID], list[uuid.UUID], date]:
    rng = random.Random(args.seed)
    db = Database.connect(url, settings)
    async with db.session(platform=True) as session:
        await areas.import_lookup(session, lookup())
    await db.dispose()
    postcodes = [line.split(",")[0] for line in lookup()[1:]]
    owner = await asyncpg.connect(plain(url))
    orgs = [
        (uuid.uuid4(), f"Bench org {i}", SECTORS[i % 3], "bench", f"E0580{i % WARDS:04d}") for i in range(60)
    ]
    await owner.copy_records_to_table(
        "organisations", records=orgs, columns=["id", "name", "sector", "kind", "area_code"]
    )
    people = [uuid.uuid4() for _ in range(args.people)]
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
    progress(f"{args.people:,} residents, {len(orgs)} organisations")
    today = datetime.now(UTC).date()
    first = add_months(date(today.year, today.month, 1), -12)
    span = (date(today.year, today.month, 1) - first).days
    org_ids = [o[0] for o in orgs]
    made = 0
    while made < args.interactions:
        n = min(CHUNK, args.interactions - made)
        rows = []
        for _ in range(n):
            kind = rng.choice(KINDS)
            at = datetime(first.year, first.month, first.day, 9, tzinfo=UTC) + timedelta(
                days=rng.randrange(span), minutes=rng.randrange(600)
            )
            rows.append(
                (uuid.uuid4(), rng.choice(org_ids), people[int(rng.paretovariate(1.2)) % len(people)], kind, at,
                 rng.randint(30, 240) if kind == "volunteering" else None)
            )  # fmt: skip
        await owner.copy_records_to_table(
            "interactions",
            records=rows,
            columns=["id", "org_id", "person_id", "kind", "occurred_at", "duration_minutes"],
        )
        made += n
        progress(f"  {made:,} interactions")
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
    await owner.close()
    return people, org_ids, first


async def run(args, url: str) -> None:
    # Nothing else writes to this database, so the job need not look back before its mark (in
    # service it re-reads KITH_INDICATOR_ROLLUP_OVERLAP_SECONDS for late commits).
    settings = Settings(
        database_url=url, env="test", statement_timeout_ms=600_000, indicator_rollup_overlap_seconds=0
    )
    await migrate.upgrade(url, settings)
    people, org_ids, _first = await load(url, settings, args)
    db = Database.connect(url, settings)
    area = "E05800000"
    today = datetime.now(UTC).date()
    period = Period.containing(today, "month").previous
    operator = Principal.operator()

    progress("roll-up job, full")
    t = time.perf_counter()
    async with db.session(platform=True) as session:
        report = await service.refresh(session, settings)
    full_refresh = time.perf_counter() - t
    progress(f"  {report.cells} area-periods in {full_refresh:.1f} s")

    async def query():
        async with db.session(platform=True) as session:
            return await service.values(session, operator, settings, area, period.label)

    await query()
    timings = []
    for _ in range(args.queries):
        t = time.perf_counter()
        answer = await query()
        timings.append((time.perf_counter() - t) * 1000)

    # The same over HTTP: kith serve in its own process, over loopback (token check, rate limit,
    # the request's transaction, JSON).
    # Its background worker would otherwise start a roll-up run at once, re-reading the last five
    # minutes (all of this freshly loaded data) while the requests are timed.
    os.environ["KITH_INDICATOR_REFRESH_SECONDS"] = "0"
    server, base = await start_server(url, Path(tempfile.mkdtemp(prefix="kith-ind-bench-")))
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            _, headers = await bench_client(url, settings, client, ["indicators:read"], name="Bench analyst")
            params = {"area": area, "period": period.label}
            first = await client.get("/v1/indicators/values", params=params, headers=headers)
            assert first.status_code == 200, first.text
            http = []
            for _ in range(args.queries):
                t = time.perf_counter()
                response = await client.get("/v1/indicators/values", params=params, headers=headers)
                http.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)

    scans = []
    for _ in range(args.scans):
        t = time.perf_counter()
        async with db.session(platform=True) as session:
            raw = await service.raw_figures(session, settings, area, [period, period.previous], full=True)
        scans.append((time.perf_counter() - t) * 1000)
    _, from_scan = publication.assemble(
        settings, raw[period.label], raw[period.previous.label], period.previous.label
    )
    same = from_scan == answer["indicators"]

    rng = random.Random(args.seed + 1)
    owner = await asyncpg.connect(plain(url))
    now = datetime.now(UTC) - timedelta(hours=1)
    await owner.copy_records_to_table(
        "interactions",
        records=[
            (uuid.uuid4(), rng.choice(org_ids), rng.choice(people), "visit", now) for _ in range(10_000)
        ],
        columns=["id", "org_id", "person_id", "kind", "occurred_at"],
    )
    await owner.close()
    t = time.perf_counter()
    async with db.session(platform=True) as session:
        incremental = await service.refresh(session, settings)
    incremental_s = time.perf_counter() - t
    await db.dispose()
    print(
        json.dumps(
            {
                "people": args.people,
                "interactions": args.interactions,
                "area": area,
                "period": period.label,
                "query_ms": {
                    "p50": round(statistics.median(timings), 2),
                    "p95": round(percentile(timings, 95), 2),
                    "p99": round(percentile(timings, 99), 2),
                    "n": len(timings),
                },
                "http_ms": {
                    "p50": round(statistics.median(http), 2),
                    "p95": round(percentile(http, 95), 2),
                    "p99": round(percentile(http, 99), 2),
                    "n": len(http),
                },
                "full_scan_ms": {
                    "median": round(statistics.median(scans), 1),
                    "runs": [round(s, 1) for s in scans],
                },
                "same_published_values": same,
                "rollup_full_refresh_s": round(full_refresh, 1),
                "rollup_full_refresh_cells": report.cells,
                "rollup_incremental_after_10000_s": round(incremental_s, 2),
                "rollup_incremental_cells": incremental.cells,
            },
            indent=2,
        )
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=5_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--scans", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    await in_fresh_database(run, parser.parse_args())


if __name__ == "__main__":
    asyncio.run(main())
