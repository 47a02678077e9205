"""The background worker: every job a Kith process runs besides answering requests, listed here,
each living in its own domain's ``jobs.py`` and run by :class:`app.core.periodic.Jobs` on its own
schedule in a task of its own (one failing or slow job never delays another).

``kith worker`` runs :func:`background_jobs`; each ``kith serve`` process runs :func:`server_jobs`:
the same (unless ``KITH_WEBHOOK_WORKER=false``, when separate ``kith worker`` processes do) and the
audit checkpoints, which are signed with the server's key.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.audit import jobs as audit_jobs
from app.core.config import Settings
from app.core.periodic import Job
from app.db import jobs as db_jobs
from app.db.session import Database
from app.identity import jobs as identity_jobs
from app.imports import jobs as imports_jobs
from app.indicators import jobs as indicators_jobs
from app.ledger import jobs as ledger_jobs
from app.mail import jobs as mail_jobs
from app.rewards import jobs as rewards_jobs
from app.webhooks import jobs as webhooks_jobs


def background_jobs(db: Database, settings: Settings) -> list[Job]:
    """Webhook delivery, ledger hold time-outs, credit expiry, mail to residents, indicator
    roll-ups, identity retraining, imports started in the console and the Idempotency-Key purge (roll-ups, retraining and the
    purge only when their settings ask for them)."""
    return [
        *webhooks_jobs.jobs(db, settings),
        *ledger_jobs.jobs(db, settings),
        *rewards_jobs.jobs(db, settings),
        *mail_jobs.jobs(db, settings),
        *indicators_jobs.jobs(db, settings),
        *identity_jobs.jobs(db, settings),
        *db_jobs.jobs(db, settings),
        *imports_jobs.jobs(db, settings),
    ]


def server_jobs(db: Database, settings: Settings, signing_key: Any) -> list[Job]:
    """What each ``kith serve`` process runs beside the API."""
    background = background_jobs(db, settings) if settings.webhook_worker else []
    return [*background, *audit_jobs.jobs(db, settings, signing_key)]


HEARTBEAT_EVERY_SECONDS = 15.0
HEARTBEAT_STALE_SECONDS = 60.0


def _heartbeat_path(settings: Settings) -> Path:
    """This machine's worker heartbeat (one per host: containers sharing a data volume each keep
    their own)."""
    return Path(settings.data_dir) / f"worker-{socket.gethostname()}.heartbeat"


def heartbeat(db: Database, settings: Settings) -> Job:
    """``kith worker``'s sign of life for a container's health check (``kith worker --check``): every
    15 s, once it has reached the database, the heartbeat file's time is set to now."""
    path = _heartbeat_path(settings)

    async def turn() -> None:
        async with db.session(platform=True) as session:
            await session.execute(text("SELECT 1"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    return Job("worker heartbeat", turn, every=HEARTBEAT_EVERY_SECONDS)


def heartbeat_age(settings: Settings) -> float | None:
    """Seconds since this machine's worker last reached the database (None: never)."""
    try:
        return time.time() - _heartbeat_path(settings).stat().st_mtime
    except FileNotFoundError:
        return None
