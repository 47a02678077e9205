"""People, the records organisations hold of them and the claims those records make.

A *person* is one resident. Every organisation's record of a resident is a *person record*; its
attribute values are *claims*, each carrying its provenance (the record's source, when it was
asserted, whether it was verified). Merging two people never moves a row: the
merged person points at the one kept (``canonical_id``), so an unmerge restores everything exactly.
Each organisation sees a person only through its own opaque id (``org_people``, with the columns
matching reads, in ``app.identity.models``: identity issues those ids and resolves records to people).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
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
from app.identity.models import MatchColumns


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


class PersonRecord(MatchColumns, Base):
    """One organisation's (or the resident's own, org_id NULL) record of a person, with the folded
    attributes and blocking keys identity resolution matches on (matching itself reads them from
    ``person_match``, written beside the record)."""

    __tablename__ = "person_records"
    __table_args__ = (
        CheckConstraint(
            "source_sector IN ('public', 'social', 'commercial', 'resident')",
            name=conv("ck_person_records_ck_person_records_sector"),  # as built: prefixed twice
        ),
        Index("ix_person_records_person", "person_id"),
        Index("ix_person_records_updated_at", "updated_at"),
        # Resolution looks up the holders of a verified address or number by these.
        *(
            Index(
                f"ix_person_records_verified_{attribute}",
                text(f"(claims #>> '{{{attribute},value}}')"),
                postgresql_where=text(f"claims #>> '{{{attribute},verified}}' = 'true'"),
            )
            for attribute in ("email", "phone")
        ),
        Index(
            "uq_person_records_external_ref",
            "org_id",
            "external_ref",
            unique=True,
            postgresql_where=text("external_ref IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))  # people.id (unchecked: decision 0001)
    org_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    external_ref: Mapped[str | None] = mapped_column(Text)
    source_sector: Mapped[str] = mapped_column(String(16))
    # {attribute: {"value": …, "verified": bool, "asserted_at": iso timestamp}}
    claims: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
