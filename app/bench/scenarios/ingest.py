"""Interaction batch ingest: batches of 10,000 posted to ``POST /v1/interactions/batch`` (token
check, validation, the person-link check, de-duplication, the write and commit), two in flight,
beside asyncpg's ``copy_records_to_table`` of the same rows straight into the table as its owner.
Afterwards the table must hold exactly the rows the service accepted."""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson

from app.bench.harness import Bench
from app.bench.load import Request
from app.bench.report import Check, Figures, Measurement, ScenarioReport
from app.bench.seed import Holding, copy_people

NAME = "ingest"
TARGET = "≥ 30,000 interactions/s; ≥ 35% of the floor"
FLOOR = "asyncpg copy_records_to_table of the same rows, as the table's owner"
SIZES = {
    "full": {"people": 20_000, "batches": 10, "batch_size": 10_000},
    "quick": {"people": 5_000, "batches": 4, "batch_size": 10_000},
    "tiny": {"people": 50, "batches": 2, "batch_size": 100},
}
IN_FLIGHT = 2  # an integrator sending files in parallel, one per core
KINDS = ("visit", "purchase", "service_contact", "volunteering", "event")
CHANNELS = ("in_person", "phone", "online")
_COLUMNS = [
    "id", "org_id", "person_id", "kind", "occurred_at", "channel", "area_code",
    "value_pence", "duration_minutes", "external_id",
]  # fmt: skip


def interactions(person_ids: list[uuid.UUID], n: int, rng: random.Random, tag: str) -> list[dict]:
    """``n`` interactions of the kinds a high street logs, for random people of ``person_ids``."""
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        kind = rng.choice(KINDS)
        item = {
            "person_id": str(rng.choice(person_ids)),
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


async def run(bench: Bench) -> ScenarioReport:
    size = SIZES[bench.size]
    shop = await bench.api_client(
        "Bench high street", ["interactions:write"], sector="commercial", kind="business"
    )
    owner = await bench.owner()
    try:
        with bench.step(f"{NAME}: seeding {size['people']:,} residents", size["people"]) as done:
            people = [
                [Holding(shop.org_id, "commercial", f"S{n}", {"given_name": f"Resident{n}"})]
                for n in range(size["people"])
            ]
            person_ids = [own[0] for own in await copy_people(owner, people, done)]
        with bench.step(f"{NAME}: indicator roll-ups brought up to date"):
            await bench.catch_up_rollups()
        rng = random.Random(5)
        batches = [
            interactions(person_ids, size["batch_size"], rng, f"b{b}") for b in range(size["batches"] + 1)
        ]
        requests = [Request("POST", "/v1/interactions/batch", orjson.dumps(b)) for b in batches]

        server = await bench.shared_service()
        served = await bench.drive(
            f"{NAME}: {size['batches']} batches of {size['batch_size']:,}, {IN_FLIGHT} in flight",
            server,
            await bench.bearer(server, shop),
            requests,
            concurrency=IN_FLIGHT,
            warmup=1,
        )
        stored = await owner.fetchval("SELECT count(*) FROM interactions WHERE org_id = $1", shop.org_id)

        canonical = dict(
            await owner.fetch(
                "SELECT org_person_id, canonical_id FROM org_people WHERE org_id = $1", shop.org_id
            )
        )
        floor_rates, floor_latencies = [], []
        with bench.step(f"{NAME}: floor, copy_records_to_table", len(batches) - 1) as done:
            for b, items in enumerate(batches):
                records = [
                    (
                        uuid.uuid4(),
                        shop.org_id,
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
                started = time.perf_counter()
                await owner.copy_records_to_table("interactions", records=records, columns=_COLUMNS)
                elapsed = time.perf_counter() - started
                if b:  # the first warms up, as on the service's side
                    floor_rates.append(len(records) / elapsed)
                    floor_latencies.append(elapsed * 1000)
                    done(b)
    finally:
        await owner.close()

    floor_rate = statistics.median(floor_rates)
    measurement = Measurement(
        f"POST /v1/interactions/batch, batches of {size['batch_size']:,}",
        Figures.of_load(served, "interactions", size["batch_size"]),
        Figures.of(floor_latencies, floor_rate, "rows"),
        concurrency=IN_FLIGHT,
        workers=bench.workers,
        errors=served.count - served.statuses.get(200, 0),
    )
    expected = (served.count + 1) * size["batch_size"]  # the warm-up batch too
    checks = [
        Check.at_least("interactions/s", measurement.figures.throughput, 30_000),
        Check.at_least("ratio to floor", measurement.ratio_to_floor, 0.35),
        Check.at_most("failed batches", measurement.errors, 0),
        Check("rows stored = rows sent", stored, f"= {expected}", stored == expected),
    ]
    details = {
        "residents": size["people"],
        "batches": served.count,
        "batch_size": size["batch_size"],
        "floor_note": "the floor's rate is the median over its batches, copied one at a time",
    }
    return ScenarioReport(NAME, TARGET, FLOOR, [measurement], checks, details)
