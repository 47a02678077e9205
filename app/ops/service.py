"""Health and readiness checks."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def migration_state(engine: AsyncEngine) -> str | None:
    """The database's current Alembic revision (raises if the database cannot be reached)."""
    async with engine.connect() as conn:
        return await conn.scalar(text("SELECT version_num FROM alembic_version"))
