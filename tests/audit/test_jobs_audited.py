"""Every job the worker runs is audited where it changes residents' or organisations' data.

The jobs are taken from ``app/worker.py`` itself (``background_jobs`` and ``server_jobs``, every
setting that turns one off turned on), so a new job fails here until it is put in one of the two
lists: the jobs that change data, each given work to do, run once and held to an audit entry in
its name; and the jobs that keep only their own bookkeeping, each with the reason. The jobs act
platform-wide on whatever is due, so they run in a database of this module's own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from app.auth.principal import Principal
from app.core.periodic import Job
from app.ledger import service as ledger
from app.worker import background_jobs, server_jobs
from tests.conftest import _plain, fresh_database, make_settings, running_app
from tests.factories import Platform, org_with_token, unique_resident
from tests.ledger.conftest import SCOPES as LEDGER_SCOPES
from tests.ledger.conftest import make_pool, mint
from tests.webhooks.conftest import DEV_SETTINGS, Receiver, free_port, grant, serving, subscribed


@dataclass
class World:
    """The module's database, its app (as in development: webhooks may target loopback; its own
    jobs off) and a connection as the tables' owner."""

    app: object
    client: httpx.AsyncClient
    platform: Platform
    owner: asyncpg.Connection
    data_dir: Path

    def jobs(self, **overrides) -> list[Job]:
        """Every job a process of the worker's can run: webhook delivery in the server, and every
        job a setting of 0 turns off turned on."""
        base = make_settings(self.app.state.settings.database_url, self.data_dir, **DEV_SETTINGS)
        turned_on = {n: 60.0 for n, v in base.model_dump().items() if n.endswith("_seconds") and v == 0}
        settings = base.model_copy(update={"webhook_worker": True, **turned_on, **overrides})
        db = self.app.state.db
        named = {j.name: j for j in background_jobs(db, settings)}
        named |= {j.name: j for j in server_jobs(db, settings, self.app.state.signing_key)}
        return list(named.values())

    async def job_entries(self) -> int:
        return await self.owner.fetchval("SELECT count(*) FROM audit_log WHERE actor LIKE 'job:%'")


@pytest.fixture(scope="module")
async def world(server_url, tmp_path_factory) -> AsyncIterator[World]:
    data_dir = tmp_path_factory.mktemp("kith-jobs")
    async with fresh_database(server_url) as url:
        async with running_app(make_settings(url, data_dir, env="dev")) as app:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client:
                owner = await asyncpg.connect(_plain(url))
                try:
                    yield World(app, client, Platform(app, client), owner, data_dir)
                finally:
                    await owner.close()


# ------------------------------------------------------------------ work for the jobs that change data


async def expired_hold(world: World, stack: AsyncExitStack) -> dict:
    """A hold whose timeout has passed."""
    _, headers = await org_with_token(world.platform, LEDGER_SCOPES)
    pool, other = await make_pool(world.client, headers), await make_pool(world.client, headers, "Second")
    await mint(world.client, await world.platform.admin_headers(), pool, 100)
    hold = {
        "id": str(uuid.uuid4()),
        "debit_account_id": pool,
        "credit_account_id": other,
        "amount": 10,
        "code": "fund",
        "pending": True,
        "timeout_seconds": 1,
    }
    made = await world.client.post("/v1/ledger/transfers", json=hold, headers=headers)
    assert made.status_code == 201, made.text
    await asyncio.sleep(1.1)
    return {}


async def credits_past_expiry(world: World, stack: AsyncExitStack) -> dict:
    """A resident's earning past its expiry (as its transfer's metadata says: the ledger's record
    cannot be backdated, so the earning is made with an expiry already past)."""
    _, headers = await org_with_token(world.platform, LEDGER_SCOPES)
    pool = await make_pool(world.client, headers, "Expiring")
    await mint(world.client, await world.platform.admin_headers(), pool, 100)
    person = (await world.client.post("/v1/people", json=unique_resident(), headers=headers)).json()
    canonical = await world.owner.fetchval(
        "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(person["person_id"])
    )
    async with world.app.state.db.session(platform=True) as session:
        wallet = await ledger.wallet(session, canonical)
        result, _ = await ledger.apply(
            session,
            Principal.operator(),
            ledger.Transfer(
                uuid.uuid4(),
                code="earn",
                amount=20,
                debit_account_id=uuid.UUID(pool),
                credit_account_id=wallet,
                metadata={"expires_at": "2025-01-01T00:00:00+00:00"},
            ),
            None,
        )
    assert result == "created"
    return {}


async def a_receiver_gone(world: World, stack: AsyncExitStack) -> dict:
    """An event for a subscription whose receiver answers 410 Gone (which disables it)."""
    receiver = await stack.enter_async_context(serving(Receiver(free_port(), answers=[(410, {})])))
    _, headers, _sub, person = await subscribed(world.app, world.client, receiver)
    await grant(world.client, headers, person)
    return {}


async def records_since_the_last_estimate(world: World, stack: AsyncExitStack) -> dict:
    """Records enough that matching is due to be re-estimated (never adopted: too few reviewers'
    decisions to judge an estimate by)."""
    _, headers = await org_with_token(world.platform)
    for _ in range(12):
        made = await world.client.post("/v1/people", json=unique_resident(), headers=headers)
        assert made.status_code in (200, 201), made.text
    return {"identity_retrain_records": 1, "identity_retrain_labels": 10**9}


async def an_import_started(world: World, stack: AsyncExitStack) -> dict:
    """A file a caseworker uploaded in the console and started."""
    from app.imports import service as imports
    from app.organisations import service as organisations

    org = await world.platform.make_org()
    async with world.app.state.db.session(platform=True) as session:
        staff = await organisations.invite_staff(
            session,
            Principal.operator(),
            org.id,
            email=f"importer.{uuid.uuid4().hex[:8]}@example.org",
            role="caseworker",
        )
    principal = Principal.staff(org.id, staff.id, "caseworker")
    person = unique_resident()
    content = f"Forename,Surname\n{person['given_name']},{person['family_name']}\n".encode()
    async with world.app.state.db.session(org_id=org.id, client_id=principal.client_id) as session:
        import_id = await imports.upload(session, principal, "people.csv", content)
        await imports.start(
            session, principal, import_id, {"given_name": "Forename", "family_name": "Surname"}, "dmy"
        )
    return {}


# Each job that changes residents' or organisations' data, and the work that makes it do so (which
# answers the settings the job needs for it).
AUDITED: dict[str, Callable[[World, AsyncExitStack], Awaitable[dict]]] = {
    "ledger hold timeouts": expired_hold,  # voids the hold: a transfer between two owners' accounts
    "credit expiry": credits_past_expiry,  # moves a resident's credits out of their wallet
    "webhook delivery": a_receiver_gone,  # a 410 Gone disables the organisation's subscription
    "identity retraining": records_since_the_last_estimate,  # an estimate adopted decides who is whom
    "imports": an_import_started,  # resolves an organisation's records as the member of staff who started it
}

# Each job that writes only its own bookkeeping, and why that is all it writes.
BOOKKEEPING: dict[str, str] = {
    "resident mail": "sends mail queued (and audited) with the change it tells of; records only its attempts",
    "indicator roll-ups": "recomputes aggregates derived from the data, which it only reads",
    "idempotency key purge": "forgets stored answers to retried requests once their 24 hours are up",
    "audit checkpoints": "signs the audit chains' heads; an entry of its own would move the heads it signs",
}


async def test_every_job_is_listed_once(world):
    jobs = world.jobs()
    try:
        names = [j.name for j in jobs]
    finally:
        await _close(jobs)
    assert not set(AUDITED) & set(BOOKKEEPING)
    unlisted = set(names) - set(AUDITED) - set(BOOKKEEPING)
    assert not unlisted, f"jobs in neither list (audited, or bookkeeping with a reason): {unlisted}"
    assert set(AUDITED) | set(BOOKKEEPING) == set(names), "a listed job the worker no longer runs"


@pytest.mark.parametrize("name", sorted(AUDITED))
async def test_a_job_that_changes_data_leaves_an_audit_entry(world, name):
    async with AsyncExitStack() as stack:
        overrides = await AUDITED[name](world, stack)
        before = await world.job_entries()
        jobs = world.jobs(**overrides)
        [job] = [j for j in jobs if j.name == name]
        try:
            await job.turn()
        finally:
            await _close(jobs)  # the webhook job's close waits for the attempts it started
        assert await world.job_entries() > before, f"{name}: did its work, left no audit entry"


async def _close(jobs: list[Job]) -> None:
    for job in jobs:
        if job.close is not None:
            await job.close()
