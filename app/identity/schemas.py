"""Admin bodies for merges, reviews and explanations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, StrictBool

from app.core.schemas import ResponseModel, StrictModel


class MergeIn(StrictModel):
    keep: uuid.UUID
    merge: uuid.UUID


class MergeOut(ResponseModel):
    merge_id: uuid.UUID
    keep: uuid.UUID
    merged: uuid.UUID


class UnmergeOut(ResponseModel):
    person_id: uuid.UUID
    was_merged_into: uuid.UUID


ReviewQueue = Literal["organisation", "platform"]


class ReviewOut(ResponseModel):
    id: uuid.UUID
    queue: ReviewQueue = Field(
        description="organisation: a possible match among the submitting organisation's own records; "
        "platform: a possible match with another organisation's records (the organisation was told "
        "'created' and knows nothing of it)"
    )
    merge: StrictBool = Field(
        description="false: a record held, possibly the candidate (person_id: its provisional person); true: "
        "two people one record matched outright, possibly one (person_id would be merged into candidate_id)"
    )
    unmerge: StrictBool = Field(
        False,
        description="true: an organisation asks to set apart a merge Kith made (person_id: the person merged "
        "into candidate_id; explanation.reason: why). match keeps them merged, distinct undoes the merge",
    )
    org_id: uuid.UUID | None = Field(
        description="The organisation that submitted the record, or that asks for the merge to be undone"
    )
    person_id: uuid.UUID
    candidate_id: uuid.UUID | None
    score: float | None
    explanation: dict[str, Any] | None
    created_at: datetime


class ReviewPage(ResponseModel):
    items: list[ReviewOut]
    next_cursor: str | None = None


class ReviewDecisionIn(StrictModel):
    decision: Literal["match", "distinct"]


class DecisionOut(ResponseModel):
    id: uuid.UUID
    status: str = Field(description="What the platform did: created, matched or review")
    answered: str | None = Field(
        description="What the organisation was told, of its own records only: created, matched or review"
    )
    method: str
    score: float | None
    explanation: dict[str, Any] | None
    person_id: uuid.UUID
    candidate_id: uuid.UUID | None
    review_outcome: str | None
    created_at: datetime
