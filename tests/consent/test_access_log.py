"""The access-log writer against a real PostgreSQL: whatever moment a clean stop comes at, every
buffered entry is written exactly once."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from app.consent import access_log
from app.consent.access_log import AccessLogWriter
from app.db.session import Database
from tests.conftest import _plain, fresh_database, make_settings


@pytest.fixture(scope="module")
async def database_url(server_url: str):
    """A database of this module's own: its entries name people and organisations that do not
    exist, which the suite's shared database must not hold."""
    async with fresh_database(server_url) as url:
        yield url


@pytest.fixture
async def owner_conn(database_url: str):
    conn = await asyncpg.connect(_plain(database_url))
    try:
        yield conn
    finally:
        await conn.close()


def entries(org_id: uuid.UUID, n: int) -> list[access_log.Entry]:
    person = uuid.uuid4()
    return [
        access_log.entry(org_id, "client", person, person, "service_delivery", {"identity"}, "profile")
        for _ in range(n)
    ]


class TestStop:
    async def test_a_stop_during_a_flush_writes_each_entry_once(self, database_url, data_dir, owner_conn):
        """The background task is stopped at moments spread over its own flush (the flush is a
        transaction: begin, insert, commit, connection back to the pool). Cancelling it in its
        commit once wrote a batch and then wrote it again at the final flush; cancelling it as its
        wait ended was lost in asyncio.wait_for, and the stop then waited a minute."""
        db = Database.connect(database_url, make_settings(database_url, data_dir))
        try:
            counts = []
            for step in range(40):
                org_id = uuid.uuid4()
                writer = AccessLogWriter(db, interval=60, batch=50)
                writer.start()
                writer.add(entries(org_id, 50))  # a full batch wakes the task at once
                await asyncio.sleep(step * 0.0005)
                await asyncio.wait_for(writer.stop(), 10)
                counts.append(
                    await owner_conn.fetchval("SELECT count(*) FROM access_log WHERE org_id = $1", org_id)
                )
            assert counts == [50] * len(counts)
        finally:
            await db.dispose()

    async def test_entries_added_after_the_last_flush_are_written_by_stop(
        self, database_url, data_dir, owner_conn
    ):
        db = Database.connect(database_url, make_settings(database_url, data_dir))
        try:
            org_id = uuid.uuid4()
            writer = AccessLogWriter(db, interval=60)
            writer.start()
            writer.add(entries(org_id, 3))
            assert await owner_conn.fetchval("SELECT count(*) FROM access_log WHERE org_id = $1", org_id) == 0
            await writer.stop()
            assert not writer.running
            assert await owner_conn.fetchval("SELECT count(*) FROM access_log WHERE org_id = $1", org_id) == 3
        finally:
            await db.dispose()
