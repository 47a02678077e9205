"""People, the records organisations hold of them and the claims those records make.

A *person* is one resident. Every organisation's record of a resident is a *person record*; its
attribute values are *claims*, each carrying its provenance (the record's source, when it was
asserted, whether it was verified). Merging two people never moves a row: the
merged person points at the one kept (``canonical_id``), so an unmerge restores everything exactly.
Each organisation sees a person only through its own opaque id. The person records, the ids
(``org_people``) and the columns matching reads are in ``app.identity.models``: identity issues
those ids, writes the records and resolves them to people.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.naming import conv

from app.db.base import Base


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint(
            "status IN ('active', 'provisional', 'erased')",
            name=conv("ck_people_ck_people_status"),  # as built: prefixed twice by the naming convention
        ),
        Index("ix_people_canonical", "canonical_id"),
        Index("ix_people_changed_at", "changed_at"),
        Index("ix_people_merged_into", "merged_into", postgresql_where=text("merged_into IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    canonical_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    merged_into: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Set when the resident objects to research: they are then left out of the indicators.
    research_objection_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the row last changed (a trigger sets it on every update): the indicator roll-up
    # re-derives only the residents something happened to since its last run.
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
