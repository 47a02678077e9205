"""The console's tables: staff sign-in codes, single sign-on requests and sessions (staff users, and
their organisations' providers, are ``app.organisations``').

Platform tables, as the portal's: sign-in comes before any organisation's context, and no
organisation reads another's sign-ins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class StaffCode(Base):
    """A one-time sign-in code sent to a staff member's address: stored only as a hash."""

    __tablename__ = "staff_codes"
    __table_args__ = (Index("ix_staff_codes_email_created", "email", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    email: Mapped[str] = mapped_column(Text)
    code_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffSession(Base):
    """A signed-in staff member's session (the cookie holds the token, the table its hash), with the
    purpose they chose to read for."""

    __tablename__ = "staff_sessions"
    __table_args__ = (
        Index("ix_staff_sessions_staff", "staff_id"),
        CheckConstraint("signed_in_by IN ('code', 'sso')", name="signed_in_by"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("staff_users.id", ondelete="CASCADE")
    )
    purpose: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # How it was opened: only a session opened by an emailed code moves between organisations.
    signed_in_by: Mapped[str] = mapped_column(Text)


class StaffSsoRequest(Base):
    """A sign-in sent to an organisation's OpenID Connect provider, by the hash of its ``state``:
    used once, dead after ten minutes. Its nonce and PKCE verifier are derived from the state with a
    server key, so the row holds nothing to sign in with."""

    __tablename__ = "staff_sso_requests"

    state_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
