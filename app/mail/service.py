"""Mail to residents: by SMTP (aiosmtplib), or, with KITH_ENV=dev, onto the /dev/outbox page.

What a resident waits for (a sign-in code) is sent at once, and a failure is told to them. What
tells them of something that happened (a spend of their credits) is queued in the transaction of
the change and sent by the worker (:func:`deliver_queued`), retried with backoff: a mail server's
trouble neither undoes nor delays the change.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.errors import AppError
from app.db.session import Database
from app.mail import repository as repo

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # over about four hours of backoff
LEASE = timedelta(minutes=5)  # a claimed message another worker leaves alone meanwhile


class MailUnavailable(AppError):
    status, code, title = 503, "mail_unavailable", "Mail cannot be sent"


async def _smtp(settings: Settings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        use_tls=settings.smtp_security == "tls",
        start_tls=settings.smtp_security == "starttls",
        timeout=15,
    )


# What someone signing in is told when this server sends no mail: plain words, not its settings.
NOT_SET_UP = (
    "Signing in by email is not available here yet. Please try again later, or ask the organisation "
    "that told you about Kith."
)


def can_send(settings: Settings) -> bool:
    """Whether sign-in codes can go out: by SMTP, or to the outbox in development."""
    return settings.env == "dev" or bool(settings.smtp_host)


async def send(session: AsyncSession, settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message. In dev it is kept in the outbox, in the same transaction as the
    change that sent it; otherwise it goes to the SMTP server now."""
    if settings.env == "dev":
        await repo.outbox_append(session, [{"to": to, "subject": subject, "body": body}])
        return
    if not settings.smtp_host:
        log.error("a sign-in code could not be sent: KITH_SMTP_HOST is not configured")  # for the operator
        raise MailUnavailable(NOT_SET_UP)
    try:
        await _smtp(settings, to, subject, body)
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.warning("mail to a resident failed", extra={"error": type(exc).__name__})
        raise MailUnavailable(
            "The sign-in code could not be sent just now; please try again shortly."
        ) from exc


async def tell_resident(session: AsyncSession, canonical: uuid.UUID, subject: str, body: str) -> bool:
    """Tell a resident of something that happened, at the address they gave or that was verified
    (the one they sign in with); in the caller's transaction, so the message exists exactly when the
    change does. False when Kith holds no such address for them."""
    return await tell_residents(session, [(canonical, subject, body)]) == 1


async def tell_residents(session: AsyncSession, messages: list[tuple[uuid.UUID, str, str]]) -> int:
    """:func:`tell_resident` for many (canonical person, subject, body) at once, in two statements
    (a batch of registrations with consent tells every resident of their grant); how many had an
    address to be told at."""
    if not messages:
        return 0
    addresses = await repo.resident_addresses(session, list({m[0] for m in messages}))
    ready = [
        {"to": addresses[person], "subject": subject, "body": body}
        for person, subject, body in messages
        if person in addresses
    ]
    if ready:
        if session.info["settings"].env == "dev":
            await repo.outbox_append(session, ready)
        else:
            await repo.queue_mail(session, ready)
    return len(ready)


async def deliver_queued(db: Database, settings: Settings, limit: int = 20) -> int:
    """Send mail queued for residents (the worker's job). Each message is claimed for a while
    before it is sent, so that two workers do not both send it; a failure is retried later, at most
    MAX_ATTEMPTS times. The number sent."""
    if not settings.smtp_host:
        return 0  # kept until a mail server is set up
    async with db.session(platform=True) as session:
        claimed = await repo.claim_mail(session, limit, LEASE, MAX_ATTEMPTS)
    sent = 0
    for message in claimed:
        error = None
        try:
            await _smtp(settings, message.to_address, message.subject, message.body)
            sent += 1
        except (aiosmtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("mail to a resident failed; it will be retried", extra={"error": type(exc).__name__})
        async with db.session(platform=True) as session:
            await repo.mail_attempted(session, message.id, error, timedelta(minutes=2**message.attempts))
    return sent


async def forget_addresses(session: AsyncSession, emails: list[str]) -> None:
    """At erasure: every mail and notice to the person's addresses goes (platform scope)."""
    if emails:
        await repo.forget_addresses(session, emails)
