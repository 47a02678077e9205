"""The request layer's background job: forgetting Idempotency-Key answers past their day."""

from __future__ import annotations

from app.core.config import Settings
from app.core.periodic import Job
from app.db import idempotency
from app.db.session import Database


def jobs(db: Database, settings: Settings) -> list[Job]:
    """The purge every ``idempotency_purge_seconds`` (always: the answers kept are personal data)."""

    async def purge() -> None:
        async with db.session(platform=True) as session:
            await idempotency.purge_expired(session)

    return [Job("idempotency key purge", purge, every=settings.idempotency_purge_seconds)]
