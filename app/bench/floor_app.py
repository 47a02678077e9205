"""The profile-read floor: a bare Starlette + asyncpg endpoint reading one row by key.

    python -m app.bench.floor_app --port P [--workers N]     (KITH_BENCH_FLOOR_DSN = the database)

No token, consent, row-level security, access log or ORM: one pooled connection, one indexed
SELECT, one JSON response. uvicorn serves it exactly as ``kith serve`` serves Kith (same worker
count, same event loop and HTTP parser), so the ratio between the two is what Kith's own work costs.
"""

from __future__ import annotations

import argparse
import os
import uuid
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_ROW = "SELECT id, org_id, source_sector, claims, external_ref FROM person_records WHERE id = $1"


async def read_row(request: Request) -> JSONResponse:
    try:
        key = uuid.UUID(request.path_params["key"])
    except ValueError:
        return JSONResponse({"detail": "bad key"}, 404)
    async with request.app.state.pool.acquire() as connection:
        row = await connection.fetchrow(_ROW, key)
    if row is None:
        return JSONResponse({"detail": "no such row"}, 404)
    return JSONResponse(
        {
            "id": str(row["id"]),
            "org_id": str(row["org_id"]),
            "source_sector": row["source_sector"],
            "claims": row["claims"],
            "external_ref": row["external_ref"],
        }
    )


async def ready(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app() -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette):
        # The same pool size as Kith's (KITH_DB_POOL_SIZE + KITH_DB_MAX_OVERFLOW by default: 20 + 0).
        app.state.pool = await asyncpg.create_pool(
            os.environ["KITH_BENCH_FLOOR_DSN"], min_size=20, max_size=20
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(
        routes=[Route("/rows/{key}", read_row), Route("/readyz", ready)],
        lifespan=lifespan,
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "app.bench.floor_app:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
