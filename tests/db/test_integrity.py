"""`kith db check`: orphans behind the references the schema does not enforce, and ledger totals
that disagree with their transfers. Each break is made inside a transaction that is rolled back."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.db import integrity
from app.db.session import async_url
from tests.conftest import SERVICE_KEY, fresh_database
from tests.test_cli import kith


@pytest.fixture(scope="module")
async def own_database(server_url: str):
    """A database of this module's own: the suite's shared one holds whatever other tests left."""
    async with fresh_database(server_url) as url:
        yield url


async def findings_after(database_url: str, *statements: str) -> dict[str, integrity.Finding]:
    """What the check finds once ``statements`` have run, in a transaction rolled back afterwards."""
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            await conn.begin()
            session = AsyncSession(bind=conn)
            await session.execute(text("SELECT kith_begin(NULL, true, NULL, :key)"), {"key": SERVICE_KEY})
            for statement in statements:
                await session.execute(text(statement))
            found = await integrity.check(session)
            await conn.rollback()
    finally:
        await engine.dispose()
    return {f.check: f for f in found}


class TestOrphans:
    async def test_a_record_of_a_person_who_does_not_exist(self, own_database):
        ghost, org, record = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        found = await findings_after(
            own_database,
            f"INSERT INTO organisations (id, name, sector, kind) VALUES ('{org}', 'Ghost Hall', 'social', 'charity')",
            "INSERT INTO person_records (id, person_id, org_id, source_sector, claims) "
            f"VALUES ('{record}', '{ghost}', '{org}', 'social', '{{}}')",
        )
        orphan = found["orphans: person_records.person_id -> people.id"]
        assert orphan.count == 1 and orphan.examples == [str(ghost)]

    async def test_a_person_whose_canonical_person_does_not_exist(self, own_database):
        person, ghost = uuid.uuid4(), uuid.uuid4()
        found = await findings_after(
            own_database, f"INSERT INTO people (id, canonical_id) VALUES ('{person}', '{ghost}')"
        )
        assert found["orphans: people.canonical_id -> people.id"].examples == [str(ghost)]


class TestLedger:
    async def test_totals_that_no_transfer_made(self, own_database):
        a, b = uuid.uuid4(), uuid.uuid4()
        found = await findings_after(
            own_database,
            "INSERT INTO ledger_accounts (id, kind, owner_kind, debits_must_not_exceed_credits, credits_posted) "
            f"VALUES ('{a}', 'issuance', 'platform', false, 0), ('{b}', 'pool', 'platform', true, 7)",
        )
        assert found["ledger: account totals equal their transfers"].examples == [str(b)]
        assert "ledger: total debits equal total credits" in found


class TestCommand:
    async def test_a_database_that_holds_together_passes(self, own_database, data_dir):
        assert await findings_after(own_database) == {}
        done = kith("db", "check", "--json", database_url=own_database, data_dir=data_dir)
        assert done.returncode == 0, done.stdout + done.stderr
        assert '"ok": true' in done.stdout
