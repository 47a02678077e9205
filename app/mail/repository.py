"""Queries for mail to residents: the address each is told of things at, the queue the worker sends,
and the development outbox (platform tables)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# A record's email is the resident's if they gave it themselves or it was verified: the addresses a
# resident signs in with, and the one they are told of things at.
# An address is the resident's own word, or verified by an organisation the platform trusts to
# verify identity now (not merely when it made the claim).
THEIR_EMAIL = (
    "(r.org_id IS NULL OR ((r.claims #>> '{email,verified}') = 'true' AND EXISTS "
    "(SELECT 1 FROM organisations v WHERE v.id = r.org_id AND v.verifies_identity)))"
)


async def resident_addresses(session: AsyncSession, canonical_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The address each resident is told of things at: their own word first, then the first
    verified one (a newly verified address never takes over from the one they have)."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (p.canonical_id) p.canonical_id, r.claims #>> '{email,value}' AS email "  # noqa: S608
            "FROM person_records r JOIN people p ON p.id = r.person_id "
            f"WHERE p.canonical_id = ANY(:p) AND (r.claims #>> '{{email,value}}') IS NOT NULL AND {THEIR_EMAIL} "
            "ORDER BY p.canonical_id, (r.org_id IS NULL) DESC, r.created_at"
        ),
        {"p": canonical_ids},
    )
    return {r.canonical_id: r.email for r in rows}


async def queue_mail(session: AsyncSession, messages: list[dict[str, str]]) -> None:
    """Messages ({to, subject, body}) for the worker to send."""
    await session.execute(
        text("INSERT INTO resident_mail (to_address, subject, body) VALUES (:to, :subject, :body)"), messages
    )


async def claim_mail(session: AsyncSession, limit: int, lease: Any, most_attempts: int) -> list[Any]:
    """Due messages, each counted as attempted and put out of other workers' reach for ``lease``."""
    rows = await session.execute(
        text(
            "UPDATE resident_mail m SET attempts = m.attempts + 1, next_attempt_at = now() + :lease "
            "WHERE m.id IN (SELECT id FROM resident_mail WHERE sent_at IS NULL AND next_attempt_at <= now() "
            "AND attempts < :most ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED) "
            "RETURNING m.id, m.to_address, m.subject, m.body, m.attempts"
        ),
        {"lease": lease, "most": most_attempts, "limit": limit},
    )
    return list(rows)


async def mail_attempted(session: AsyncSession, mail_id: int, error: str | None, retry_in: Any) -> None:
    """What came of an attempt: sent, or the error and when to try again."""
    if error is None:
        await session.execute(
            text("UPDATE resident_mail SET sent_at = now() WHERE id = :id"), {"id": mail_id}
        )
    else:
        await session.execute(
            text("UPDATE resident_mail SET last_error = :e, next_attempt_at = now() + :wait WHERE id = :id"),
            {"id": mail_id, "e": error, "wait": retry_in},
        )


async def outbox_append(session: AsyncSession, messages: list[dict[str, str]]) -> None:
    """Messages ({to, subject, body}) onto the development outbox."""
    await session.execute(
        text("INSERT INTO dev_outbox (to_address, subject, body) VALUES (:to, :subject, :body)"), messages
    )


async def outbox(session: AsyncSession, limit: int = 50) -> list[Any]:
    rows = await session.execute(
        text("SELECT id, to_address, subject, body, sent_at FROM dev_outbox ORDER BY id DESC LIMIT :n"),
        {"n": limit},
    )
    return list(rows)


async def forget_addresses(session: AsyncSession, emails: list[str]) -> None:
    """Every mail and notice to these addresses, sent or not (at erasure, platform scope)."""
    await session.execute(
        text("DELETE FROM resident_mail WHERE to_address = ANY(:emails)"), {"emails": emails}
    )
    await session.execute(text("DELETE FROM dev_outbox WHERE to_address = ANY(:emails)"), {"emails": emails})
