"""Request and response bodies for relationships."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field, model_validator

from app.consent.schemas import Evidence
from app.core.schemas import ResponseModel, StrictModel

RelationshipType = Literal[
    "member",
    "volunteer",
    "customer",
    "client",
    "employee",
    "family",
    "neighbour",
    "friend",
    "carer",
    "partner",
    "supplier",
    "funder",
    "referral_route",
]


class RelationshipIn(StrictModel):
    type: RelationshipType = Field(
        description="person↔organisation: member, volunteer, customer, client, employee; person↔person: "
        "family, neighbour, friend, carer; organisation↔organisation: partner, supplier, funder, referral_route"
    )
    person_id: uuid.UUID | None = Field(None, description="The organisation's own id for the person")
    other_person_id: uuid.UUID | None = Field(None, description="person↔person: the other person (own id)")
    organisation_id: uuid.UUID | None = Field(
        None, description="person↔organisation: the organisation (default: the caller)"
    )
    other_organisation_id: uuid.UUID | None = Field(
        None, description="organisation↔organisation: the other one"
    )
    started_on: date
    ended_on: date | None = None
    evidence: Evidence | None = Field(
        None, description="person↔person: the consent of the resident who told the organisation"
    )

    @model_validator(mode="after")
    def _dates(self) -> RelationshipIn:
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError("ended_on must not be before started_on")
        return self


class RelationshipOut(ResponseModel):
    id: uuid.UUID
    kind: Literal["person_organisation", "person_person", "organisation_organisation"]
    type: str
    person_id: uuid.UUID | None = Field(None, description="Your id for the person (null where you have none)")
    other_person_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    other_organisation_id: uuid.UUID | None = None
    started_on: date
    ended_on: date | None = None
    recorded_by_you: bool
    created_at: datetime


class RelationshipList(ResponseModel):
    items: list[RelationshipOut]
    next_cursor: str | None = None
