"""PostgreSQL blinks: a pooled connection the server has dropped is replaced before use, and a
database that cannot be reached is a 503 with Retry-After, never a 500."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from tests.conftest import _plain, make_settings, running_app
from tests.factories import org_with_token, unique_resident


async def _terminate(database_url: str, others: set[int], *, wait: bool) -> list[int]:
    """End every connection of the app under test (not the suite's own app's, ``others``);
    ``wait``: until the backends have gone and this loop has read their goodbyes."""
    admin = await asyncpg.connect(_plain(database_url))
    try:
        ended = await admin.fetchval(
            "WITH kith AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'kith' AND pid <> pg_backend_pid() AND NOT pid = ANY($1::int[])) "
            "SELECT array_agg(pid) FROM kith WHERE pg_terminate_backend(pid)",
            list(others),
        )
        # pg_terminate_backend only signals: the backends exit a moment later.
        for _ in range(500 if wait else 0):
            if not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)", ended):
                break
            await asyncio.sleep(0.01)
        if wait:
            await asyncio.sleep(0.05)
    finally:
        await admin.close()
    assert ended
    return ended


@pytest.mark.parametrize("wait", [True, False], ids=["noticed", "not-yet-noticed"])
async def test_connections_terminated_by_the_server_are_replaced(
    client, platform, database_url, data_dir, wait
):
    """Writes (a session's transaction) and profile reads (Database.direct) alike: a pooled
    connection the server ended is replaced before use — at checkout once the pool has read the
    server's goodbye, else when the transaction's first statement finds it dead (sent again on
    another: nothing had been sent)."""
    _, headers = await org_with_token(platform)
    # Only this app's connections are ended: the suite's own app shares the database.
    others = await _kith_backends(database_url)
    async with running_app(make_settings(database_url, data_dir, db_pool_size=4)) as app:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as c:
            people = []
            for _ in range(4):  # the pool holds connections now
                created = await c.post("/v1/people", json=unique_resident(), headers=headers)
                assert created.status_code == 201
                people.append(created.json()["person_id"])
            await _terminate(database_url, others, wait=wait)
            statuses = [
                (await c.post("/v1/people", json=unique_resident(), headers=headers)).status_code
                for _ in range(8)
            ]
            await _terminate(database_url, others, wait=True)
            reads = [
                (
                    await c.get(f"/v1/people/{p}", params={"purpose": "service_delivery"}, headers=headers)
                ).status_code
                for p in people * 2
            ]
    assert statuses == [201] * 8
    assert reads == [200] * 8


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
            read = await c.get(
                f"/v1/people/{uuid.uuid4()}", params={"purpose": "service_delivery"}, headers=headers
            )
            ready = await c.get("/readyz")
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "database_unavailable"
    assert read.status_code == 503 and read.headers["retry-after"] == "5", read.text  # Database.direct
    assert read.json()["code"] == "database_unavailable"
    assert ready.status_code == 503
