"""The webhooks' background job: delivery (``delivery.py``)."""

from __future__ import annotations

from app.core.config import Settings
from app.core.periodic import Job
from app.db.session import Database
from app.webhooks.delivery import Deliveries


def jobs(db: Database, settings: Settings) -> list[Job]:
    """Fan-out, claims and attempts: a turn every ``webhook_poll_seconds``, and as soon as an
    attempt in flight ends (a slot is free). Stopping lets the attempts in flight end, each
    within its deadline."""
    deliveries = Deliveries(db, settings)
    return [
        Job(
            "webhook delivery",
            deliveries.turn,
            every=settings.webhook_poll_seconds,
            grace=5.0,
            wake=deliveries.slot_freed,
            close=deliveries.close,
        )
    ]
