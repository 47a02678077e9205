"""Request and response bodies for the ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, StrictBool, ValidationInfo, field_validator

from app.core.schemas import ResponseModel, StrictModel

Code = Literal["earn", "redeem", "fund", "mint", "expire", "refund", "reverse"]
Credits = Field(gt=0, le=1_000_000_000, description="Whole credits, more than zero")


class TransferIn(StrictModel):
    id: uuid.UUID = Field(
        description="Chosen by the client: the idempotency key, within the organisation's own transfers"
    )
    debit_account_id: uuid.UUID = Field(description="One of the organisation's own accounts")
    credit_account_id: uuid.UUID = Field(
        description="An account as the organisation was shown it; never a resident's wallet (credits reach "
        "one by earning)"
    )
    amount: int = Credits
    code: Code
    pending: StrictBool = Field(False, description="A hold, to be posted or voided later")
    timeout_seconds: int | None = Field(
        None, gt=0, le=30 * 86400, description="A hold voids itself after this"
    )
    metadata: dict[str, Any] | None = None

    @field_validator("credit_account_id")
    @classmethod
    def _two_accounts(cls, value: uuid.UUID, info: ValidationInfo) -> uuid.UUID:
        if value == info.data.get("debit_account_id"):
            raise ValueError(
                "must differ from debit_account_id: a transfer moves credits between two accounts"
            )
        return value


class BatchIn(StrictModel):
    transfers: list[TransferIn] = Field(min_length=1, max_length=1000)
    atomic: StrictBool = Field(False, description="All or nothing")


class PostIn(StrictModel):
    id: uuid.UUID = Field(description="The id of the posting transfer (idempotency key)")
    amount: int | None = Field(None, gt=0, description="Post less than the hold (the rest is released)")


class VoidIn(StrictModel):
    id: uuid.UUID = Field(description="The id of the voiding transfer (idempotency key)")


class MintIn(StrictModel):
    id: uuid.UUID = Field(description="Transfer id (idempotency key)")
    account_id: uuid.UUID
    amount: int = Credits
    reference: str | None = Field(None, max_length=200, description="The contribution made outside Kith")


class OperatingLimitIn(StrictModel):
    may_go_negative: StrictBool = Field(
        description="Whether the organisation's operating account may go below zero (what it owes the "
        "scheme, settled outside Kith)"
    )


_SHOWN_ACCOUNT = (
    "The organisation's own accounts and every pool under their ids; any other account (a resident's "
    "wallet, another organisation's) under an id of this organisation's own"
)


class TransferOut(ResponseModel):
    id: uuid.UUID = Field(
        description="The id the organisation chose; a transfer another made has an id of this organisation's "
        "own (ids are never shared between organisations)"
    )
    debit_account_id: uuid.UUID = Field(description=_SHOWN_ACCOUNT)
    credit_account_id: uuid.UUID = Field(description=_SHOWN_ACCOUNT)
    amount: int
    code: str
    phase: Literal["single", "pending", "post", "void"]
    status: Literal["posted", "pending", "voided", "expired"]
    pending_id: uuid.UUID | None = Field(
        None, description="The hold a post or void ends, in the same terms as id"
    )
    timeout_at: datetime | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime


class TransferList(ResponseModel):
    items: list[TransferOut]
    next_cursor: str | None = None


class TransferBatchResult(ResponseModel):
    index: int
    result: str = Field(description="created, exists, or why it was refused")
    detail: str | None = None
    transfer: TransferOut | None = None


class TransferBatchOut(ResponseModel):
    results: list[TransferBatchResult]


class AccountOut(ResponseModel):
    id: uuid.UUID
    kind: str
    owner_kind: str
    name: str | None = None
    debits_must_not_exceed_credits: bool
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int
    balance: int = Field(description="credits_posted − debits_posted")
    available: int = Field(description="balance less pending debits")
    closed_at: datetime | None = None
    created_at: datetime
