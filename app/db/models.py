"""The tables behind a transaction's context (see the context_keyed revision), read and written
by their owner only, never by the service's role; and the requests' idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class ContextSecret(Base):
    """The one random secret every context token is keyed with."""

    __tablename__ = "kith_context_secret"
    __table_args__ = (CheckConstraint("one", name="one"),)

    one: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    secret: Mapped[bytes] = mapped_column(LargeBinary)


class ServiceKey(Base):
    """The SHA-256 digest of a key the service opens contexts with (``kith db upgrade`` registers it)."""

    __tablename__ = "kith_service_keys"

    digest: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IdempotencyKey(Base):
    """A client's Idempotency-Key and the response its first request was answered with (see
    app/db/idempotency.py); kept for a day."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        Index("ix_idempotency_keys_created_at", "created_at"),
        Index("ix_idempotency_keys_subject", "subject", postgresql_where=text("subject IS NOT NULL")),
    )

    client_id: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary)  # SHA-256 of the method, path and body
    # The response, written in the request's own transaction: a committed row always has one.
    status: Mapped[int | None] = mapped_column(SmallInteger)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The organisation's id of the person the answer is about (its person_id), for erasure.
    subject: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
