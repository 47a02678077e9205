"""The tables behind a transaction's context (see the context_keyed revision): read and written
by their owner only, never by the service's role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, LargeBinary, func, text
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
