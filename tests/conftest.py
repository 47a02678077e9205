"""Test fixtures: a real PostgreSQL database built by the migrations, and the app over ASGI.

KITH_TEST_DATABASE_URL names a server on which the tests may create databases (each run makes its
own and drops it afterwards). Unset, the tests start the embedded server in a temporary directory.

Random data is drawn from a seed per test, made from the run's seed (KITH_TEST_SEED, else a new one)
and the test's id: a failed test's report names the run's seed, and running the test again with
KITH_TEST_SEED set to it draws the same data.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import random
import shlex
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from faker import Faker
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.core.config import Settings
from app.db import integrity, migrate, roles
from app.db.session import async_url, hmac_pads
from app.main import create_app
from tests.factories import Platform, random_data

RUN_SEED = int(os.environ.get("KITH_TEST_SEED") or random.SystemRandom().randrange(1_000_000_000))

# Hypothesis: a failure prints the @reproduce_failure blob that replays it. Under CI (the CI variable
# set, as .ci/run does) Hypothesis's own "ci" profile applies: the same examples every run. Elsewhere
# its examples are drawn from the run's seed (see pytest_configure), so KITH_TEST_SEED replays them.
hypothesis_settings.register_profile("kith", print_blob=True)
if hypothesis_settings.get_current_profile_name() != "ci":
    hypothesis_settings.load_profile("kith")


def pytest_configure(config: pytest.Config) -> None:
    # Read by Hypothesis's own plugin, whose pytest_configure runs after this one.
    if getattr(config.option, "hypothesis_seed", "absent") is None:
        config.option.hypothesis_seed = RUN_SEED


def pytest_report_header(config: pytest.Config) -> str:
    return f"KITH_TEST_SEED={RUN_SEED}"


def seed_of(node_id: str, run_seed: int = RUN_SEED) -> int:
    """The seed of the test ``node_id`` in the run of seed ``run_seed``."""
    digest = hashlib.blake2b(f"{run_seed}:{node_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@pytest.fixture(autouse=True)
def seeded_random(request: pytest.FixtureRequest) -> int:
    """Seed every source of random test data from the test's seed: the ``random`` module, Faker's
    shared generator and the factories' own (tests/factories.py)."""
    seed = seed_of(request.node.nodeid)
    random.seed(seed)
    Faker.seed(seed)
    random_data.begin(request.node.nodeid, seed)
    return seed


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed:
        report.sections.append(
            (
                "random data",
                f"KITH_TEST_SEED={RUN_SEED} reproduces this: "
                f"KITH_TEST_SEED={RUN_SEED} pytest {shlex.quote(item.nodeid)}",
            )
        )
    return report


# One audit key for every process of the test session (the app, its CLI subprocesses, the
# services tests connect themselves): the chains they append to in one database must verify.
os.environ.setdefault("KITH_AUDIT_KEY", "kith-test-audit-key")
# And one service key (the key transactions' contexts are opened with): tests that open one on a
# connection of their own pass it to kith_begin, as the service does.
os.environ.setdefault("KITH_SERVICE_KEY", "kith-test-service-key")
SERVICE_KEY = Settings(service_key=os.environ["KITH_SERVICE_KEY"]).service_secret()


def as_the_service() -> dict[str, str]:
    """Startup settings of a connection made as the service makes its own: the app role, and the
    audit key's pads (without them a transaction cannot append to the audit trail)."""
    ipad, opad = hmac_pads(os.environ["KITH_AUDIT_KEY"].encode())
    return {"role": "kith_app", "kith.audit_ipad": ipad, "kith.audit_opad": opad}


def _plain(url: str) -> str:
    """A URL asyncpg itself accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server_url() -> str:
    """An owner/superuser URL of the server the tests make their databases on."""
    url = os.environ.get("KITH_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from app.db.embedded import start_embedded

    data_dir = Path(tempfile.mkdtemp(prefix="kith-test-pg-"))
    # At exit pgserver stops the server and deletes its data; registered first, this runs after it.
    atexit.register(shutil.rmtree, data_dir, True)
    yield start_embedded(data_dir, database="postgres", cleanup_mode="delete")


@asynccontextmanager
async def fresh_database(server_url: str, *, migrated: bool = True) -> AsyncIterator[str]:
    """A new database on the test server, built by the migrations (or left empty); dropped
    afterwards."""
    name = f"kith_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_plain(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        if migrated:
            await migrate.upgrade(url, Settings(database_url=url))
        yield url
    finally:
        admin = await asyncpg.connect(_plain(server_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await roles.drop_login(admin, name)  # roles outlive databases: its service login goes too
        finally:
            await admin.close()


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    async with fresh_database(server_url) as url:
        yield url
        await _holds_together(url)


async def _holds_together(url: str) -> None:
    """``kith db check`` on what the whole suite left behind: no orphans, no ledger breaks. Tests
    that break the database on purpose do so in a database of their own or put it back."""
    engine = create_async_engine(async_url(url))
    try:
        async with AsyncSession(engine) as session:
            # As `kith db check` opens its transaction: the platform's context.
            await session.execute(text("SELECT kith_begin(NULL, true, NULL, :key)"), {"key": SERVICE_KEY})
            findings = await integrity.check(session)
    finally:
        await engine.dispose()
    assert not findings, "kith db check after the suite:\n" + "\n".join(
        f"  {f.check}: {f.count} (e.g. {', '.join(f.examples)})" for f in findings
    )


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kith-data")


def make_settings(database_url: str, data_dir: Path, **overrides) -> Settings:
    values = dict(
        env="test",
        database_url=database_url,
        data_dir=data_dir,
        public_url="http://testserver",
        rate_limit="100000/minute",
        token_rate_limit="100000/minute",
        log_json=False,
        log_level="WARNING",
        webhook_worker=False,  # the webhook tests run workers of their own
        indicator_refresh_seconds=0,  # the indicator tests refresh the roll-ups themselves
        identity_retrain_seconds=0,  # matching's parameters change only where a test changes them
        audit_checkpoint_seconds=0,  # the audit tests make checkpoints themselves
    )
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_app(settings: Settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def app(database_url: str, data_dir: Path):
    async with running_app(make_settings(database_url, data_dir)) as app:
        yield app


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@asynccontextmanager
async def rolled_back_session(app) -> AsyncIterator[AsyncSession]:
    """A session of the app's own (its role, its services, the platform context its sessions set)
    in a transaction rolled back when the block ends, whatever the code under test does: a commit
    or rollback of the session's only ends a savepoint within it."""
    async with app.state.db.engine.connect() as connection:
        outer = await connection.begin()
        # As every session of the app's opens its transaction (Database.session), platform-wide.
        await connection.exec_driver_sql(
            "SELECT kith_begin(NULL, true, NULL, $1)", (app.state.db.service_key,)
        )
        session = app.state.db.sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        session.info.update(app.state.db.services)
        try:
            yield session
        finally:
            await session.close()
            await outer.rollback()


@pytest.fixture
async def db_session(app) -> AsyncIterator[AsyncSession]:
    """For service-level tests: what the test writes through this session is gone when it ends.
    (What it writes through the app's HTTP interface, or through another connection, is committed;
    and a write here holds its row locks until the test ends, so an HTTP request touching the same
    rows would wait for it.)"""
    async with rolled_back_session(app) as session:
        yield session


@pytest.fixture
def platform(app, client) -> Platform:
    """Set-up helpers acting as the platform operator (organisations, clients, tokens)."""
    return Platform(app, client)


@pytest.fixture
async def owner_conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection as the tables' owner (the server's superuser in tests): for looking
    behind the service's back."""
    conn = await asyncpg.connect(_plain(database_url))
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def app_role_conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection as the service's own role, kith_app."""
    conn = await asyncpg.connect(_plain(database_url), server_settings=as_the_service())
    try:
        yield conn
    finally:
        await conn.close()
