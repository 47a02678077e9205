"""Migrations run both ways on a fresh database."""

from __future__ import annotations

import asyncpg

from app.core.config import Settings
from app.db import migrate
from tests.conftest import _plain, fresh_database


async def test_downgrade_to_base_and_up_again(server_url):
    async with fresh_database(server_url) as url:
        settings = Settings(database_url=url)
        assert await migrate.current(url, settings) == migrate.head_revision()
        await migrate.downgrade(url, settings, "base")
        assert await migrate.current(url, settings) is None
        conn = await asyncpg.connect(_plain(url))
        try:
            left = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        finally:
            await conn.close()
        assert {r["tablename"] for r in left} <= {"alembic_version"}
        await migrate.upgrade(url, settings)
        assert await migrate.current(url, settings) == migrate.head_revision()
