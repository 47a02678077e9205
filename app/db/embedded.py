"""The embedded PostgreSQL server (the ``pgserver`` package) used when KITH_DATABASE_URL is unset."""

from __future__ import annotations

import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from app.core.config import Settings
from app.db.session import async_url

log = logging.getLogger(__name__)

DATABASE = "kith"


def start_embedded(data_dir: Path, database: str = DATABASE, *, cleanup_mode: str | None = "stop") -> str:
    """Start (or reuse) the embedded server in ``data_dir/pg`` and return an owner URL for ``database``.

    The server keeps running while any process holds it and is stopped cleanly when the last one
    exits (``cleanup_mode="stop"``; ``"delete"`` also removes the data, for tests); the next start
    reuses the same data.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (as on servers); pgserver copes.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: only the embedded path needs it

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir / "pg", cleanup_mode=cleanup_mode)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        try:
            server.psql(f'CREATE DATABASE "{database}";')
        except subprocess.CalledProcessError:  # created meanwhile by a sibling process
            log.info("database %s already exists", database)
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql+asyncpg://postgres@/{database}?host={quote(str(socket_dir))}"


@dataclass(frozen=True)
class DatabaseUrls:
    owner: str  # runs migrations and provisioning (the service's queries: app.db.roles.service_url)
    embedded: bool


def resolve_database(settings: Settings) -> DatabaseUrls:
    """The configured server, or the embedded one (started here) when KITH_DATABASE_URL is unset."""
    if settings.database_url:
        owner, embedded = async_url(settings.database_url), False
    else:
        owner, embedded = start_embedded(settings.data_dir), True
    return DatabaseUrls(owner, embedded)
