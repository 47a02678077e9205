"""The read floors: a bare Starlette + asyncpg endpoint reading one row by key (profile-read), or a
person's newest interactions (timeline-read, ``/interactions/{person}``).

    python -m app.bench.floor_app --port P [--workers N]     (KITH_BENCH_FLOOR_DSN = the database)

No token, consent, row-level security, access log or ORM: one pooled connection, one indexed
SELECT, one JSON response. ``/rows-logged/{key}``: the same, inserting one access-log row in the
same statement (the second floor: what writing the log costs). uvicorn serves it exactly as ``kith serve`` serves Kith (same worker
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


async def read_row(request: Request, statement: str = _ROW) -> JSONResponse:
    try:
        key = uuid.UUID(request.path_params["key"])
    except ValueError:
        return JSONResponse({"detail": "bad key"}, 404)
    async with request.app.state.pool.acquire() as connection:
        row = await connection.fetchrow(statement, key)
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


# The same read, and one row written in the same statement (its own transaction): what an
# access-log entry per read costs at the floor, for comparison with the read alone.
_ROW_LOGGED = (
    "WITH r AS (SELECT id, org_id, source_sector, claims, external_ref FROM person_records WHERE id = $1), "
    "logged AS (INSERT INTO access_log (org_id, client_id, person_id, "
    "org_person_id, purpose, categories, action, read_at) SELECT r.org_id, 'floor', r.id, r.id, "
    "'service_delivery', ARRAY['identity'], 'bench_floor', now() FROM r) SELECT * FROM r"
)


async def read_row_logged(request: Request) -> JSONResponse:
    return await read_row(request, _ROW_LOGGED)


# The timeline floor: the person's newest interactions by key, bare.
_INTERACTIONS = (
    "SELECT id, org_id, kind, occurred_at, channel, area_code, value_pence, duration_minutes, attributes, "
    "external_id FROM interactions WHERE person_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2"
)


async def read_interactions(request: Request) -> JSONResponse:
    try:
        person = uuid.UUID(request.path_params["person"])
        limit = int(request.query_params.get("limit", "50"))
    except ValueError:
        return JSONResponse({"detail": "bad request"}, 400)
    async with request.app.state.pool.acquire() as connection:
        rows = await connection.fetch(_INTERACTIONS, person, limit)
    return JSONResponse(
        {
            "items": [
                {
                    "id": str(r["id"]),
                    "org_id": str(r["org_id"]),
                    "kind": r["kind"],
                    "occurred_at": r["occurred_at"].isoformat(),
                    "channel": r["channel"],
                    "area_code": r["area_code"],
                    "value_pence": r["value_pence"],
                    "duration_minutes": r["duration_minutes"],
                    "attributes": r["attributes"],
                    "external_id": r["external_id"],
                }
                for r in rows
            ]
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
        routes=[
            Route("/rows/{key}", read_row),
            Route("/rows-logged/{key}", read_row_logged),
            Route("/interactions/{person}", read_interactions),
            Route("/readyz", ready),
        ],
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
