"""Organisations and their API clients."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base

SECTORS = ("public", "social", "commercial")


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("sector IN ('public', 'social', 'commercial')", name="sector"),
        CheckConstraint("NOT ('admin' = ANY (client_scopes))", name="client_scopes_not_admin"),
        Index("ix_organisations_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    sector: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(40))
    area_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Trust only the platform gives (a trigger refuses anyone else): consent this organisation
    # records counts at once; what it marks verified is believed.
    records_consent: Mapped[bool] = mapped_column(Boolean, server_default=false())
    verifies_identity: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # What its own admin may give its API clients (the platform's to set, held by the same trigger;
    # None: what the admin's role may do).
    client_scopes: Mapped[list[str] | None] = mapped_column(ARRAY(Text))


class ApiClient(Base):
    __tablename__ = "api_clients"
    __table_args__ = (Index("ix_api_clients_org", "org_id", "created_at"),)

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(Text)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffUser(Base):
    """A person who works at an organisation, signing in to the console with a role (SPEC §12).
    Disabled, never deleted: the audit trail and the access log name them."""

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'caseworker', 'org_admin', 'analyst', 'reviewer')", name="role"),
        UniqueConstraint("org_id", "email"),
        Index("ix_staff_users_email", "email"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    email: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrganisationSso(Base):
    """The OpenID Connect provider an organisation's staff sign in to the console with (SPEC §12),
    set by the platform operator. The client secret is kept sealed with a key derived from the
    server's signing key (``SigningKey.seal``), never shown back."""

    __tablename__ = "organisation_sso"
    __table_args__ = (CheckConstraint("issuer ~ '^https?://'", name="issuer"),)

    org_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("organisations.id"), primary_key=True
    )
    issuer: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(Text)
    client_secret_sealed: Mapped[str] = mapped_column(Text)
    configured_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
