"""Relationships: person↔organisation, person↔person, organisation↔organisation."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.naming import conv

from app.db.base import Base

TYPES = {
    "person_organisation": ("member", "volunteer", "customer", "client", "employee"),
    "person_person": ("family", "neighbour", "friend", "carer"),
    "organisation_organisation": ("partner", "supplier", "funder", "referral_route"),
}


class Relationship(Base):
    __tablename__ = "relationships"
    __table_args__ = (
        # conv(): the names as built, prefixed twice by the naming convention when first made.
        CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on", name=conv("ck_relationships_ck_relationships_dates")
        ),
        # Each kind has its own types and its own two ends (a person-to-person tie also its evidence).
        CheckConstraint(
            "(kind = 'person_organisation'"
            " AND type IN ('member', 'volunteer', 'customer', 'client', 'employee')"
            " AND person_id IS NOT NULL AND organisation_id IS NOT NULL)"
            " OR (kind = 'person_person'"
            " AND type IN ('family', 'neighbour', 'friend', 'carer')"
            " AND person_id IS NOT NULL AND other_person_id IS NOT NULL AND evidence IS NOT NULL)"
            " OR (kind = 'organisation_organisation'"
            " AND type IN ('partner', 'supplier', 'funder', 'referral_route')"
            " AND organisation_id IS NOT NULL AND other_organisation_id IS NOT NULL)",
            name=conv("ck_relationships_ck_relationships_shape"),
        ),
        Index("ix_relationships_created", "created_at"),
        Index("ix_relationships_organisation", "organisation_id"),
        Index("ix_relationships_other_organisation", "other_organisation_id"),
        Index("ix_relationships_other_person", "other_person_id"),
        Index("ix_relationships_person", "person_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(24))
    person_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    other_person_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("organisations.id")
    )
    other_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("organisations.id")
    )
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
