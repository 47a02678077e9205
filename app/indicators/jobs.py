"""The indicators' background job: bringing the roll-ups up to date."""

from __future__ import annotations

from app.core.config import Settings
from app.core.periodic import Job
from app.db.session import Database
from app.indicators import service as indicators


def jobs(db: Database, settings: Settings) -> list[Job]:
    """The roll-ups every ``indicator_refresh_seconds`` (none when 0). A run is one transaction:
    stopping cancels it and loses nothing."""
    if not settings.indicator_refresh_seconds:
        return []

    async def refresh() -> None:
        async with db.session(platform=True) as session:
            # Another process's run under way will see what this one would have: skip.
            await indicators.refresh(session, settings, wait=False)

    return [Job("indicator roll-ups", refresh, every=settings.indicator_refresh_seconds)]
