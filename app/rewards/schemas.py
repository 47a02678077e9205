"""Request and response bodies for rewards."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, StrictBool, model_validator

from app.core.schemas import ResponseModel, StrictModel
from app.ledger.schemas import AccountOut, TransferOut


class PoolIn(StrictModel):
    name: str = Field(min_length=1, max_length=200, examples=["Riverside volunteering fund"])
    credits_per_hour: int = Field(1, ge=1, le=100, description="What an hour of volunteering earns")
    expiry_days: int | None = Field(
        None,
        ge=30,
        le=3650,
        description="Credits earned from this pool expire this many days later (as a visible transfer)",
    )


class PoolOut(AccountOut):
    rule: dict[str, Any]
    owner_org_id: uuid.UUID


class FundIn(StrictModel):
    id: uuid.UUID = Field(description="Transfer id (idempotency key)")
    amount: int = Field(gt=0, le=1_000_000_000)


class EarnIn(StrictModel):
    id: uuid.UUID = Field(description="Transfer id (idempotency key)")
    person_id: uuid.UUID
    pool_id: uuid.UUID
    amount: int | None = Field(None, gt=0, le=1_000_000)
    hours: float | None = Field(None, gt=0, le=24)
    interaction_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_measure(self) -> EarnIn:
        if (self.amount is None) == (self.hours is None):
            raise ValueError("give either amount or hours")
        return self


_CARD = "The card's code as read out or scanned (XXXXX-XXXXX; case, spaces and hyphens do not matter)"


_PIN = (
    "The PIN the resident chose for a card an organisation gave them (4 to 6 digits); such a card "
    "answers 403 card_pin_required without it. Cards residents got themselves have none"
)


class CardIn(StrictModel):
    card_token: str = Field(min_length=8, max_length=100, description=_CARD)
    card_pin: str | None = Field(None, pattern=r"^[0-9]{4,6}$", description=_PIN)


class CardResolved(ResponseModel):
    person_id: uuid.UUID = Field(description="The organisation's own id for the card holder")
    balance: int = Field(description="Credits available to spend")


class CardIssued(ResponseModel):
    card_token: str = Field(
        description="The card's code: ten characters to read out (XXXXX-XXXXX), printed on the card and "
        "in its QR code; the resident's portal shows it too"
    )


class RedeemIn(StrictModel):
    id: uuid.UUID = Field(description="Transfer id (idempotency key)")
    card_token: str | None = Field(None, min_length=8, max_length=100, description=_CARD)
    card_pin: str | None = Field(None, pattern=r"^[0-9]{4,6}$", description=_PIN)
    person_id: uuid.UUID | None = Field(
        None, description="The organisation's id for the resident (with resident_code)"
    )
    resident_code: str | None = Field(
        None,
        min_length=6,
        max_length=20,
        description="With person_id: the one-time code the resident gives you (XXX-XXX), made on the rewards "
        "page of their Kith account; it works once, for ten minutes",
    )
    amount: int = Field(gt=0, le=1_000_000)
    description: str = Field(min_length=1, max_length=200)
    hold: StrictBool = Field(False, description="Hold the credits; post or void the hold later")
    hold_seconds: int | None = Field(None, gt=0, le=7 * 86400, description="A hold voids itself after this")

    @model_validator(mode="after")
    def _who(self) -> RedeemIn:
        if (self.card_token is None) == (self.person_id is None):
            raise ValueError("give either card_token, or person_id with resident_code")
        return self


class Redeemed(TransferOut):
    person_id: uuid.UUID


class WalletEntry(ResponseModel):
    id: uuid.UUID
    code: str
    direction: str
    amount: int
    phase: str
    status: str
    created_at: datetime


class WalletOut(ResponseModel):
    person_id: uuid.UUID
    balance: int
    available: int
    pending: int
    history: list[WalletEntry]
    next_cursor: str | None = None
