"""Engine, sessions and the per-transaction organisation context (row-level security)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool, Pool, QueuePool

from app.core.config import Settings
from app.core.errors import Unauthorized
from app.db.rls import APP_ROLE

# One round trip opens every request's transaction: it sets the organisation context (local to the
# transaction, and believed only with the service's key: see the context_keyed revision) and
# answers whether the calling API client is still enabled, so that disabling a client takes effect
# on its very next request rather than when its token expires.
_BEGIN = "SELECT kith_begin($1::uuid, $2, $3, $4)"


def async_url(url: str) -> str:
    """Normalise a PostgreSQL URL to SQLAlchemy's asyncpg form."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def hmac_pads(key: bytes) -> tuple[str, str]:
    """HMAC-SHA256's inner and outer pads of ``key`` (RFC 2104), as hex."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key).hex(), bytes(b ^ 0x5C for b in key).hex()


def make_engine(
    url: str, settings: Settings, *, role: str | None = APP_ROLE, pool: bool = True
) -> AsyncEngine:
    """An engine whose connections start as ``role`` (the non-owner app role by default)."""
    ipad, opad = hmac_pads(settings.audit_secret())
    server_settings = {
        "statement_timeout": str(settings.statement_timeout_ms),
        "jit": "off",  # JIT compilation only slows the short OLTP queries Kith runs
        "application_name": "kith",
        # The audit chain's HMAC key, as its pads, for the append trigger: held by the service's
        # own connections only, never stored in the database (see the audit_keyed revision).
        "kith.audit_ipad": ipad,
        "kith.audit_opad": opad,
    }
    if role:
        # Sent in the startup packet, so even RESET ROLE returns to this role.
        server_settings["role"] = role
    kwargs: dict = {"connect_args": {"server_settings": server_settings}}
    if pool:
        kwargs.update(
            pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow, pool_pre_ping=False
        )
    else:
        kwargs["poolclass"] = NullPool
    engine = create_async_engine(async_url(url), **kwargs)
    _drop_closed_connections(engine)
    return engine


# Errors that mean the server cannot be reached or has dropped the connection (refused, reset,
# shut down, terminated by an administrator), as opposed to a statement's own failure.
_UNAVAILABLE = (
    OSError,  # refused, reset, unreachable, DNS
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.CannotConnectNowError,  # starting up, shutting down, in recovery
    asyncpg.exceptions.AdminShutdownError,  # pg_terminate_backend, a fast shutdown
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database cannot be reached just now: such a
    request is answered 503 with Retry-After, not 500."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, _UNAVAILABLE):
            return True
        if isinstance(e, DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(e, asyncpg.exceptions.InterfaceError) and "connection is closed" in str(e):
            return True
        stack.extend((getattr(e, "orig", None), e.__cause__, e.__context__))
    return False


_LOST = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,  # pg_terminate_backend, a fast shutdown
    asyncpg.exceptions.CrashShutdownError,
)


def _connection_lost(exc: DBAPIError) -> bool:
    """Whether ``exc`` says an open connection was lost (not that a new one could not be made:
    trying that again at once would only double the wait of an outage)."""
    if exc.connection_invalidated:  # SQLAlchemy found it closed (and invalidated the pool's older ones)
        return True
    cause = exc.orig.__cause__ if exc.orig is not None else None
    return isinstance(cause, _LOST) or (
        isinstance(cause, asyncpg.exceptions.InterfaceError) and "connection is closed" in str(cause)
    )


def _drop_closed_connections(engine: AsyncEngine) -> None:
    """At checkout, a pooled connection whose server side has gone (terminated, restarted) is
    replaced before use: asyncpg marks a connection closed as soon as the event loop reads the
    server's goodbye, so the check costs no round trip (a pre-ping would cost one per request)."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _check(dbapi_connection, connection_record, connection_proxy) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # Process-wide services every transaction may reach through ``session.info`` (such as the
    # access-log writer), so that service functions need no request to find them.
    services: dict[str, Any] = field(default_factory=dict)
    # The key every transaction's context is opened with (Settings.service_key); held here, in the
    # process, and never in the database session, where a statement could read it.
    service_key: bytes = b""

    def __post_init__(self) -> None:
        self.services[SERVICE_KEY] = self.service_key
        # For what must be written even when the request's own transaction is rolled back (a wrong
        # PIN counted, then refused): a transaction of its own, session.info["db"].
        self.services["db"] = self

    @classmethod
    def connect(cls, url: str, settings: Settings, *, role: str | None = APP_ROLE) -> Database:
        engine = make_engine(url, settings, role=role)
        return cls(
            engine,
            async_sessionmaker(engine, expire_on_commit=False, autoflush=False),
            # The settings reach every transaction one way: session.info["settings"].
            services={"settings": settings},
            service_key=settings.service_secret(),
        )

    @asynccontextmanager
    async def direct(self) -> AsyncIterator[asyncpg.Connection]:
        """A plain asyncpg connection from the pool, outside any transaction, for work that is one
        statement which opens its own context and is its own transaction (``kith_ledger_request``):
        no session, and no BEGIN or COMMIT round trips. Handing it back costs no round trip either
        (SQLAlchemy rolls back only a transaction it began)."""
        pooled = await self.engine.raw_connection()  # a third of the cost of engine.connect()
        try:
            yield pooled.driver_connection
        finally:
            pooled.close()  # back to the pool

    @asynccontextmanager
    async def session(
        self,
        *,
        org_id: uuid.UUID | None = None,
        platform: bool = False,
        client_id: str | None = None,
    ) -> AsyncIterator[AsyncSession]:
        """A transaction under an organisation context: commits when the block succeeds, rolls
        back when it raises. This is the one place Kith commits.

        A pooled connection found dead by the transaction's first statement (the server ended it
        before the pool could notice, see _drop_closed_connections) is replaced and the statement
        sent once more: nothing of the block's work had been sent, so trying again is safe."""
        for attempt in (1, 2):
            try:
                async with self.sessionmaker() as session, session.begin():
                    # Every request pays for this statement: it skips SQLAlchemy's compilation. (It
                    # must go through SQLAlchemy, which opens the asyncpg transaction on its first
                    # statement; later statements may then use the driver directly, see
                    # driver_connection.)
                    try:
                        connection = await session.connection()
                        active = (
                            await connection.exec_driver_sql(
                                _BEGIN, (org_id, platform, client_id, self.service_key)
                            )
                        ).scalar()
                    except DBAPIError as exc:
                        if attempt == 1 and _connection_lost(exc):
                            raise _DeadOnArrival() from exc
                        raise
                    if not active:
                        raise ClientDisabled()
                    session.info.update(self.services)
                    yield session
                    # Work that must be the transaction's last statements (the audit append)
                    # registers here.
                    for hook in session.info.pop("before_commit", ()):
                        await hook(session)
                return
            except _DeadOnArrival:
                continue

    async def dispose(self) -> None:
        await self.engine.dispose()


SERVICE_KEY = "service_key"  # where a session finds the key (session.info, from Database.services)


def service_key(session: AsyncSession) -> bytes:
    """The service's key, for a statement that opens or widens a context itself."""
    return session.info[SERVICE_KEY]


class _DeadOnArrival(Exception):
    """The transaction's first statement found its pooled connection dead: try another."""


class ClientDisabled(Unauthorized):
    def __init__(self) -> None:
        super().__init__("This API client has been disabled.")


async def driver_connection(session: AsyncSession):
    """The asyncpg connection under the session's transaction, for bulk statements whose array
    parameters are cheaper to hand to asyncpg directly than through SQLAlchemy's bind processing."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


class StatementQueue:
    """Statements sent one after another on a connection while the caller goes on
    working: each leaves as soon as the one before it has answered, so that PostgreSQL works on
    one part of a job while Python works on another. A failed statement fails every statement
    queued after it, unsent. Open one with :func:`statement_queue`."""

    def __init__(self, connection: Any, key: bytes = b"") -> None:
        self._connection = connection
        self.key = key  # the service's key, for queued_platform_scope
        self._sent: list[asyncio.Task] = []

    def fetch(self, query: str, *args: Any) -> asyncio.Task:
        """Queue a query; the task answers its rows."""
        return self._queue(lambda: self._connection.fetch(query, *args))

    def execute(self, query: str, *args: Any) -> asyncio.Task:
        """Queue a statement whose rows are not wanted."""
        return self._queue(lambda: self._connection.execute(query, *args))

    def fetchval(self, query: str, *args: Any) -> asyncio.Task:
        """Queue a query; the task answers the first column of its first row."""
        return self._queue(lambda: self._connection.fetchval(query, *args))

    def execute_later(self, query: str, arguments: Callable[[], Sequence[Any]]) -> asyncio.Task:
        """Queue a statement whose arguments are known only when its turn comes (``arguments`` is
        called then: it may read the answers of statements queued before it)."""
        return self._queue(lambda: self._connection.execute(query, *arguments()))

    def _queue(self, send: Callable[[], Awaitable[Any]]) -> asyncio.Task:
        before = self._sent[-1] if self._sent else None

        async def in_turn() -> Any:
            if before is not None:
                await before  # re-raises its failure: nothing is sent after a failed statement
            return await send()

        task = asyncio.ensure_future(in_turn())
        self._sent.append(task)
        return task

    async def settle(self, *, raising: bool = True) -> None:
        """Wait until every queued statement has answered; ``raising``: raise the first failure."""
        await asyncio.gather(*self._sent, return_exceptions=not raising)


@asynccontextmanager
async def statement_queue(session: AsyncSession) -> AsyncIterator[StatementQueue]:
    """A :class:`StatementQueue` on the session's transaction. The connection is the session's
    again once the block ends: every queued statement has answered by then, even when the block
    raises (its error is the one that propagates)."""
    async with _settled(StatementQueue(await driver_connection(session), service_key(session))) as queue:
        yield queue


@asynccontextmanager
async def side_queue(
    session: AsyncSession, *, wanted: bool = True, platform: bool = False
) -> AsyncIterator[StatementQueue | None]:
    """A :class:`StatementQueue` on a second connection from the session's pool, outside its
    transaction: for read-only statements that run beside the transaction's own (PostgreSQL then
    works on both at once) and need not see its uncommitted writes. They run in a transaction of
    their own (rolled back when the block ends) with no organisation context: ``platform``, they
    see across organisations (as in :func:`platform_scope`); otherwise row-level security shows them
    nothing.

    None — the caller then queues on the transaction's own connection — unless ``wanted`` and the
    pool can lend a connection at once: a request already holding one must never wait for a
    second, or enough such requests at the same time would each hold one and wait forever."""
    if not wanted or not _lends_at_once(session.bind.pool):  # type: ignore[union-attr]
        yield None
        return
    async with session.bind.connect() as connection:  # type: ignore[union-attr]
        # Through SQLAlchemy, so that its transaction begins here and is rolled back at the end.
        if platform:
            await connection.execute(_ENTER_PLATFORM, {"key": service_key(session)})
        else:
            await connection.execute(text("SELECT 1"))
        raw = await connection.get_raw_connection()
        async with _settled(StatementQueue(raw.driver_connection, service_key(session))) as queue:
            yield queue


@asynccontextmanager
async def _settled(queue: StatementQueue) -> AsyncIterator[StatementQueue]:
    """``queue`` for the block; every statement queued on it has answered when the block ends, even
    when it raises (the block's error is then the one that propagates)."""
    try:
        yield queue
    except BaseException:
        await queue.settle(raising=False)
        raise
    await queue.settle()


def _lends_at_once(pool: Pool) -> bool:
    """Whether ``pool`` hands out a connection without waiting: it has one idle, or room to open one
    (a pool that keeps none, such as NullPool, always opens one)."""
    if not isinstance(pool, QueuePool):
        return True
    limit = pool._max_overflow  # no public accessor; negative: no limit
    return pool.checkedin() > 0 or limit < 0 or pool.overflow() < limit


@asynccontextmanager
async def platform_scope(session: AsyncSession) -> AsyncIterator[None]:
    """Let the enclosed statements see across organisations (row-level security's platform
    context), then restore the caller's context. For platform functions that must look across
    organisations by nature, such as identity matching; never for answering a read."""
    previous = await session.scalar(_ENTER_PLATFORM, {"key": service_key(session)})
    done = False
    try:
        yield
        done = True
    finally:
        try:
            await session.execute(_RESTORE_PLATFORM, {"previous": previous or ""})
        except DBAPIError:
            if done:
                raise
            # The block failed the transaction: its own error is the one to see, and the context
            # ends with the transaction.


async def resident_scope(session: AsyncSession, person_id: uuid.UUID) -> None:
    """Narrow this transaction, for the rest of it, to one resident (a signed-in portal page): no
    organisation and no platform scope; row-level security then shows and lets it write only that
    resident's rows (``kith_resident_on``). A function that works across people by nature widens
    again with :func:`platform_scope`."""
    await session.execute(_RESIDENT_ON, {"key": service_key(session), "person": person_id})


@contextmanager
def queued_platform_scope(queue: StatementQueue) -> Iterator[None]:
    """:func:`platform_scope` for the statements queued on ``queue`` inside the block: entering and
    restoring are queued around them."""
    previous = queue.fetchval(_ENTER_PLATFORM_SQL, queue.key)
    try:
        yield
    finally:
        queue.execute_later(_RESTORE_PLATFORM_SQL, lambda: [previous.result() or ""])


_ENTER_PLATFORM_SQL = "SELECT kith_platform_on($1)"
_RESTORE_PLATFORM_SQL = "SELECT kith_platform_restore($1)"
_ENTER_PLATFORM = text("SELECT kith_platform_on(:key)")
_RESTORE_PLATFORM = text("SELECT kith_platform_restore(:previous)")
_RESIDENT_ON = text("SELECT kith_resident_on(:key, :person)")
