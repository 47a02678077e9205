"""Request and response bodies for interactions and timelines."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import AwareDatetime, Field, field_validator

from app.core.schemas import UNSTORABLE_MESSAGE, ResponseModel, StrictModel

Kind = Literal["visit", "purchase", "service_contact", "referral", "volunteering", "event", "other"]
MAX_ATTRIBUTES_BYTES = 4096


class InteractionIn(StrictModel):
    person_id: uuid.UUID = Field(description="The organisation's own id for the person")
    kind: Kind
    occurred_at: AwareDatetime = Field(description="When it happened, with its time zone")
    channel: str | None = Field(
        None, min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$", examples=["in_person"]
    )
    area_code: str | None = Field(None, min_length=1, max_length=16)
    value_pence: int | None = Field(None, ge=0, le=100_000_000, description="A purchase's value")
    duration_minutes: int | None = Field(None, ge=0, le=24 * 60, description="Volunteering time")
    counterpart_org_id: uuid.UUID | None = Field(None, description="A referral's receiving organisation")
    attributes: dict[str, Any] | None = Field(None, description="Small JSON object, at most 4 KiB")
    external_id: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The organisation's own id; re-posting it is idempotent",
    )

    @field_validator("attributes")
    @classmethod
    def _small(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        try:
            size = len(orjson.dumps(value))
        except TypeError:  # orjson refuses a lone surrogate, which no jsonb can hold either
            raise ValueError(UNSTORABLE_MESSAGE) from None
        if size > MAX_ATTRIBUTES_BYTES:
            raise ValueError(f"must be at most {MAX_ATTRIBUTES_BYTES} bytes of JSON")
        return value


class InteractionBatchItem(InteractionIn):
    """An item of a batch: its ``external_id`` is required, so that a batch sent again after a
    time-out or a crash stores nothing twice (a single post may instead send an Idempotency-Key)."""

    external_id: str = Field(
        min_length=1,
        max_length=100,
        description="The organisation's own id, required in a batch; re-posting it is idempotent",
    )


class InteractionOut(ResponseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    kind: str
    occurred_at: datetime
    channel: str | None = None
    area_code: str | None = None
    value_pence: int | None = None
    duration_minutes: int | None = None
    counterpart_org_id: uuid.UUID | None = None
    attributes: dict[str, Any] | None = None
    external_id: str | None = None
    created_at: datetime


class Rejected(ResponseModel):
    index: int
    errors: list[dict[str, Any]]


class InteractionBatchOut(ResponseModel):
    accepted: int = Field(description="Stored now")
    duplicates: int = Field(description="Already stored (an external_id seen before, or twice in this batch)")
    rejected: list[Rejected]


class TimelineItem(ResponseModel):
    id: uuid.UUID
    kind: str
    occurred_at: datetime
    own: bool = Field(description="Logged by the calling organisation")
    organisation: str = Field(description="Who logged it")
    source_sector: str
    channel: str | None = None
    area_code: str | None = None
    value_pence: int | None = None
    duration_minutes: int | None = None
    attributes: dict[str, Any] | None = None
    external_id: str | None = Field(None, description="The caller's own id (its own interactions only)")


class Timeline(ResponseModel):
    person_id: uuid.UUID
    purpose: str
    items: list[TimelineItem]
    next_cursor: str | None = None
