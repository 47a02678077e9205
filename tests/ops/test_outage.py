"""PostgreSQL blinks: a pooled connection the server has dropped is replaced before use, and a
database that cannot be reached is a 503 with Retry-After, never a 500."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from tests.conftest import _plain, make_settings, running_app
from tests.factories import org_with_token, unique_resident


async def test_connections_terminated_by_the_server_are_replaced(client, platform, database_url, data_dir):
    _, headers = await org_with_token(platform)
    # Only this app's connections are ended: the suite's own app shares the database.
    others = await _kith_backends(database_url)
    async with running_app(make_settings(database_url, data_dir, db_pool_size=4)) as app:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as c:
            for _ in range(4):  # the pool holds connections now
                assert (
                    await c.post("/v1/people", json=unique_resident(), headers=headers)
                ).status_code == 201
            admin = await asyncpg.connect(_plain(database_url))
            try:
                ended = await admin.fetchval(
                    "WITH kith AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = 'kith' AND pid <> pg_backend_pid() AND NOT pid = ANY($1::int[])) "
                    "SELECT array_agg(pid) FROM kith WHERE pg_terminate_backend(pid)",
                    list(others),
                )
                # pg_terminate_backend only signals: wait until the backends have gone (and this
                # loop has read their goodbyes), else a request may draw a connection mid-exit.
                for _ in range(500):
                    if not await admin.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)", ended
                    ):
                        break
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.05)
            finally:
                await admin.close()
            assert ended
            statuses = [
                (await c.post("/v1/people", json=unique_resident(), headers=headers)).status_code
                for _ in range(8)
            ]
    assert statuses == [201] * 8


async def _kith_backends(database_url: str) -> set[int]:
    admin = await asyncpg.connect(_plain(database_url))
    try:
        rows = await admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'kith'"
        )
    finally:
        await admin.close()
    return {r["pid"] for r in rows}


async def test_a_refused_connection_is_503_with_retry_after(client, platform, data_dir):
    # The same signing key (data_dir) and issuer, so the token is good; only the database is gone.
    _, headers = await org_with_token(platform)
    dead = "postgresql://postgres@127.0.0.1:1/nowhere"
    async with running_app(make_settings(dead, data_dir)) as app:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as c:
            r = await c.post("/v1/people", json=unique_resident(), headers=headers)
            ready = await c.get("/readyz")
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "database_unavailable"
    assert ready.status_code == 503
