"""Queries for console sessions and single sign-on requests (platform tables); the sign-in
codes' are in ``app/web/codes.py``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def create_session(
    session: AsyncSession, token_hash: str, staff_id: uuid.UUID, expires_at: datetime, signed_in_by: str
) -> uuid.UUID:
    session_id = uuid.uuid4()
    await session.execute(
        text(
            "INSERT INTO staff_sessions (id, token_hash, staff_id, expires_at, signed_in_by) "
            "VALUES (:id, :h, :staff, :exp, :by)"
        ),
        {"id": session_id, "h": token_hash, "staff": staff_id, "exp": expires_at, "by": signed_in_by},
    )
    return session_id


async def live_session(session: AsyncSession, token_hash: str, idle_minutes: float) -> Any:
    """The session this token opens — neither expired nor idle, its staff member still enabled —
    marked as used now, with the staff member's organisation, role and address."""
    return (
        await session.execute(
            text(
                "UPDATE staff_sessions s SET last_seen_at = now() FROM staff_users u, organisations o "
                "WHERE s.token_hash = :h AND s.expires_at > now() "
                "AND s.last_seen_at > now() - make_interval(secs => :idle) "
                "AND u.id = s.staff_id AND u.disabled_at IS NULL AND o.id = u.org_id "
                "RETURNING s.id, s.staff_id, s.purpose, s.signed_in_by, u.org_id, u.role, u.email, o.name AS org_name"
            ),
            {"h": token_hash, "idle": idle_minutes * 60},
        )
    ).first()


async def set_purpose(session: AsyncSession, session_id: uuid.UUID, purpose: str) -> None:
    await session.execute(
        text("UPDATE staff_sessions SET purpose = :p WHERE id = :id"), {"p": purpose, "id": session_id}
    )


async def end_session(session: AsyncSession, session_id: uuid.UUID) -> datetime | None:
    """End the session; when it would have ended at the latest."""
    return await session.scalar(
        text("DELETE FROM staff_sessions WHERE id = :id RETURNING expires_at"), {"id": session_id}
    )


async def insert_sso_request(
    session: AsyncSession, state_hash: str, org_id: uuid.UUID, expires_at: datetime
) -> None:
    await session.execute(
        text("INSERT INTO staff_sso_requests (state_hash, org_id, expires_at) VALUES (:h, :org, :exp)"),
        {"h": state_hash, "org": org_id, "exp": expires_at},
    )


async def use_sso_request(session: AsyncSession, state_hash: str) -> uuid.UUID | None:
    """Mark the sign-in used and answer its organisation, if it is neither used nor expired: of two
    callbacks with the same state at once, one finds it."""
    return await session.scalar(
        text(
            "UPDATE staff_sso_requests SET used_at = now() "
            "WHERE state_hash = :h AND used_at IS NULL AND expires_at > now() RETURNING org_id"
        ),
        {"h": state_hash},
    )


async def forget_old_sso_requests(session: AsyncSession) -> None:
    await session.execute(text("DELETE FROM staff_sso_requests WHERE expires_at < now() - interval '1 day'"))


async def end_sessions_of(session: AsyncSession, staff_id: uuid.UUID) -> None:
    await session.execute(text("DELETE FROM staff_sessions WHERE staff_id = :s"), {"s": staff_id})
