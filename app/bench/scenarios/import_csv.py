"""`kith import people` of a case system's export: 100,000 rows (full size) of synthetic residents
in a CSV file, imported by the command as an operator runs it (its own process: reading the file,
mapping the columns, resolving 5,000 rows a transaction through the people service), beside the
batch API's own figure in the same run: other residents of the same town posted to
``POST /v1/people/batch`` 5,000 a request by one client, one request at a time. The target is the
issue's: the import takes no longer than the batch API would for its rows."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
import time

import orjson

from app.bench import synthetic
from app.bench.harness import Bench
from app.bench.load import Request
from app.bench.report import Check, Figures, Measurement, ScenarioReport

NAME = "import"
TARGET = "100,000 rows by kith import in no more than the batch API's time for them (≥ 90% of its records/s)"
FLOOR = "the batch API in the same run: other residents posted to POST /v1/people/batch, 5,000 a request"
SIZES = {
    "full": {"rows": 100_000, "batch_size": 5_000},
    "quick": {"rows": 20_000, "batch_size": 5_000},
    "tiny": {"rows": 200, "batch_size": 50},
}
HEADERS = [
    "Case No",
    "Forename",
    "Surname",
    "D.O.B.",
    "E-mail",
    "Phone",
    "Address 1",
    "Address 2",
    "Town",
    "Post Code",
]
MAPPING = (
    "external_ref=Case No,given_name=Forename,family_name=Surname,date_of_birth=D.O.B.,email=E-mail,"
    "phone=Phone,address.line1=Address 1,address.line2=Address 2,address.town=Town,address.postcode=Post Code"
)


def _row(ref: str, p: synthetic.SyntheticPerson) -> list[str]:
    a = p.address
    return [ref, p.given_name, p.family_name, p.date_of_birth, p.email or "", p.phone or "",
            a.get("line1") or "", a.get("line2") or "", a.get("town") or "", a.get("postcode") or ""]  # fmt: skip


def _payload(ref: str, p: synthetic.SyntheticPerson) -> dict:
    body = {"external_ref": ref, "given_name": p.given_name, "family_name": p.family_name,
            "date_of_birth": p.date_of_birth, "address": {k: v for k, v in p.address.items() if v}}  # fmt: skip
    for field in ("email", "phone"):
        if getattr(p, field):
            body[field] = getattr(p, field)
    return body


async def run(bench: Bench) -> ScenarioReport:
    size = SIZES[bench.size]
    rows, batch_size = size["rows"], size["batch_size"]
    with bench.step(f"{NAME}: {2 * rows + batch_size:,} synthetic residents"):
        town = await asyncio.to_thread(synthetic.people, 2 * rows + batch_size, seed=28)
    api_people, file_people = town[: rows + batch_size], town[rows + batch_size :]
    api_org = await bench.api_client(
        "Bench case system (API)", ["people:write"], sector="public", kind="council"
    )
    file_org = await bench.api_client(
        "Bench case system (file)", ["people:read"], sector="public", kind="council"
    )

    requests = [
        Request(
            "POST",
            "/v1/people/batch",
            orjson.dumps(
                [_payload(f"A{start + i}", p) for i, p in enumerate(api_people[start : start + batch_size])]
            ),
        )
        for start in range(0, len(api_people), batch_size)
    ]
    # The batch API's half before the import and half after it: matching slows as the tables grow,
    # so the import (in the middle) and the API (on either side) meet the same sizes on average.
    server = await bench.shared_service()
    headers = await bench.bearer(server, api_org)
    half = (len(requests) + 1) // 2
    served = [
        await bench.drive(
            f"{NAME}: the batch API, first half, in requests of {batch_size:,}",
            server,
            headers,
            requests[:half],
            concurrency=1,
            warmup=1,
        )
    ]

    export = bench.data_dir / "case-system-export.csv"
    with export.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        writer.writerows(_row(f"F{n}", p) for n, p in enumerate(file_people))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_")} | {
        "KITH_DATABASE_URL": bench.url,
        "KITH_DATA_DIR": str(bench.data_dir),
        "KITH_LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "app.cli", "import", "people", str(export), "--org", str(file_org.org_id),
            "--map", MAPPING, "--date-format", "ymd", "--json"]  # fmt: skip
    with bench.step(f"{NAME}: kith import people, {rows:,} rows"):
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        stdout, stderr = await process.communicate()
        elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"kith import people failed:\n{stderr.decode()[-2000:]}")
    result = orjson.loads(stdout)
    served.append(
        await bench.drive(
            f"{NAME}: the batch API, second half",
            server,
            headers,
            requests[half - 1 :],
            concurrency=1,
            warmup=1,
        )
    )
    owner = await bench.owner()
    try:
        stored = await owner.fetchval(
            "SELECT count(*) FROM person_records WHERE org_id = $1", file_org.org_id
        )
    finally:
        await owner.close()

    api_seconds = sum(r.elapsed for r in served)
    api_records = sum(r.count for r in served) * batch_size
    api = Figures.of([ms for r in served for ms in r.latencies_ms], api_records / api_seconds, "records")
    measurement = Measurement(
        f"kith import people, {rows:,} rows",
        Figures.of([elapsed * 1000], rows / elapsed, "records"),
        api,
        concurrency=1,
        workers=1,
        errors=result["rejected"],
    )
    checks = [
        Check.at_least("ratio to the batch API", measurement.ratio_to_floor, 0.9),
        Check.at_most("rejected rows", result["rejected"], 0),
        Check("people stored = rows sent", stored, f"= {rows}", stored == rows),
    ]
    details = {
        "rows": rows,
        "import_seconds": round(elapsed, 2),
        "batch_api_records_per_s": api.throughput,
        "import_counts": {k: result[k] for k in ("created", "matched", "review", "rejected")},
        "floor_note": "the batch API's records/s over its requests, half before the import and half after (one "
        "warm-up request each, the second's a request already sent); the import's over the whole command, its "
        "process start included",
    }
    return ScenarioReport(NAME, TARGET, FLOOR, [measurement], checks, details)
