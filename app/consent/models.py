"""Consent's tables: grants, their signed receipts, and the access log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, DateTime, ForeignKey, Identity, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class ConsentGrant(Base):
    """Person (as the organisation knows them) × organisation × purpose × categories."""

    __tablename__ = "consent_grants"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    org_person_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("org_people.org_person_id")
    )
    purpose: Mapped[str] = mapped_column(String(32))
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text))
    method: Mapped[str] = mapped_column(String(24))  # portal | card_presented | recorded_by_org
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    granted_by: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[str | None] = mapped_column(Text)
    # Unset: recorded by an organisation and awaiting the resident; opens nothing until set.
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64))


class ConsentReceipt(Base):
    """A Kantara v1.1 consent receipt for one grant or withdrawal, with its JWS."""

    __tablename__ = "consent_receipts"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    grant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("consent_grants.id"))
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    event: Mapped[str] = mapped_column(String(16))  # granted | withdrawn
    receipt: Mapped[dict[str, Any]] = mapped_column(JSONB)
    jws: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AccessLogEntry(Base):
    """One read of a person's data by an organisation."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    client_id: Mapped[str | None] = mapped_column(Text)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    org_person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    purpose: Mapped[str] = mapped_column(String(32))
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text))
    action: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
