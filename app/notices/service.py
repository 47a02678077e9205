"""Telling residents what was done in their name: a notice is written in the transaction that did
it (so none is lost, and none goes out for a change that rolled back) and mailed afterwards, to
the address the resident signs in with, by :func:`deliver` (run every few seconds by the server)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.db.session import Database
from app.notices.models import ResidentNotice
from app.portal import mail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 20  # about an hour and a half of retries at the default interval, then left for an operator


async def tell(
    session: AsyncSession, person_canonical_id: uuid.UUID, kind: str, subject: str, body: str
) -> None:
    """Queue a notice to the resident; it is mailed once the caller's transaction commits. (An
    organisation's transaction may write one but not read it back: no RETURNING.)"""
    await session.execute(
        insert(ResidentNotice).values(
            id=uuid.uuid4(), person_id=person_canonical_id, kind=kind, subject=subject, body=body
        )
    )


# The address a resident signs in with: their own, else one an organisation trusted to verify
# identity checked (claims from others never carry verified; see people.service), oldest first so
# that a newly asserted address never takes over.
_ADDRESS = text(
    "SELECT r.claims #>> '{email,value}' FROM person_records r JOIN people p ON p.id = r.person_id "
    "WHERE p.canonical_id = :person AND r.claims ? 'email' "
    "AND (r.org_id IS NULL OR (r.claims #>> '{email,verified}') = 'true') "
    "ORDER BY (r.org_id IS NULL) DESC, r.created_at LIMIT 1"
)


async def deliver(db: Database, settings: Settings, limit: int = 50) -> int:
    """Mail the notices not yet sent (platform scope); the number sent. A resident with no address
    to write to still sees the notice in the portal; it is marked sent with nothing mailed."""
    sent = 0
    async with db.session(platform=True) as session:
        rows = (
            await session.execute(
                text(
                    "SELECT id, person_id, subject, body FROM resident_notices WHERE sent_at IS NULL "
                    "AND attempts < :most ORDER BY created_at LIMIT :n FOR UPDATE SKIP LOCKED"
                ),
                {"most": MAX_ATTEMPTS, "n": limit},
            )
        ).all()
        for row in rows:
            address = await session.scalar(_ADDRESS, {"person": row.person_id})
            try:
                if address:
                    await mail.send(session, settings, address, row.subject, row.body)
            except mail.MailUnavailable:
                await session.execute(
                    text("UPDATE resident_notices SET attempts = attempts + 1 WHERE id = :id"), {"id": row.id}
                )
                continue
            await session.execute(
                text("UPDATE resident_notices SET sent_at = now(), attempts = attempts + 1 WHERE id = :id"),
                {"id": row.id},
            )
            sent += 1
    return sent
