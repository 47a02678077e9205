"""Interaction batch ingest over HTTP, beside its floor measured in the same run.

    python scripts/ingest_bench.py [--people 20000] [--batches 10] [--batch-size 10000]

Builds a fresh database (on KITH_DATABASE_URL's server, else an embedded one in a temporary
directory), starts ``kith serve`` in its own process, registers N residents for one organisation
through the API, then posts batches of interactions for them to ``POST /v1/interactions/batch``
(token check, validation, the person-link check, de-duplication, the write and commit) and reports
interactions/s. The floor is asyncpg's ``copy_records_to_table`` of the same rows straight into
the interactions table, as the table's owner, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from app.db import migrate  # noqa: E402
from app.identity import synthetic  # noqa: E402
from scripts.identity_bench import bench_client, in_fresh_database, plain, progress, start_server  # noqa: E402

KINDS = ("visit", "purchase", "service_contact", "volunteering", "event")
CHANNELS = ("in_person", "phone", "online")


def interactions(person_ids: list[str], n: int, rng: random.Random, tag: str) -> list[dict]:
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        kind = rng.choice(KINDS)
        item = {
            "person_id": rng.choice(person_ids),
            "kind": kind,
            "occurred_at": (now - timedelta(minutes=rng.randint(1, 500_000))).isoformat(),
            "channel": rng.choice(CHANNELS),
            "area_code": f"E0{rng.randint(1000000, 1000200)}",
            "external_id": f"{tag}-{i}",
        }
        if kind == "purchase":
            item["value_pence"] = rng.randint(50, 5000)
        if kind == "volunteering":
            item["duration_minutes"] = rng.randint(30, 240)
        out.append(item)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1, help="kith serve worker processes")
    parser.add_argument("--concurrency", type=int, default=1, help="batches in flight at once")
    args = parser.parse_args()
    await in_fresh_database(run, args)


async def run(args, url: str) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="kith-bench-data-"))
    settings = Settings(database_url=url, data_dir=data_dir)
    await migrate.upgrade(url, settings)
    rng = random.Random(args.seed)
    server, base = await start_server(url, data_dir, args.workers)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=300) as client:
            org_id, headers = await bench_client(
                url,
                settings,
                client,
                ["people:write", "interactions:write"],
                name="Bench high street",
                sector="commercial",
                kind="shop",
            )
            headers["content-type"] = "application/json"

            progress(f"registering {args.people:,} residents")
            recs = synthetic.records(
                synthetic.people(args.people, seed=args.seed), n_sources=1, duplicates=0.0
            )
            person_ids: list[str] = []
            for start in range(0, len(recs), 5000):
                payload = [r.as_payload() for r in recs[start : start + 5000]]
                answer = await client.post("/v1/people/batch", content=orjson.dumps(payload), headers=headers)
                assert answer.status_code == 200, answer.text[:300]
                person_ids += [r["person_id"] for r in answer.json()["results"] if r.get("person_id")]

            batches = [
                interactions(person_ids, args.batch_size, rng, f"b{b}") for b in range(args.batches + 1)
            ]
            bodies = [orjson.dumps(b) for b in batches]
            progress(
                f"posting {args.batches} batches of {args.batch_size:,} interactions, {args.concurrency} at a time "
                "(after one to warm up)"
            )

            async def post(body: bytes) -> None:
                answer = await client.post("/v1/interactions/batch", content=body, headers=headers)
                assert answer.status_code == 200 and answer.json()["accepted"] == args.batch_size, (
                    answer.text[:300]
                )

            await post(bodies[0])
            gate = asyncio.Semaphore(args.concurrency)

            async def timed(body: bytes) -> None:
                async with gate:
                    await post(body)

            t = time.perf_counter()
            await asyncio.gather(*(timed(b) for b in bodies[1:]))
            rate = args.batches * args.batch_size / (time.perf_counter() - t)
            progress(f"  {rate:,.0f} interactions/s")

            progress("floor: copy_records_to_table of the same rows")
            owner = await asyncpg.connect(plain(url))
            canonical = dict(
                await owner.fetch(
                    "SELECT org_person_id, canonical_id FROM org_people WHERE org_id = $1", org_id
                )
            )
            floors = []
            for b, items in enumerate(batches):
                records = [
                    (
                        uuid.uuid4(),
                        org_id,
                        canonical[uuid.UUID(i["person_id"])],
                        i["kind"],
                        datetime.fromisoformat(i["occurred_at"]),
                        i["channel"],
                        i["area_code"],
                        i.get("value_pence"),
                        i.get("duration_minutes"),
                        f"floor-{i['external_id']}",
                    )
                    for i in items
                ]
                t = time.perf_counter()
                await owner.copy_records_to_table(
                    "interactions",
                    records=records,
                    columns=[
                        "id",
                        "org_id",
                        "person_id",
                        "kind",
                        "occurred_at",
                        "channel",
                        "area_code",
                        "value_pence",
                        "duration_minutes",
                        "external_id",
                    ],
                )
                elapsed = time.perf_counter() - t
                if b:
                    floors.append(len(records) / elapsed)
            await owner.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    floor = statistics.median(floors)
    print(
        f"\nInteraction batch ingest, {args.batches} batches of {args.batch_size:,} over HTTP, "
        f"{args.concurrency} in flight, {args.workers} server process(es), {os.cpu_count()} cores"
    )
    print(
        f"  POST /v1/interactions/batch: {rate:,.0f} interactions/s overall "
        f"(target >= 30,000/s: {'PASS' if rate >= 30_000 else 'FAIL'})"
    )
    print(
        f"  floor, asyncpg copy_records_to_table of the same rows: {floor:,.0f} rows/s; "
        f"ingest is {rate / floor:.0%} of it (target >= 35%: {'PASS' if rate / floor >= 0.35 else 'FAIL'})"
    )


if __name__ == "__main__":
    asyncio.run(main())
