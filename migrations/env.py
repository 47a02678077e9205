"""Alembic environment: runs on a connection Kith hands over, or connects from KITH_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from app.db.base import Base
from app.db.session import async_url
from app.models import import_all_models

import_all_models()
target_metadata = Base.metadata
config = context.config


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    url = config.attributes.get("url") or os.environ.get("KITH_DATABASE_URL")
    if not url:
        raise SystemExit(
            "Set KITH_DATABASE_URL, or use `kith db upgrade` (which starts the embedded server)."
        )
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    async with engine.begin() as conn:
        await conn.run_sync(run_on)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")

connection = config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    asyncio.run(run_standalone())
