"""An import of an organisation's records, run by the worker (revision 2026_12_07_imports)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class Import(Base):
    __tablename__ = "imports"
    __table_args__ = (
        CheckConstraint("kind IN ('people', 'interactions')", name="kind"),
        CheckConstraint("date_format IN ('dmy', 'ymd')", name="date_format"),
        CheckConstraint("status IN ('draft', 'queued', 'running', 'done', 'failed')", name="status"),
        Index("ix_imports_org", "org_id", "created_at"),
        Index("ix_imports_waiting", "created_at", postgresql_where=text("status IN ('queued', 'running')")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    date_format: Mapped[str] = mapped_column(Text, server_default="dmy")
    status: Mapped[str] = mapped_column(Text, server_default="draft")
    total_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    done_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    report: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
