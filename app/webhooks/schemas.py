"""Request and response bodies for webhook subscriptions and deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from app.core.schemas import ResponseModel, StrictModel

EventType = Literal[
    "person.updated",
    "person.merged",
    "person.erased",
    "consent.granted",
    "consent.confirmed",
    "consent.withdrawn",
    "interaction.created",
    "rewards.earned",
    "rewards.redeemed",
]


class SubscriptionIn(StrictModel):
    url: str = Field(min_length=8, max_length=2000, examples=["https://crm.example.org/kith-events"])
    events: list[EventType] = Field(min_length=1, max_length=9)


class SubscriptionOut(ResponseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    created_at: datetime
    disabled_at: datetime | None = None
    disabled_reason: str | None = None


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="whsec_… signing secret (Standard Webhooks); shown only now")


class SubscriptionList(ResponseModel):
    items: list[SubscriptionOut]


class DeliveryOut(ResponseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: Literal["pending", "delivered", "failed", "cancelled"]
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    created_at: datetime


class DeliveryList(ResponseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = None
