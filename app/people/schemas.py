"""Request and response bodies for people."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from app.consent.schemas import GrantIn, GrantOut
from app.core.schemas import ResponseModel, StrictModel

Attribute = Literal[
    "given_name", "family_name", "preferred_name", "date_of_birth", "email", "phone", "address", "uprn"
]


class AddressIn(StrictModel):
    line1: str | None = Field(None, max_length=200)
    line2: str | None = Field(None, max_length=200)
    town: str | None = Field(None, max_length=200)
    postcode: str | None = Field(None, max_length=16, examples=["SW1A 1AA"])


class AttributesIn(StrictModel):
    given_name: str | None = Field(None, max_length=100, examples=["Margaret"])
    family_name: str | None = Field(None, max_length=100, examples=["Okafor"])
    preferred_name: str | None = Field(None, max_length=100, examples=["Peggy"])
    date_of_birth: date | None = Field(None, examples=["1956-03-14"])
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32, examples=["07911 123456"])
    address: AddressIn | None = None
    uprn: str | None = Field(None, max_length=12)
    verified: list[Attribute] = Field(
        default_factory=list,
        description="Attributes the organisation has verified (e.g. an email it confirmed). Believed "
        "only from organisations the platform trusts to verify identity; from any other the values "
        "are kept as ordinary claims",
    )


class PersonIn(AttributesIn):
    external_ref: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The organisation's own reference; unique per organisation",
    )
    consent: GrantIn | None = Field(
        None, description="A consent grant the organisation captured from the resident at the same time"
    )


_REASON = (
    "Why a record is held for review, when not as a possible match: external_ref_conflict — the "
    "external_ref names a record of this organisation whose given name and date of birth both clearly "
    "differ from these. That record is left as it was (nothing overwritten); this one is a new person "
    "(person_id) held for the organisation's reviewers beside it. Check the reference: post the record "
    "again with the right one, or let the review decide whether they are one person"
)


class Resolution(ResponseModel):
    status: Literal["created", "matched", "review"] = Field(
        description="Of the organisation's own records only: created (a person new to the organisation, "
        "whether or not another organisation knows them), matched (one of its own people) or review "
        "(possibly one of its own people, held for its own reviewers)"
    )
    reason: Literal["external_ref_conflict"] | None = Field(None, description=_REASON)


class FieldWarning(ResponseModel):
    field: str
    message: str


_WARNINGS = (
    "Values left out of the record, the rest kept: a phone number the validator refuses, an "
    "implausible date of birth (in the future, or more than 120 years ago)"
)


class PersonCreated(ResponseModel):
    person_id: uuid.UUID = Field(description="The organisation's own id for this person")
    resolution: Resolution
    consent: GrantOut | None = Field(None, description="The grant recorded with the registration, if any")
    warnings: list[FieldWarning] = Field(default_factory=list, description=_WARNINGS)


class PeopleBatchResult(ResponseModel):
    index: int
    status: Literal["created", "matched", "review", "rejected"] = Field(
        description="As in POST /v1/people, or rejected (see errors)"
    )
    person_id: uuid.UUID | None = None
    reason: Literal["external_ref_conflict"] | None = Field(None, description=_REASON)
    consent_id: uuid.UUID | None = None
    errors: list[dict[str, Any]] | None = None
    warnings: list[FieldWarning] | None = Field(None, description=_WARNINGS)


class PeopleBatchOut(ResponseModel):
    results: list[PeopleBatchResult]
    created: int
    matched: int
    review: int
    rejected: int


class ClaimOut(ResponseModel):
    value: Any
    source_sector: str = Field(description="public, social, commercial or resident")
    asserted_at: datetime
    verified: bool


class PersonOut(ResponseModel):
    person_id: uuid.UUID
    purpose: str
    attributes: dict[str, ClaimOut]
    external_refs: list[str] = Field(default_factory=list, description="The organisation's own references")


class PersonRef(ResponseModel):
    person_id: uuid.UUID
    external_ref: str


class PersonRefList(ResponseModel):
    items: list[PersonRef]


class SearchIn(StrictModel):
    given_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    date_of_birth: date | None = None
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    postcode: str | None = Field(None, max_length=16)
    limit: int = Field(20, ge=1, le=100)


class SearchHit(ResponseModel):
    person_id: uuid.UUID
    score: float = Field(description="Match probability against the search")
    external_refs: list[str]


class SearchOut(ResponseModel):
    items: list[SearchHit]
