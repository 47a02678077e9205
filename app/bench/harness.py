"""What every scenario stands on: a fresh database, the service and the floor servers each in a
process of their own, organisations with API clients, progress bars, and load from another process."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import make_url

from app.auth.principal import Principal
from app.bench.load import LoadResult, LoadSpec, Request, drive_in_process
from app.core.config import Settings
from app.db import migrate, roles
from app.db.session import Database
from app.indicators import service as indicators_service
from app.organisations import service as organisations_service

LOOPBACK = "127.0.0.1"


def plain(url: str) -> str:
    """The URL in the form asyncpg itself accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def fresh_database(server_url: str | None) -> AsyncIterator[str]:
    """A new database on ``server_url``'s server (else on an embedded server in a temporary
    directory, removed afterwards), dropped when the block ends."""
    if not server_url:
        from app.db.embedded import start_embedded

        pg_dir = Path(tempfile.mkdtemp(prefix="kith-bench-pg-"))
        # At exit pgserver stops the server and deletes its data; registered first, this runs after.
        atexit.register(shutil.rmtree, pg_dir, True)
        server_url = start_embedded(pg_dir, database="postgres", cleanup_mode="delete")
    # The process id says which run a database left behind belongs to (runs may share a server).
    name = f"kith_bench_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(plain(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await roles.drop_login(admin, name)  # the service login kith serve made for it
    finally:
        await admin.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    """A server process listening on loopback."""

    port: int
    workers: int

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


@dataclass(frozen=True)
class ApiClient:
    org_id: uuid.UUID
    client_id: str
    secret: str


class Bench:
    """One run of ``kith bench``: the migrated database every scenario seeds its own data into,
    the sizes chosen, and the processes the scenarios start."""

    def __init__(self, url: str, size: str, workers: int, console: Console) -> None:
        self.url = url
        self.size = size
        self.workers = workers
        self.console = console
        self.data_dir = Path(tempfile.mkdtemp(prefix="kith-bench-data-"))
        self.settings = Settings(database_url=url, data_dir=self.data_dir)
        self._stack = contextlib.AsyncExitStack()
        self._shared: Server | None = None

    async def prepare(self) -> None:
        await migrate.upgrade(self.url, self.settings)

    async def close(self) -> None:
        """Stop the shared service, if one was started, and remove the run's data directory (the
        servers' logs and signing key)."""
        await self._stack.aclose()
        self._shared = None
        await asyncio.to_thread(shutil.rmtree, self.data_dir, True)

    # --------------------------------------------------------------------------- database access

    async def owner(self) -> asyncpg.Connection:
        """A connection as the tables' owner (no row-level security): for seeding and for floors."""
        return await asyncpg.connect(plain(self.url))

    async def api_client(
        self,
        name: str,
        scopes: list[str],
        *,
        sector: str = "public",
        kind: str = "council",
        admin: bool = False,
    ) -> ApiClient:
        """A new organisation with an API client, made as the operator would make them."""
        db = Database.connect(self.url, self.settings)
        try:
            async with db.session(platform=True) as session:
                org = await organisations_service.create_organisation(
                    session, Principal.operator(), name=name, sector=sector, kind=kind
                )
                row, secret = await organisations_service.create_client(
                    session, Principal.operator(), org.id, name="bench", scopes=scopes, admin=admin
                )
        finally:
            await db.dispose()
        return ApiClient(org.id, row.client_id, secret)

    async def catch_up_rollups(self) -> None:
        """Bring the indicator roll-ups up to date with what was just seeded, as a deployment that
        had been running would have them: otherwise the first run of a server started to be
        measured would rebuild them over the whole seeded population while the requests are timed
        (about ten seconds of PostgreSQL at 1,000,000 people)."""
        db = Database.connect(self.url, self.settings)
        try:
            async with db.session(platform=True) as session:
                await indicators_service.refresh(session, self.settings)
        finally:
            await db.dispose()

    # ------------------------------------------------------------------------------- processes

    def _server_env(self, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_")}
        return env | {
            "KITH_DATABASE_URL": self.url,
            "KITH_DATA_DIR": str(self.data_dir),
            "KITH_HOST": LOOPBACK,
            "KITH_PORT": str(port),
            "KITH_PUBLIC_URL": "http://bench",
            # The limits protect a deployment from its clients; here the clients are the point.
            "KITH_RATE_LIMIT": "1000000000/minute",
            "KITH_TOKEN_RATE_LIMIT": "1000000/minute",
            "KITH_LOG_LEVEL": "WARNING",
        }

    @contextlib.asynccontextmanager
    async def _process(self, name: str, argv: list[str], env: dict[str, str], port: int, workers: int):
        log_path = self.data_dir / f"{name.replace(' ', '-')}-{port}.log"
        with log_path.open("wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                *argv, env=env, stdout=log_file, stderr=asyncio.subprocess.STDOUT
            )
            try:
                server = Server(port, workers)
                with self.step(f"starting {name}, {workers} worker(s)"):
                    await _wait_ready(process, server, log_path)
                yield server
            finally:
                if process.returncode is None:
                    process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 60)
                except TimeoutError:
                    process.kill()
                    await process.wait()

    def service(self, workers: int, settings: dict[str, str] | None = None):
        """``kith serve --workers N`` against the run's database (async context manager -> Server),
        with these extra ``KITH_`` settings. Leaving the block stops it with SIGTERM, so its access
        log is flushed as on any clean stop."""
        port = free_port()
        argv = [sys.executable, "-m", "app.cli", "serve", "--no-migrate", "--workers", str(workers)]
        return self._process("kith serve", argv, self._server_env(port) | (settings or {}), port, workers)

    async def shared_service(self) -> Server:
        """The run's ``kith serve --workers N`` for scenarios that need nothing of a server but to
        measure it: started on first use and kept until the run ends (each start costs seconds)."""
        if self._shared is None:
            self._shared = await self._stack.enter_async_context(self.service(self.workers))
        return self._shared

    def floor_server(self, workers: int):
        """The profile-read floor: a bare Starlette + asyncpg app, served by uvicorn the same way."""
        port = free_port()
        argv = [sys.executable, "-m", "app.bench.floor_app", "--port", str(port), "--workers", str(workers)]
        env = self._server_env(port) | {"KITH_BENCH_FLOOR_DSN": plain(self.url)}
        return self._process("the floor server", argv, env, port, workers)

    async def bearer(self, server: Server, client: ApiClient) -> dict[str, str]:
        """The Authorization header with a fresh access token of ``client``'s from ``server``."""
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            answer = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.secret),
            )
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    # ------------------------------------------------------------------------------ load, progress

    async def drive(
        self,
        label: str,
        server: Server,
        headers: dict[str, str],
        requests: list[Request],
        *,
        concurrency: int,
        warmup: int = 0,
        seconds: float | None = None,
        repeat: bool = False,
    ) -> LoadResult:
        """Send ``requests`` to ``server`` from a separate process over ``concurrency`` connections
        (see LoadSpec)."""
        spec = LoadSpec(LOOPBACK, server.port, headers, requests, concurrency, warmup, seconds, repeat)
        total = None if repeat else len(requests) - warmup
        with self.step(label, total) as advance:
            return await drive_in_process(spec, advance)

    @contextlib.contextmanager
    def step(self, label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        """A progress bar for one step; yields ``set_done(n)``."""
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        ) as bar:
            task = bar.add_task(label, total=total)

            def set_done(n: int) -> None:
                bar.update(task, completed=n)

            yield set_done
            if total is not None:
                bar.update(task, completed=total)

    def say(self, message: str) -> None:
        self.console.log(message)


async def _wait_ready(process: asyncio.subprocess.Process, server: Server, log_path: Path) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as http:
        for _ in range(600):
            if process.returncode is not None:
                break
            try:
                if (await http.get("/readyz")).status_code == 200:
                    # One worker answering does not mean all have started: give the others a moment.
                    await asyncio.sleep(1.0 if server.workers > 1 else 0)
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    tail = (await asyncio.to_thread(log_path.read_text, errors="replace"))[-2000:]
    raise RuntimeError(f"the server on port {server.port} did not become ready:\n{tail}")
