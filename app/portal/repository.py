"""Queries for portal sessions and who signs in (platform tables); the sign-in codes' are in
``app/web/codes.py``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.mail.repository import THEIR_EMAIL


async def people_with_email(session: AsyncSession, email: str) -> list[Any]:
    """People (canonical, not erased) whose email is this one by a verified claim or by their own
    word, with the given name they are known by, oldest first."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (p.canonical_id) p.canonical_id, c.created_at, "  # noqa: S608 (a fixed rule)
            "coalesce(r.claims #>> '{preferred_name,value}', r.claims #>> '{given_name,value}') AS name "
            "FROM person_match m JOIN person_records r ON r.id = m.record_id JOIN people p ON p.id = r.person_id "
            f"JOIN people c ON c.id = p.canonical_id WHERE m.bk_email = :email AND c.status <> 'erased' AND {THEIR_EMAIL} "
            "ORDER BY p.canonical_id, (r.org_id IS NULL) DESC, r.updated_at DESC"
        ),
        {"email": email},
    )
    return sorted(rows, key=lambda r: (r.created_at, r.canonical_id))


async def create_session(
    session: AsyncSession, token_hash: str, email: str, person_id: uuid.UUID | None, expires_at: datetime
) -> uuid.UUID:
    session_id = uuid.uuid4()
    await session.execute(
        text(
            "INSERT INTO portal_sessions (id, token_hash, email, person_id, expires_at) "
            "VALUES (:id, :h, :email, :person, :exp)"
        ),
        {"id": session_id, "h": token_hash, "email": email, "person": person_id, "exp": expires_at},
    )
    return session_id


async def live_session(session: AsyncSession, token_hash: str, idle_minutes: float) -> Any:
    """The session this token opens, if it has neither expired nor idled out, marked as used now."""
    return (
        await session.execute(
            text(
                "UPDATE portal_sessions s SET last_seen_at = now() WHERE token_hash = :h AND expires_at > now() "
                "AND last_seen_at > now() - make_interval(secs => :idle) "
                "AND (person_id IS NULL OR EXISTS (SELECT 1 FROM people p WHERE p.id = s.person_id "
                "AND p.status <> 'erased')) RETURNING id, email, person_id"
            ),
            {"h": token_hash, "idle": idle_minutes * 60},
        )
    ).first()


async def set_session_person(session: AsyncSession, session_id: uuid.UUID, person_id: uuid.UUID) -> None:
    await session.execute(
        text("UPDATE portal_sessions SET person_id = :p WHERE id = :id"), {"p": person_id, "id": session_id}
    )


async def end_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.execute(text("DELETE FROM portal_sessions WHERE id = :id"), {"id": session_id})


async def end_sessions_of(session: AsyncSession, person_id: uuid.UUID) -> None:
    await session.execute(
        text(
            "DELETE FROM portal_sessions WHERE person_id IN (SELECT id FROM people WHERE canonical_id = :p)"
        ),
        {"p": person_id},
    )
