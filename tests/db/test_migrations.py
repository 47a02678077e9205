"""Migrations run both ways on a fresh database."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from app.core.config import Settings
from app.db import migrate
from tests.conftest import SERVICE_KEY, _plain, fresh_database
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


class TestTheLedgerInOrganisationIds:
    """2026_12_06_ledger_org_scoped re-keys the transfers already made under their organisations'
    keys: a replay after the upgrade is still a replay, and a hold made before can still be ended."""

    async def test_transfers_made_before_the_upgrade_answer_as_before(self, server_url):
        async with fresh_database(server_url) as url:
            settings = Settings(database_url=url)
            await migrate.downgrade(url, settings, "2026_12_06_baseline")
            conn = await asyncpg.connect(_plain(url))
            try:
                org, source, pool, operating = (uuid.uuid4() for _ in range(4))
                await conn.execute(
                    "INSERT INTO organisations (id, name, sector, kind) VALUES ($1, 'Old', 'public', 'council')",
                    org,
                )
                await conn.executemany(
                    "INSERT INTO ledger_accounts (id, kind, owner_kind, org_id, debits_must_not_exceed_credits) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    [
                        (source, "issuance", "platform", None, False),
                        (pool, "pool", "organisation", org, True),
                        (operating, "operating", "organisation", org, False),
                    ],
                )
                old = (
                    "SELECT result FROM kith_ledger_transfer($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, $9)"
                )
                minted, spent, held, voided = (uuid.uuid4() for _ in range(4))
                made = [
                    await conn.fetchval(old, minted, source, pool, 100, "mint", "single", None, None, False),
                    await conn.fetchval(old, spent, pool, operating, 10, "fund", "single", None, org, True),
                    await conn.fetchval(old, held, pool, operating, 20, "fund", "pending", None, org, True),
                ]
                assert made == ["created"] * 3
            finally:
                await conn.close()

            await migrate.upgrade(url, settings)
            conn = await asyncpg.connect(_plain(url))
            try:
                new = "SELECT * FROM kith_ledger_transfer($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, $9, false, $10)"
                replay = await conn.fetchrow(
                    new, spent, pool, operating, 10, "fund", "single", None, org, True, SERVICE_KEY
                )
                assert (replay["result"], replay["id"]) == ("exists", spent)
                void = await conn.fetchrow(
                    new, voided, None, None, None, "", "void", held, org, True, SERVICE_KEY
                )
                assert (void["result"], void["id"], void["pending_id"]) == ("created", voided, held)
                assert await conn.fetchval(
                    "SELECT debits_must_not_exceed_credits FROM ledger_accounts WHERE id = $1", operating
                )
                # What the organisation did not make keeps its id.
                assert await conn.fetchval("SELECT count(*) FROM ledger_transfers WHERE id = $1", minted) == 1
            finally:
                await conn.close()

            await migrate.downgrade(url, settings, "2026_12_06_baseline")
            conn = await asyncpg.connect(_plain(url))
            try:
                ids = {r["id"] for r in await conn.fetch("SELECT id FROM ledger_transfers")}
                assert ids == {minted, spent, held, voided}
            finally:
                await conn.close()
