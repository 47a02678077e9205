"""Interactions: every contact an organisation has with a resident."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.naming import conv

from app.db.base import Base

KINDS = ("visit", "purchase", "service_contact", "referral", "volunteering", "event", "other")


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        # conv(): the name as built, prefixed twice by the naming convention when first made.
        CheckConstraint(
            "kind IN ('visit', 'purchase', 'service_contact', 'referral', 'volunteering', 'event', 'other')",
            name=conv("ck_interactions_ck_interactions_kind"),
        ),
        Index("ix_interactions_created", "created_at"),
        Index("ix_interactions_person", "person_id", "occurred_at"),
        Index(
            "uq_interactions_external_id",
            "org_id",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    # The platform's person when logged; after erasure, an id linked to no one.
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(24))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str | None] = mapped_column(String(32))
    area_code: Mapped[str | None] = mapped_column(String(16))
    value_pence: Mapped[int | None] = mapped_column(BigInteger)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    counterpart_org_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    external_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
