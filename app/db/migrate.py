"""Alembic migrations driven from Kith's own commands (``kith db …``, ``kith serve``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

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
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    await _run(url, settings, fn)


async def downgrade(url: str, settings, revision: str) -> None:
    def fn(conn: Connection) -> None:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    await _run(url, settings, fn)


async def current(url: str, settings) -> str | None:
    def fn(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    return await _run(url, settings, fn)  # type: ignore[return-value]
