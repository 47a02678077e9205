"""Statements queued on a connection run in order while the caller works on."""

from __future__ import annotations

from unittest.mock import MagicMock

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from app.db.session import StatementQueue, _lends_at_once, side_queue


class TestStatementQueue:
    async def test_statements_run_in_the_order_queued(self, owner_conn):
        async with owner_conn.transaction():
            queue = StatementQueue(owner_conn)
            queue.execute("CREATE TEMP TABLE queued (n int) ON COMMIT DROP")
            for n in range(5):
                queue.execute("INSERT INTO queued VALUES ($1)", n)
            rows = queue.fetch("SELECT array_agg(n ORDER BY ctid) FROM queued")
            await queue.settle()
            assert (await rows)[0][0] == [0, 1, 2, 3, 4]

    async def test_a_failure_fails_every_later_statement_unsent(self, owner_conn):
        queue = StatementQueue(owner_conn)
        before = queue.fetch("SELECT 1")
        failing = queue.execute("SELECT 1 / 0")
        after = queue.execute("CREATE TEMP TABLE never_made (n int)")
        with pytest.raises(asyncpg.DivisionByZeroError):
            await queue.settle()
        assert (await before)[0][0] == 1
        for task in (failing, after):
            with pytest.raises(asyncpg.DivisionByZeroError):
                await task
        made = await owner_conn.fetchval("SELECT to_regclass('pg_temp.never_made') IS NOT NULL")
        assert made is False


class TestSideQueue:
    async def test_runs_on_a_connection_of_its_own_and_gives_the_session_back(self, app):
        async with app.state.db.session(platform=True) as session:
            own_pid = await session.scalar(text("SELECT pg_backend_pid()"))
            await session.execute(text("SELECT set_config('kith.probe', 'mine', true)"))
            async with side_queue(session) as reads:
                side_pid = reads.fetch("SELECT pg_backend_pid()")
                sees_probe = reads.fetch("SELECT coalesce(current_setting('kith.probe', true), '')")
            assert (await side_pid)[0][0] != own_pid
            assert (await sees_probe)[0][0] == ""
            # The session's own connection is free for it again.
            assert await session.scalar(text("SELECT current_setting('kith.probe')")) == "mine"

    async def test_none_unless_wanted(self, app):
        async with app.state.db.session(platform=True) as session, side_queue(session, wanted=False) as side:
            assert side is None

    def test_never_waits_for_a_pool_with_none_to_spare(self):
        # A request holding the pool's last connection must not wait for another (it would wait
        # forever once enough such requests hold one each).
        pool = QueuePool(MagicMock, pool_size=1, max_overflow=0)
        assert _lends_at_once(pool)
        held = pool.connect()
        assert not _lends_at_once(pool)
        held.close()
        assert _lends_at_once(pool)
