"""The ledger's tables: accounts, their organisation-scoped aliases and immutable transfers; and residents'
reward cards and one-time spend codes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.naming import conv

from app.db.base import Base

CODES = ("earn", "redeem", "fund", "mint", "expire", "refund", "reverse")


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        # conv(): the names as built, prefixed twice by the naming convention when first made.
        CheckConstraint(
            "NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted",
            name=conv("ck_ledger_accounts_ck_ledger_accounts_balance"),
        ),
        CheckConstraint(
            "kind IN ('wallet', 'pool', 'operating', 'issuance', 'expiry')",
            name=conv("ck_ledger_accounts_ck_ledger_accounts_kind"),
        ),
        CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 AND credits_pending >= 0",
            name=conv("ck_ledger_accounts_ck_ledger_accounts_non_negative"),
        ),
        CheckConstraint(
            "owner_kind IN ('person', 'organisation', 'platform')",
            name=conv("ck_ledger_accounts_ck_ledger_accounts_owner_kind"),
        ),
        # One operating account per organisation, one wallet per person, one platform account per kind.
        Index(
            "uq_ledger_accounts_operating", "org_id", unique=True, postgresql_where=text("kind = 'operating'")
        ),
        Index(
            "uq_ledger_accounts_platform",
            "kind",
            unique=True,
            postgresql_where=text("owner_kind = 'platform'"),
        ),
        Index(
            "uq_ledger_accounts_wallet", "person_id", unique=True, postgresql_where=text("kind = 'wallet'")
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # wallet | pool | operating | issuance | expiry
    owner_kind: Mapped[str] = mapped_column(String(16))  # person | organisation | platform
    person_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("people.id"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    name: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    debits_must_not_exceed_credits: Mapped[bool] = mapped_column(Boolean)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerAccountAlias(Base):
    """An organisation's own id for an account it does not own (a resident's wallet, another
    organisation's operating account, the platform's): made the first time the account is shown
    to it, so that no two organisations share an id for one account."""

    __tablename__ = "ledger_account_aliases"
    __table_args__ = (UniqueConstraint("org_id", "account_id"),)

    alias_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("ledger_accounts.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerTransfer(Base):
    __tablename__ = "ledger_transfers"
    __table_args__ = (
        # conv(): the names as built, prefixed twice by the naming convention when first made.
        CheckConstraint(
            "debit_account_id <> credit_account_id",
            name=conv("ck_ledger_transfers_ck_ledger_transfers_accounts"),
        ),
        CheckConstraint("amount > 0", name=conv("ck_ledger_transfers_ck_ledger_transfers_amount")),
        CheckConstraint(
            "code IN ('earn', 'redeem', 'fund', 'mint', 'expire', 'refund', 'reverse')",
            name=conv("ck_ledger_transfers_ck_ledger_transfers_code"),
        ),
        # Exactly the ends of a hold (post, void) name the hold they end.
        CheckConstraint(
            "(phase IN ('post', 'void')) = (pending_id IS NOT NULL)",
            name=conv("ck_ledger_transfers_ck_ledger_transfers_pending_id"),
        ),
        CheckConstraint(
            "phase IN ('single', 'pending', 'post', 'void')",
            name=conv("ck_ledger_transfers_ck_ledger_transfers_phase"),
        ),
        Index("ix_ledger_transfers_created", "created_at"),
        Index("ix_ledger_transfers_credit", "credit_account_id", "created_at"),
        Index("ix_ledger_transfers_debit", "debit_account_id", "created_at"),
        Index(
            "ix_ledger_transfers_timeout",
            "timeout_at",
            postgresql_where=text("phase = 'pending' AND timeout_at IS NOT NULL"),
        ),
        # A hold is ended (posted or voided) at most once.
        Index("uq_ledger_transfers_pending", "pending_id", unique=True),
    )

    # kith_transfer_key(org_id, ref): each organisation's transfer ids are its own.
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    ref: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))  # the id the organisation chose
    debit_account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("ledger_accounts.id"))
    credit_account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(16))
    phase: Mapped[str] = mapped_column(String(8))  # single | pending | post | void
    pending_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("ledger_transfers.id")
    )
    timeout_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONB)
    org_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RewardCard(Base):
    __tablename__ = "reward_cards"
    __table_args__ = (
        Index("ix_reward_cards_person", "person_id"),
        # Only an organisation's card waits for the resident (decision 0007).
        CheckConstraint(
            "activated_at IS NOT NULL OR issued_by_org IS NOT NULL", name="waits_only_if_issued_by_org"
        ),
        # An organisation's card in use has the resident's PIN.
        CheckConstraint(
            "issued_by_org IS NULL OR activated_at IS NULL OR pin_hash IS NOT NULL", name="org_card_has_pin"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("people.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    issued_by_org: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("organisations.id")
    )
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), server_default=func.now())
    pin_hash: Mapped[str | None] = mapped_column(Text)  # an organisation's card: the resident's PIN, keyed
    pin_failures: Mapped[int] = mapped_column(
        SmallInteger, server_default="0"
    )  # wrong PINs since a right one


class SpendCode(Base):
    """A one-time code a resident gives a business to spend their credits without the card: kept
    only as a keyed hash, valid ten minutes, used once (rewards ``issue_spend_code``)."""

    __tablename__ = "spend_codes"
    __table_args__ = (Index("ix_spend_codes_person_id", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("people.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
