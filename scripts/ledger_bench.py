"""Ledger transfers over HTTP under contention, beside their floor measured in the same run.

    python scripts/ledger_bench.py [--transfers 20000] [--clients 64] [--accounts 100] [--workers 2]

Builds a fresh database (on KITH_DATABASE_URL's server, else an embedded one), starts ``kith serve``
in its own process, makes ``--accounts`` hot pools each minted a million credits, then has
``--clients`` concurrent clients post transfers between random pairs of them to
``POST /v1/ledger/transfers`` (token check, authorisation, idempotency, locking, the balance rule,
audit, commit). The floor is the same number of transfers between the same accounts made as one
plain SQL transaction each (insert the transfer, update the two balances in id order), over as
many direct connections. Afterwards it checks the invariants: Σ debits = Σ credits, every balance
equals the sum of its transfers, and no pool below zero.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from app.db import migrate  # noqa: E402
from scripts.identity_bench import bench_client, in_fresh_database, plain, progress, start_server  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transfers", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="kith serve worker processes")
    args = parser.parse_args()
    await in_fresh_database(run, args)


class Connection:
    """A minimal HTTP/1.1 keep-alive client: the load generator shares the machine's two cores with
    the server and PostgreSQL, and a full HTTP client library would cost more CPU per request than
    the server it measures."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, path: str, body: bytes) -> int:
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    async def close(self) -> None:
        self.writer.close()


def pairs(accounts: list[str], n: int, seed: int) -> list[tuple[str, str, int]]:
    rng = random.Random(seed)
    return [(*rng.sample(accounts, 2), rng.randint(1, 10)) for _ in range(n)]


async def run(args, url: str) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="kith-bench-data-"))
    settings = Settings(database_url=url, data_dir=data_dir)
    await migrate.upgrade(url, settings)
    server, base = await start_server(url, data_dir, args.workers)
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
            _, org = await bench_client(
                url, settings, client, ["ledger:read", "ledger:write", "rewards:earn"]
            )
            _, platform_admin = await bench_client(
                url, settings, client, [], name="Bench platform", admin=True
            )
            progress(f"making {args.accounts} hot pools of a million credits each")
            accounts = []
            for n in range(args.accounts):
                pool = (
                    await client.post("/v1/rewards/pools", json={"name": f"hot {n}"}, headers=org)
                ).json()["id"]
                minted = await client.post(
                    "/v1/admin/ledger/mint",
                    json={"id": str(uuid.uuid4()), "account_id": pool, "amount": 1_000_000},
                    headers=platform_admin,
                )
                assert minted.status_code == 201, minted.text
                accounts.append(pool)

            work = pairs(accounts, args.transfers, seed=1)
            queue: asyncio.Queue = asyncio.Queue()
            for item in work:
                queue.put_nowait(item)
            outcomes: dict[int, int] = {}

            host, port = base.removeprefix("http://").split(":")
            http = [Connection(host, int(port), org) for _ in range(args.clients)]
            for connection in http:
                await connection.open()

            async def http_client(connection: Connection) -> None:
                while not queue.empty():
                    debit, credit, amount = queue.get_nowait()
                    body = orjson.dumps(
                        {
                            "id": str(uuid.uuid4()),
                            "debit_account_id": debit,
                            "credit_account_id": credit,
                            "amount": amount,
                            "code": "fund",
                        }
                    )
                    status = await connection.post("/v1/ledger/transfers", body)
                    outcomes[status] = outcomes.get(status, 0) + 1

            progress(f"{args.transfers:,} transfers over HTTP from {args.clients} concurrent clients")
            t = time.perf_counter()
            await asyncio.gather(*(http_client(c) for c in http))
            http_rate = args.transfers / (time.perf_counter() - t)
            progress(f"  {http_rate:,.0f} transfers/s; responses {outcomes}")
            for connection in http:
                await connection.close()

            progress(f"floor: {args.transfers:,} plain SQL transactions from {args.clients} connections")
            owner = await asyncpg.connect(plain(url))
            floor_work = pairs(accounts, args.transfers, seed=2)
            for item in floor_work:
                queue.put_nowait(item)
            conns = [await asyncpg.connect(plain(url)) for _ in range(args.clients)]

            async def sql_client(conn: asyncpg.Connection) -> None:
                while not queue.empty():
                    debit, credit, amount = queue.get_nowait()
                    first, second = sorted((debit, credit))
                    async with conn.transaction():
                        await conn.execute(
                            "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, code, phase) "
                            "VALUES ($1, $2::uuid, $3::uuid, $4, 'fund', 'single')",
                            uuid.uuid4(),
                            debit,
                            credit,
                            amount,
                        )
                        for account in (first, second):
                            await conn.execute(
                                "UPDATE ledger_accounts SET debits_posted = debits_posted + "
                                "CASE WHEN id = $2::uuid THEN $3::bigint ELSE 0 END, credits_posted = credits_posted + "
                                "CASE WHEN id = $4::uuid THEN $3::bigint ELSE 0 END WHERE id = $1::uuid",
                                account,
                                debit,
                                amount,
                                credit,
                            )

            t = time.perf_counter()
            await asyncio.gather(*(sql_client(c) for c in conns))
            floor_rate = args.transfers / (time.perf_counter() - t)
            progress(f"  {floor_rate:,.0f} transfers/s")
            for c in conns:
                await c.close()

            violations = await owner.fetchval(
                "SELECT count(*) FROM ledger_accounts a WHERE a.debits_posted <> (SELECT coalesce(sum(amount), 0) "
                "FROM ledger_transfers WHERE debit_account_id = a.id AND phase = 'single') OR a.credits_posted <> "
                "(SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE credit_account_id = a.id AND phase = 'single') "
                "OR (a.debits_must_not_exceed_credits AND a.debits_posted + a.debits_pending > a.credits_posted)"
            )
            totals = await owner.fetchrow(
                "SELECT sum(debits_posted) AS d, sum(credits_posted) AS c FROM ledger_accounts"
            )
            violations += totals["d"] != totals["c"]
            await owner.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(
        f"\nLedger transfers, {args.clients} concurrent clients on {args.accounts} hot accounts, "
        f"{args.workers} server process(es), {os.cpu_count()} cores"
    )
    print(
        f"  POST /v1/ledger/transfers: {http_rate:,.0f} transfers/s (target >= 1,500/s: "
        f"{'PASS' if http_rate >= 1500 else 'FAIL'}); responses {outcomes}"
    )
    print(f"  floor, one plain SQL transaction per transfer: {floor_rate:,.0f} transfers/s")
    print(f"  invariant violations: {violations} (Σ debits = Σ credits: {totals['d'] == totals['c']})")


if __name__ == "__main__":
    asyncio.run(main())
