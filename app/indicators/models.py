"""Areas, the postcode lookup, and the indicators' roll-up tables (platform tables: no
organisation owns them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Date, DateTime, Index, Integer, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base

LEVELS = ("ward", "lsoa", "msoa")


class Area(Base):
    __tablename__ = "areas"
    __table_args__ = (CheckConstraint("level IN ('ward', 'lsoa', 'msoa')", name="level"),)

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    level: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    postcodes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Postcode(Base):
    __tablename__ = "postcodes"

    postcode: Mapped[str] = mapped_column(Text, primary_key=True)
    ward: Mapped[str | None] = mapped_column(Text)
    lsoa: Mapped[str | None] = mapped_column(Text)
    msoa: Mapped[str | None] = mapped_column(Text)


class AreaLink(Base):
    __tablename__ = "area_links"

    ward: Mapped[str] = mapped_column(Text, primary_key=True)
    lsoa: Mapped[str] = mapped_column(Text, primary_key=True)
    msoa: Mapped[str] = mapped_column(Text, primary_key=True)


class IndicatorResident(Base):
    __tablename__ = "indicator_residents"
    __table_args__ = (
        Index("ix_indicator_residents_canonical", "canonical_id"),
        Index("ix_indicator_residents_lsoa", "lsoa"),
        Index("ix_indicator_residents_msoa", "msoa"),
        Index("ix_indicator_residents_ward", "ward"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    canonical_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    ward: Mapped[str | None] = mapped_column(Text)
    lsoa: Mapped[str | None] = mapped_column(Text)
    msoa: Mapped[str | None] = mapped_column(Text)
    registered_on: Mapped[date] = mapped_column(Date)


class IndicatorActivity(Base):
    __tablename__ = "indicator_activity"

    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    interactions: Mapped[int] = mapped_column(Integer)
    day_mask: Mapped[int] = mapped_column(Integer)
    volunteer_minutes: Mapped[int] = mapped_column(Integer)
    volunteering: Mapped[int] = mapped_column(Integer)
    services: Mapped[int] = mapped_column(Integer)


class IndicatorValue(Base):
    __tablename__ = "indicator_values"

    area_code: Mapped[str] = mapped_column(Text, primary_key=True)
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    parts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IndicatorPublished(Base):
    """Figures as published, per area and complete period (``publication.py`` writes them)."""

    __tablename__ = "indicator_published"
    __table_args__ = (Index("ix_indicator_published_period", "period"),)

    area_code: Mapped[str] = mapped_column(Text, primary_key=True)
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class IndicatorState(Base):
    __tablename__ = "indicator_state"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    high_water: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fingerprint: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# The roll-up job's work tables (unlogged; emptied at the start and end of each run, one run at a
# time): what temporary tables would hold, if the service's role could make any.
ROLLUP_WORK = (
    Table(
        "ind_dirty",
        Base.metadata,
        Column("person_id", UUID(as_uuid=True), nullable=False),
        Column("month", Date, nullable=False),
        prefixes=["UNLOGGED"],
    ),
    Table(
        "ind_changed", Base.metadata, Column("id", UUID(as_uuid=True), nullable=False), prefixes=["UNLOGGED"]
    ),
    Table("ind_touched", Base.metadata, Column("c", UUID(as_uuid=True)), prefixes=["UNLOGGED"]),
    Table(
        "ind_new_res",
        Base.metadata,
        Column("person_id", UUID(as_uuid=True), nullable=False),
        Column("canonical_id", UUID(as_uuid=True), nullable=False),
        Column("ward", Text),
        Column("lsoa", Text),
        Column("msoa", Text),
        Column("registered_on", Date, nullable=False),
        prefixes=["UNLOGGED"],
    ),
)
