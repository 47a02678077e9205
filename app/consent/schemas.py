"""Request and response bodies for consent: purposes, grants, receipts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from app.core.schemas import ResponseModel, StrictModel

Purpose = Literal["service_delivery", "case_coordination", "rewards", "offers", "research"]
Category = Literal["identity", "contact", "address", "interactions", "relationships", "rewards"]


class Evidence(StrictModel):
    kind: Literal["verbal", "written", "electronic"]
    reference: str = Field(min_length=1, max_length=200, description="Where the evidence is kept")


class GrantIn(StrictModel):
    purpose: Purpose
    categories: list[Category] = Field(min_length=1, max_length=6)
    method: str = Field(
        "recorded_by_org",
        description="recorded_by_org: the organisation records consent the resident gave it, with "
        "evidence. It opens other organisations' data once the resident confirms it (they are sent "
        "a link), or at once if the platform trusts the organisation to record consent. The portal "
        "records residents' own grants, and resolving a resident's card records a card_presented one.",
        examples=["recorded_by_org"],
    )
    evidence: Evidence | None = Field(None, description="Required: how the resident's consent was given")
    expires_at: AwareDatetime | None = Field(
        None, description="When the grant lapses; unset: until withdrawn"
    )

    @field_validator("categories")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("categories must not repeat")
        return sorted(value)

    @field_validator("method")
    @classmethod
    def _recorded(cls, value: str) -> str:
        if value == "card_presented":
            raise ValueError(
                "card_presented grants are recorded only by resolving the resident's card "
                "(POST /v1/cards/resolve); record what the resident told you as recorded_by_org"
            )
        if value != "recorded_by_org":
            raise ValueError("must be recorded_by_org (the portal records residents' own grants)")
        return value

    @model_validator(mode="after")
    def _evidence(self) -> GrantIn:
        if self.evidence is None:
            raise ValueError("evidence is required: how the resident gave their consent")
        return self


class GrantOut(ResponseModel):
    consent_id: uuid.UUID
    person_id: uuid.UUID = Field(description="The organisation's own id for the person")
    purpose: str
    categories: list[str]
    method: str
    evidence: dict[str, Any] | None = None
    status: Literal["active", "awaiting_resident", "withdrawn", "expired"] = Field(
        description="awaiting_resident: recorded by the organisation, not yet confirmed by the "
        "resident; it opens nothing until they do"
    )
    granted_at: datetime
    confirmed_at: datetime | None = Field(None, description="When the grant took effect")
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None
    receipt_ids: list[uuid.UUID] = Field(description="Signed receipts: the grant's, then the withdrawal's")


class GrantList(ResponseModel):
    items: list[GrantOut]


class ReceiptOut(ResponseModel):
    id: uuid.UUID
    consent_id: uuid.UUID
    event: Literal["granted", "withdrawn"]
    receipt: dict[str, Any] = Field(description="Kantara Consent Receipt v1.1 fields")
    jws: str = Field(
        description="The receipt signed (ES256, compact JWS) with a key in /.well-known/jwks.json"
    )


class PurposeOut(ResponseModel):
    purpose: str
    description: str


class CategoryOut(ResponseModel):
    category: str
    description: str


class Catalogue(ResponseModel):
    purposes: list[PurposeOut]
    categories: list[CategoryOut]
