"""Statements queued on one connection run in order while the caller works on."""

from __future__ import annotations

import asyncpg
import pytest

from app.db.session import StatementQueue


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
