"""Consent's tables: grants, their signed receipts, and the access log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.naming import conv

from app.db.base import Base


class ConsentGrant(Base):
    """Person (as the organisation knows them) × organisation × purpose × categories."""

    __tablename__ = "consent_grants"
    __table_args__ = (
        # conv(): the names as built, prefixed twice by the naming convention when first made.
        CheckConstraint(
            "cardinality(categories) > 0", name=conv("ck_consent_grants_ck_consent_grants_categories")
        ),
        CheckConstraint(
            "method <> 'recorded_by_org' OR evidence IS NOT NULL",
            name=conv("ck_consent_grants_ck_consent_grants_evidence"),
        ),
        CheckConstraint(
            "method IN ('portal', 'card_presented', 'recorded_by_org')",
            name=conv("ck_consent_grants_ck_consent_grants_method"),
        ),
        CheckConstraint(
            "purpose IN ('service_delivery', 'case_coordination', 'rewards', 'offers', 'research')",
            name=conv("ck_consent_grants_ck_consent_grants_purpose"),
        ),
        Index("ix_consent_grants_org", "org_id", "granted_at"),
        Index("ix_consent_grants_person", "org_person_id", "purpose"),
        Index(
            "uq_consent_grants_confirm_token",
            "confirm_token_hash",
            unique=True,
            postgresql_where=text("confirm_token_hash IS NOT NULL"),
        ),
    )

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
    __table_args__ = (
        CheckConstraint(
            "event IN ('granted', 'withdrawn')", name=conv("ck_consent_receipts_ck_consent_receipts_event")
        ),
        Index("ix_consent_receipts_grant", "grant_id"),
    )

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
    __table_args__ = (
        Index("ix_access_log_org", "org_id", "read_at"),
        Index("ix_access_log_person", "person_id", "read_at"),
    )

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
