"""The worker's import job: each import started in the console, run to its end."""

from __future__ import annotations

from app.core.config import Settings
from app.core.periodic import Job
from app.db.session import Database
from app.imports import service

IMPORT_SECONDS = 2.0


def jobs(db: Database, settings: Settings) -> list[Job]:
    """Imports started in the console, one at a time, looked for every couple of seconds (one
    finished is followed by the next at once)."""

    async def run() -> bool:
        return await service.run_next(db)

    return [Job("imports", run, every=IMPORT_SECONDS, grace=30.0)]
