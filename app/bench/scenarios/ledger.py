"""Ledger transfers over HTTP under contention: 64 concurrent clients post transfers between random
pairs of 100 hot pools to ``POST /v1/ledger/transfers`` (token check, authorisation, idempotency,
locking, the balance rule, audit, commit). The floor makes as many transfers between the same
accounts as one plain SQL transaction each (insert the transfer, update both balances in id order)
over as many direct connections. Afterwards the invariants are checked: Σ debits = Σ credits, every
balance equals the sum of its transfers, no pool below zero. Beside them, for the reader, the
service's own statements from direct connections, without HTTP and Python around them: one
transfer per statement (``kith_ledger_request``) from as many connections, and transfers made
together (``kith_ledger_requests``, what the service sends while another of its statements runs)
from as many connections as the service runs statements at once."""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import asyncpg
import httpx
import orjson

from app.bench.harness import Bench, plain
from app.bench.load import Request
from app.bench.report import Check, Figures, Measurement, ScenarioReport
from app.core.config import Settings
from app.db.rls import APP_ROLE
from app.db.session import hmac_pads

NAME = "ledger"
TARGET = "≥ 1,500 transfers/s at 64 concurrent on 100 hot accounts; zero invariant violations"
FLOOR = "one plain SQL transaction per transfer between the same accounts, as many connections"
SIZES = {  # transfers to post, stopping early after `seconds`
    "full": {"transfers": 20_000, "clients": 64, "accounts": 100, "seconds": 120},
    "quick": {"transfers": 5_000, "clients": 64, "accounts": 100, "seconds": 8},
    "tiny": {"transfers": 200, "clients": 8, "accounts": 10, "seconds": 30},
}

_INSERT = (
    "INSERT INTO ledger_transfers (id, ref, debit_account_id, credit_account_id, amount, code, phase) "
    "VALUES ($1, $1, $2, $3, $4, 'fund', 'single')"
)
_APPLY = (
    "UPDATE ledger_accounts SET debits_posted = debits_posted + CASE WHEN id = $2 THEN $3::bigint ELSE 0 END, "
    "credits_posted = credits_posted + CASE WHEN id = $4 THEN $3::bigint ELSE 0 END WHERE id = $1"
)
_VIOLATIONS = (
    "SELECT count(*) FROM ledger_accounts a WHERE a.debits_posted <> (SELECT coalesce(sum(amount), 0) "
    "FROM ledger_transfers WHERE debit_account_id = a.id AND phase = 'single') OR a.credits_posted <> "
    "(SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE credit_account_id = a.id AND phase = 'single') "
    "OR (a.debits_must_not_exceed_credits AND a.debits_posted + a.debits_pending > a.credits_posted)"
)


def pairs(accounts: list[uuid.UUID], n: int, seed: int) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    rng = random.Random(seed)
    return [(*rng.sample(accounts, 2), rng.randint(1, 10)) for _ in range(n)]


async def _hot_pools(bench: Bench, server, org, admin, n: int) -> list[uuid.UUID]:
    """``n`` pools of the organisation's, each minted a million credits, through the API."""
    org_headers, admin_headers = await bench.bearer(server, org), await bench.bearer(server, admin)
    accounts = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        with bench.step(f"{NAME}: making {n} hot pools of a million credits", n) as done:
            for i in range(n):
                made = await http.post("/v1/rewards/pools", json={"name": f"hot {i}"}, headers=org_headers)
                made.raise_for_status()
                pool = made.json()["id"]
                minted = await http.post(
                    "/v1/admin/ledger/mint",
                    json={"id": str(uuid.uuid4()), "account_id": pool, "amount": 1_000_000},
                    headers=admin_headers,
                )
                minted.raise_for_status()
                accounts.append(uuid.UUID(pool))
                done(i + 1)
    return accounts


async def _floor_transfer(conn: asyncpg.Connection, debit: uuid.UUID, credit: uuid.UUID, amount: int) -> None:
    async with conn.transaction():
        await conn.execute(_INSERT, uuid.uuid4(), debit, credit, amount)
        for account in sorted((debit, credit)):
            await conn.execute(_APPLY, account, debit, amount, credit)


def _service_statement(org, key: bytes):
    """The service's own statement for one transfer (kith_ledger_request), as the app role."""

    async def make(conn: asyncpg.Connection, debit: uuid.UUID, credit: uuid.UUID, amount: int) -> None:
        row = await conn.fetchrow(
            "SELECT result FROM kith_ledger_request($8, $1, false, $2, $3, NULL, $4, $5, $6, $7, 'fund', "
            "'single', NULL, NULL, NULL)",
            org.client_id,
            org.org_id,
            f"client:{org.client_id}",
            uuid.uuid4(),
            debit,
            credit,
            amount,
            key,
        )
        if row["result"] != "created":
            raise RuntimeError(f"kith_ledger_request refused a bench transfer: {row['result']}")

    return make


def _service_statement_together(org, key: bytes):
    """The service's statement for transfers made together (kith_ledger_requests), as the app role:
    what it sends when requests arrive while another statement of theirs runs."""

    async def make(conn: asyncpg.Connection, work: list[tuple[uuid.UUID, uuid.UUID, int]]) -> None:
        n = len(work)
        rows = await conn.fetch(
            "SELECT result FROM kith_ledger_requests($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
            "$15)",
            key,
            [org.client_id] * n,
            [False] * n,
            [org.org_id] * n,
            [f"client:{org.client_id}"] * n,
            [None] * n,
            [uuid.uuid4() for _ in work],
            [debit for debit, _, _ in work],
            [credit for _, credit, _ in work],
            [amount for _, _, amount in work],
            ["fund"] * n,
            ["single"] * n,
            [None] * n,
            [None] * n,
            [None] * n,
        )
        refused = [r["result"] for r in rows if r["result"] != "created"]
        if refused or len(rows) != n:
            raise RuntimeError(f"kith_ledger_requests refused bench transfers: {refused}")

    return make


async def _direct(
    bench: Bench, label: str, work: list, clients: int, make, role: str | None = None, together: int = 1
) -> Figures:
    """``work`` made by ``make(connection, debit, credit, amount)`` over ``clients`` direct
    connections, as fast as they go; with ``together`` > 1, ``together`` transfers at a time by
    ``make(connection, [(debit, credit, amount), …])``."""
    queue = list(reversed(work))
    latencies: list[float] = []
    # As the service's own connections: with the audit key's pads, or no transfer could be audited.
    ipad, opad = hmac_pads(bench.settings.audit_secret())
    settings = {"kith.audit_ipad": ipad, "kith.audit_opad": opad} | ({"role": role} if role else {})
    conns = [await asyncpg.connect(plain(bench.url), server_settings=settings) for _ in range(clients)]

    async def client(conn: asyncpg.Connection) -> None:
        while queue:
            if together > 1:
                taken = [queue.pop() for _ in range(min(together, len(queue)))]
                started = time.perf_counter()
                await make(conn, taken)
                latencies.extend([(time.perf_counter() - started) * 1000] * len(taken))
                continue
            debit, credit, amount = queue.pop()
            started = time.perf_counter()
            await make(conn, debit, credit, amount)
            latencies.append((time.perf_counter() - started) * 1000)

    try:
        with bench.step(f"{NAME}: {label}, {len(work):,} transfers", len(work)) as done:
            started, cpu = time.perf_counter(), time.process_time()
            tasks = [asyncio.create_task(client(c)) for c in conns]
            while not all(t.done() for t in tasks):
                done(len(latencies))
                await asyncio.sleep(0.2)
            await asyncio.gather(*tasks)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        for c in conns:
            await c.close()
    return Figures.of(latencies, len(work) / elapsed, "transfers", cpu / elapsed)


async def run(bench: Bench) -> ScenarioReport:
    size = SIZES[bench.size]
    org = await bench.api_client("Bench ledger council", ["ledger:read", "ledger:write", "rewards:earn"])
    admin = await bench.api_client("Bench platform", [], admin=True)
    server = await bench.shared_service()
    accounts = await _hot_pools(bench, server, org, admin, size["accounts"])
    # The floor first, while the service's pools hold few connections: the floor's 64 and the
    # service's (20 per process) would not fit in PostgreSQL's default 100 together.
    floor = await _direct(
        bench,
        "floor, plain SQL",
        pairs(accounts, size["transfers"] // 2, seed=2),
        size["clients"],
        _floor_transfer,
    )
    # For the reader: what the service's one statement costs PostgreSQL without HTTP or Python
    # around it (the difference between this and the HTTP figure is the service's own overhead).
    statement = await _direct(
        bench,
        "kith_ledger_request alone",
        pairs(accounts, size["transfers"] // 2, seed=3),
        size["clients"],
        _service_statement(org, bench.settings.service_secret()),
        role=APP_ROLE,
    )
    # And the statement the service sends when requests arrive while another of theirs runs
    # (app/db/coalesce.py): as many connections as the service's processes run statements at once,
    # each making its share of the 64 clients' transfers together.
    # (kith serve runs on the default settings: the harness passes it no KITH_ variables of its own.)
    lanes = bench.workers * max(1, Settings.model_fields["ledger_lanes"].default)
    per_statement = max(1, size["clients"] // lanes)
    together = await _direct(
        bench,
        "kith_ledger_requests alone",
        pairs(accounts, size["transfers"] // 2, seed=4),
        lanes,
        _service_statement_together(org, bench.settings.service_secret()),
        role=APP_ROLE,
        together=per_statement,
    )
    requests = [
        Request(
            "POST",
            "/v1/ledger/transfers",
            orjson.dumps(
                {
                    "id": str(uuid.uuid4()),
                    "debit_account_id": str(debit),
                    "credit_account_id": str(credit),
                    "amount": amount,
                    "code": "fund",
                }
            ),
        )
        for debit, credit, amount in pairs(accounts, size["transfers"] + size["clients"], seed=1)
    ]
    served = await bench.drive(
        f"{NAME}: {size['transfers']:,} transfers over HTTP, {size['clients']} clients",
        server,
        await bench.bearer(server, org),
        requests,
        concurrency=size["clients"],
        warmup=size["clients"],
        seconds=size["seconds"],
    )

    owner = await bench.owner()
    try:
        violations = await owner.fetchval(_VIOLATIONS)
        totals = await owner.fetchrow(
            "SELECT sum(debits_posted) AS d, sum(credits_posted) AS c FROM ledger_accounts"
        )
        violations += totals["d"] != totals["c"]
    finally:
        await owner.close()

    measurement = Measurement(
        "POST /v1/ledger/transfers",
        Figures.of_load(served, "transfers"),
        floor,
        concurrency=size["clients"],
        workers=bench.workers,
        errors=served.count - served.statuses.get(201, 0),
    )
    alone = Measurement("kith_ledger_request alone (no HTTP)", statement, floor, concurrency=size["clients"])
    made_together = Measurement(
        f"kith_ledger_requests, {per_statement} at a time (no HTTP)",
        together,
        floor,
        concurrency=lanes,
    )
    checks = [
        Check.at_least("transfers/s", measurement.figures.throughput, 1500),
        Check.at_most("invariant violations", violations, 0),
        Check.at_most("failed transfers", measurement.errors, 0),
    ]
    details = {"accounts": size["accounts"], "statuses": {str(k): v for k, v in served.statuses.items()}}
    return ScenarioReport(NAME, TARGET, FLOOR, [measurement, alone, made_together], checks, details)
