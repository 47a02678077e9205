"""Identity resolution against a large population: speed, with its floor, and quality.

    python scripts/identity_bench.py [--people 1000000] [--probes 300] [--batches 4]

Builds a fresh database (on KITH_DATABASE_URL's server, else an embedded one in a temporary
directory), seeds N synthetic residents as five organisations' records, starts ``kith serve`` in
its own process, and resolves new arrivals over loopback HTTP (token check, validation, matching,
writes, commit): single records one at a time (latency percentiles) and batches of 5,000
(records/s). Half the arrivals are corrupted duplicates of seeded residents, half are newcomers;
the precision, recall and F1 of their auto-matches are printed too. The floor beside the latency
is the candidate lookup alone, as one bare SQL call on the same data (no HTTP, scoring or writes).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import asyncpg
import httpx
import orjson
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.auth.principal import Principal  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.db import migrate  # noqa: E402
from app.db.session import Database  # noqa: E402
from app.identity import synthetic  # noqa: E402
from app.identity.evaluation import pair_quality  # noqa: E402
from app.identity.matching import Profile, probe_keys  # noqa: E402
from app.identity.service import match_columns  # noqa: E402
from app.organisations import service as organisations  # noqa: E402
from app.people.normalise import name_key, normalise  # noqa: E402
from app.people.schemas import PersonIn  # noqa: E402

SOURCES = 5
BATCH = 5000


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def attributes_of(record: synthetic.SyntheticRecord) -> dict:
    body = PersonIn.model_validate(record.as_payload())
    attributes, _errors = normalise(body.model_dump(exclude={"verified", "external_ref"}, exclude_none=True))
    return attributes.values


def profile_of(record: synthetic.SyntheticRecord) -> Profile:
    v = attributes_of(record)
    return Profile(
        name_key(v.get("given_name")),
        name_key(v.get("family_name")),
        v.get("date_of_birth"),
        (v.get("address") or {}).get("postcode"),
        v.get("email"),
        v.get("phone"),
    )


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Arrival:
    """A record to resolve, with the reference and organisation it is posted under."""

    def __init__(self, record: synthetic.SyntheticRecord, ref: str) -> None:
        self.record, self.ref = record, ref


async def seed(
    conn: asyncpg.Connection, orgs: list[uuid.UUID], recs: list[synthetic.SyntheticRecord]
) -> None:
    """Write the seeded records straight into the tables with COPY, as the owner: what years of
    registrations would have left behind (one person and one record per resident)."""
    people, ids, records = [], [], []
    for n, r in enumerate(recs):
        pid = uuid.uuid4()
        values = attributes_of(r)
        claims = {
            a: {"value": v, "verified": False, "asserted_at": "2025-06-01T09:00:00+00:00"}
            for a, v in values.items()
        }
        people.append((pid, pid, "active"))
        ids.append((uuid.uuid4(), orgs[r.source], pid, pid))
        records.append(
            (
                uuid.uuid4(),
                pid,
                orgs[r.source],
                f"seed-{r.external_ref}",
                "public",
                orjson.dumps(claims, default=str).decode(),
                *match_columns(claims).values(),
            )
        )
        if n and n % 200_000 == 0:
            progress(f"  prepared {n:,} records")
    progress("  copying into PostgreSQL")
    await conn.copy_records_to_table("people", records=people, columns=["id", "canonical_id", "status"])
    await conn.copy_records_to_table(
        "org_people", records=ids, columns=["org_person_id", "org_id", "person_id", "canonical_id"]
    )
    await conn.copy_records_to_table(
        "person_records",
        records=records,
        columns=[
            "id",
            "person_id",
            "org_id",
            "external_ref",
            "source_sector",
            "claims",
            *match_columns({}).keys(),
        ],
    )
    await conn.execute("VACUUM ANALYZE")


async def floor_lookup(conn: asyncpg.Connection, profile: Profile) -> None:
    probes = sorted(probe_keys(profile))
    await conn.fetch(
        "SELECT * FROM kith_match_candidates($1, $2, true)", [c for c, _ in probes], [k for _, k in probes]
    )


async def start_server(url: str, data_dir: Path, workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "KITH_DATABASE_URL": url,
        "KITH_DATA_DIR": str(data_dir),
        "KITH_PORT": str(port),
        "KITH_PUBLIC_URL": "http://bench",
        "KITH_RATE_LIMIT": "100000000/minute",
        "KITH_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--workers", str(workers)], env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(240):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return server, base
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    server.terminate()
    raise SystemExit("kith serve did not become ready")


async def bench_client(
    url: str,
    settings: Settings,
    client: httpx.AsyncClient,
    scopes: list[str],
    *,
    name: str = "Bench council",
    sector: str = "public",
    kind: str = "council",
    admin: bool = False,
) -> tuple[uuid.UUID, dict[str, str]]:
    """A new organisation with an API client, made as the operator would: (its id, the header
    carrying a token of the client's from the server under test)."""
    db = Database.connect(url, settings)
    try:
        async with db.session(platform=True) as session:
            org = await organisations.create_organisation(
                session, Principal.operator(), name=name, sector=sector, kind=kind
            )
            row, secret = await organisations.create_client(
                session, Principal.operator(), org.id, name="bench", scopes=scopes, admin=admin
            )
    finally:
        await db.dispose()
    answer = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(row.client_id, secret)
    )
    return org.id, {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def make_orgs(url: str, settings: Settings, client: httpx.AsyncClient) -> tuple[list, list]:
    made = [
        await bench_client(url, settings, client, ["people:write", "people:read"], name=f"Bench council {n}")
        for n in range(SOURCES)
    ]
    return [org for org, _ in made], [headers for _, headers in made]


async def in_fresh_database(run, args) -> None:
    """``run(args, url)`` against a new database on KITH_DATABASE_URL's server (else an embedded
    server in a temporary directory), dropped afterwards."""
    server_url = os.environ.get("KITH_DATABASE_URL")
    if not server_url:
        from app.db.embedded import start_embedded

        server_url = start_embedded(
            Path(tempfile.mkdtemp(prefix="kith-bench-")), database="postgres", cleanup_mode="delete"
        )
    name = f"kith_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(plain(server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await run(args, make_url(server_url).set(database=name).render_as_string(hide_password=False))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--probes", type=int, default=300, help="single-record resolutions to time")
    parser.add_argument("--batches", type=int, default=4, help="batches of 5,000 to time")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    await in_fresh_database(run, args)


async def run(args, url: str) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="kith-bench-data-"))
    settings = Settings(database_url=url, data_dir=data_dir)
    await migrate.upgrade(url, settings)
    progress(f"generating {args.people:,} synthetic residents and their arrivals")
    population = synthetic.people(args.people + 20_000, seed=args.seed)
    seeded_people, fresh_people = population[: args.people], population[args.people :]
    seeded = synthetic.records(seeded_people, n_sources=SOURCES, duplicates=0.0, seed=args.seed)
    dupes = synthetic.records(seeded_people[:20_000], n_sources=SOURCES, duplicates=1.0, seed=args.seed + 1)
    newcomers = synthetic.records(fresh_people, n_sources=SOURCES, duplicates=0.0, seed=args.seed + 2)
    arrivals = [
        Arrival(r, f"{kind}{r.external_ref}")
        for pair in zip(dupes, newcomers, strict=False)
        for kind, r in zip(("d", "n"), pair, strict=True)
    ]
    singles = arrivals[: args.probes]
    batches = [arrivals[args.probes + b * BATCH : args.probes + (b + 1) * BATCH] for b in range(args.batches)]
    gc.collect()
    gc.freeze()  # the generated population stays put: keep the collector off it while timing

    server, base = await start_server(url, data_dir)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=300) as client:
            orgs, headers = await make_orgs(url, settings, client)
            owner = await asyncpg.connect(plain(url))
            progress(f"seeding {len(seeded):,} records")
            await seed(owner, orgs, seeded)

            progress(f"timing {len(singles)} single-record resolutions, and the bare-SQL floor")
            for a in singles[:20]:
                await floor_lookup(owner, profile_of(a.record))
            latencies, floors = [], []
            for a in singles:
                t = time.perf_counter()
                response = await client.post(
                    "/v1/people",
                    json=a.record.as_payload() | {"external_ref": a.ref},
                    headers=headers[a.record.source],
                )
                latencies.append((time.perf_counter() - t) * 1000)
                assert response.status_code in (200, 201, 202), response.text
                t = time.perf_counter()
                await floor_lookup(owner, profile_of(a.record))
                floors.append((time.perf_counter() - t) * 1000)

            progress(f"timing {len(batches)} batches of {BATCH:,}")
            rates = []
            for b, chunk in enumerate(batches):
                payload = [a.record.as_payload() | {"external_ref": a.ref} for a in chunk]
                t = time.perf_counter()
                response = await client.post("/v1/people/batch", json=payload, headers=headers[b % SOURCES])
                elapsed = time.perf_counter() - t
                assert response.status_code == 200, response.text[:500]
                rates.append(len(chunk) / elapsed)
                progress(f"  batch {b + 1}: {rates[-1]:,.0f} records/s")
                for a in chunk:
                    a.org_source = b % SOURCES
            for a in singles:
                a.org_source = a.record.source
            quality = await measure_quality(owner, orgs, seeded, singles + [a for c in batches for a in c])
            await owner.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    report(args, len(seeded), latencies, floors, rates, quality)


async def measure_quality(owner, orgs, seeded, arrivals):
    """Pairwise precision and recall over every pair involving an arrival."""
    rows = await owner.fetch(
        "SELECT r.org_id, r.external_ref, p.canonical_id FROM person_records r "
        "JOIN people p ON p.id = r.person_id"
    )
    canonical = {(x["org_id"], x["external_ref"]): x["canonical_id"] for x in rows}
    clusters, truth_of = {}, {}
    for r in seeded:
        key = f"{r.source}:seed-{r.external_ref}"
        clusters[key], truth_of[key] = canonical[(orgs[r.source], f"seed-{r.external_ref}")], r.truth_id
    arrival_keys = set()
    for a in arrivals:
        key = f"{a.org_source}:{a.ref}"
        clusters[key], truth_of[key] = canonical[(orgs[a.org_source], a.ref)], a.record.truth_id
        arrival_keys.add(key)
    by_truth, by_cluster = defaultdict(list), defaultdict(list)
    for k, t in truth_of.items():
        by_truth[t].append(k)
    for k, c in clusters.items():
        by_cluster[c].append(k)
    truth = {
        tuple(sorted((a, b)))
        for ks in by_truth.values()
        for a in ks
        for b in ks
        if a < b and (a in arrival_keys or b in arrival_keys)
    }
    relevant = {
        k: clusters[k] for ks in by_cluster.values() if any(x in arrival_keys for x in ks) for k in ks
    }
    return pair_quality(truth, relevant)


def report(args, seeded: int, latencies, floors, rates, quality) -> None:
    p50, p95, p99 = statistics.median(latencies), percentile(latencies, 95), percentile(latencies, 99)
    rate = statistics.median(rates) if rates else 0.0
    print(
        f"\nIdentity resolution against {args.people:,} people ({seeded:,} records), {os.cpu_count()} cores"
    )
    print(
        f"  single record over HTTP: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms "
        f"(target p95 <= 20 ms: {'PASS' if p95 <= 20 else 'FAIL'})"
    )
    print(
        f"    floor, the candidate lookup as bare SQL: p50 {statistics.median(floors):.1f} ms, "
        f"p95 {percentile(floors, 95):.1f} ms"
    )
    print(
        f"  batches of {BATCH:,} over HTTP: {rate:,.0f} records/s, median of {len(rates)} "
        f"(target >= 5,000/s: {'PASS' if rate >= 5000 else 'FAIL'})"
    )
    print(f"  arrivals' auto-matches: {quality.summary()}")


if __name__ == "__main__":
    asyncio.run(main())
