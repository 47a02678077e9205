"""The rewards' background job: expiring credits past their pool's expiry."""

from __future__ import annotations

from app.core.config import Settings
from app.core.periodic import Job
from app.db.session import Database
from app.rewards import earning

# Credits expire by the day: looking once a minute is plenty, and spares the database a scan of the
# earnings that carry an expiry every second.
CREDIT_EXPIRY_SECONDS = 60.0


def jobs(db: Database, settings: Settings) -> list[Job]:
    """Credit expiry, once a minute (one transaction a turn: stopping loses nothing)."""

    async def expire_credits() -> None:
        async with db.session(platform=True) as session:
            await earning.expire_credits(session)

    return [Job("credit expiry", expire_credits, every=CREDIT_EXPIRY_SECONDS)]
