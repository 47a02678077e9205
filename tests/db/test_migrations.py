"""Migrations run both ways on a fresh database."""

from __future__ import annotations

import asyncpg
import pytest

from app.core.config import Settings
from app.db import migrate
from tests.conftest import _plain, fresh_database
from tests.test_cli import kith


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


class TestADatabaseFromTheOldHistory:
    """The sixteen revisions before 2026-12-06 were replaced by one baseline: a database they built
    gets a plain message saying it must be recreated, from both commands that migrate."""

    async def test_upgrade_and_serve_say_it_must_be_recreated(self, server_url, tmp_path):
        async with fresh_database(server_url) as url:
            conn = await asyncpg.connect(_plain(url))
            try:
                await conn.execute("UPDATE alembic_version SET version_num = '0016_records_unchecked'")
            finally:
                await conn.close()
            with pytest.raises(migrate.SchemaFromAnOldRevision, match="recreate it"):
                await migrate.upgrade(url, Settings(database_url=url))
            for command in (["db", "upgrade"], ["serve", "--port", "1"]):
                done = kith(*command, database_url=url, data_dir=tmp_path)
                assert done.returncode == 1, done.stderr
                assert "0016_records_unchecked" in done.stderr
                assert "cannot be upgraded: recreate it" in done.stderr
                assert "Traceback" not in done.stderr
