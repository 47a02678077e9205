"""Mail's background job: sending the mail queued for residents."""

from __future__ import annotations

from app.core.config import Settings
from app.core.periodic import Job
from app.db.session import Database
from app.mail import service as mail

MAIL_SECONDS = 2.0
MAIL_BATCH = 20
MAIL_GRACE = 15.0  # at stop, a message cut off is sent again once its claim lapses


def jobs(db: Database, settings: Settings) -> list[Job]:
    """Queued mail sent every couple of seconds (a turn sending a full batch is followed by the
    next at once); a slow mail server holds up only this job."""

    async def send_queued() -> bool:
        return await mail.deliver_queued(db, settings, MAIL_BATCH) >= MAIL_BATCH

    return [Job("resident mail", send_queued, every=MAIL_SECONDS, grace=MAIL_GRACE)]
