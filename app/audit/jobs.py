"""The audit trail's background job: signing each chain's head into a checkpoint."""

from __future__ import annotations

from typing import Any

from app.audit import service as audit
from app.core.config import Settings
from app.core.periodic import Job
from app.db.session import Database


def jobs(db: Database, settings: Settings, signing_key: Any) -> list[Job]:
    """A checkpoint every ``audit_checkpoint_seconds`` (none when 0), signed with the server's key
    (so only ``kith serve`` processes run it)."""
    if not settings.audit_checkpoint_seconds:
        return []

    async def checkpoint() -> None:
        await audit.checkpoint_now(db, signing_key)

    return [Job("audit checkpoints", checkpoint, every=settings.audit_checkpoint_seconds)]
