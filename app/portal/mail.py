"""Mail to residents: by SMTP (aiosmtplib), or, with KITH_ENV=dev, onto the /dev/outbox page."""

from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.errors import AppError
from app.portal import repository as repo

log = logging.getLogger(__name__)


class MailUnavailable(AppError):
    status, code, title = 503, "mail_unavailable", "Mail cannot be sent"


async def send(session: AsyncSession, settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message. In dev it is kept in the outbox, in the same transaction as the
    change that sent it; otherwise it goes to the SMTP server now."""
    if settings.env == "dev":
        await repo.outbox_append(session, to, subject, body)
        return
    if not settings.smtp_host:
        raise MailUnavailable("Sign-in by email is not set up here (KITH_SMTP_HOST is not configured).")
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
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
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.warning("mail to a resident failed", extra={"error": type(exc).__name__})
        raise MailUnavailable(
            "The sign-in code could not be sent just now; please try again shortly."
        ) from exc
