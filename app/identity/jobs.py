"""Identity's background job: re-estimating matching when enough has arrived."""

from __future__ import annotations

import logging

from app.core.config import Settings
from app.core.periodic import Job
from app.db.session import Database
from app.identity import training

log = logging.getLogger(__name__)

FIRST_AFTER = 60.0  # not in a server's first minute


def jobs(db: Database, settings: Settings) -> list[Job]:
    """A look every ``identity_retrain_seconds`` (none when 0) whether matching should be
    re-estimated (an estimate takes seconds; one transaction: stopping cancels it, losing nothing)."""
    if not settings.identity_retrain_seconds:
        return []

    async def retrain() -> None:
        async with db.session(platform=True) as session:
            done = await training.retrain_if_due(session, settings)
        if done is not None:
            log.info(
                "matching re-estimated from %d candidate pairs: %s (%d of %d reviewers' decisions agreed, %d before)",
                done.pairs,
                "adopted" if done.adopted else "not adopted",
                done.agreed,
                done.labels,
                done.agreed_before,
            )

    return [
        Job("identity retraining", retrain, every=settings.identity_retrain_seconds, first_after=FIRST_AFTER)
    ]
