"""Alembic migrations driven from Kith's own commands (``kith db …``, ``kith serve``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from app.core.errors import AppError
from app.db.session import make_engine


def project_root() -> Path:
    """Where alembic.ini and migrations/ live: the source tree, or the working directory."""
    here = Path(__file__).resolve().parents[2]
    for candidate in (here, Path.cwd()):
        if (candidate / "migrations" / "env.py").exists():
            return candidate
    raise AppError("Cannot find Kith's migrations/ directory (run from the project directory).", status=500)


def alembic_config(url: str | None = None) -> Config:
    root = project_root()
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    if url:
        cfg.attributes["url"] = url
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class SchemaFromAnOldRevision(AppError):
    """The database was built by a migration this version of Kith no longer has."""

    status, code, title = 500, "schema_from_an_old_revision", "The database must be recreated"


def check_revision(conn: Connection) -> str | None:
    """The database's revision, after checking that this version of Kith's migrations know it.

    The sixteen revisions of 2026-11-22 to 2026-12-03 were replaced by one baseline before any
    release, so a database they built cannot be upgraded: say so plainly instead of Alembic's
    "Can't locate revision" stack trace."""
    current = MigrationContext.configure(conn).get_current_revision()
    if current is not None:
        known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if current not in known:
            database = conn.engine.url.database
            raise SchemaFromAnOldRevision(
                f"The database {database!r} was built by migration {current!r}, which this version of "
                "Kith no longer has (the schema history was restarted from one baseline on 2026-12-06, "
                "before any release). It cannot be upgraded: recreate it — drop the database, or for "
                "the embedded server remove the data directory (KITH_DATA_DIR, default ./.kith) — and "
                "start Kith again."
            )
    return current


async def _run(url: str, settings, fn) -> object:
    # Migrations run as the URL's own role (the tables' owner), never as the app role.
    engine = make_engine(url, settings, role=None, pool=False)
    try:
        async with engine.begin() as conn:
            # The service's statement timeout is for requests: building an index over a million
            # rows takes longer, and a migration cut short is only rolled back.
            await conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


async def upgrade(url: str, settings, revision: str = "head") -> None:
    def fn(conn: Connection) -> None:
        check_revision(conn)
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        register_service_key(conn, settings)

    await _run(url, settings, fn)


def register_service_key(conn: Connection, settings) -> None:
    """Let the database believe contexts opened with this service's key (its SHA-256 digest is
    kept, never the key): a database migrated by one ``kith`` opens to the service sharing its audit
    key, and to nothing else."""
    if conn.exec_driver_sql("SELECT to_regclass('public.kith_service_keys')").scalar() is None:
        return  # a revision before the keyed context
    conn.execute(
        text("INSERT INTO kith_service_keys (digest) VALUES (:digest) ON CONFLICT DO NOTHING"),
        {"digest": hashlib.sha256(settings.service_secret()).digest()},
    )


async def downgrade(url: str, settings, revision: str) -> None:
    def fn(conn: Connection) -> None:
        check_revision(conn)
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    await _run(url, settings, fn)


async def current(url: str, settings) -> str | None:
    def fn(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    return await _run(url, settings, fn)  # type: ignore[return-value]
