from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.review_out_queue import ReviewOutQueue

if TYPE_CHECKING:
    from ..models.review_out_explanation_type_0 import ReviewOutExplanationType0


T = TypeVar("T", bound="ReviewOut")


@_attrs_define
class ReviewOut:
    """
    Attributes:
        candidate_id (None | UUID):
        created_at (datetime.datetime):
        explanation (None | ReviewOutExplanationType0):
        id (UUID):
        merge (bool): false: a record held, possibly the candidate (person_id: its provisional person); true: two people
            one record matched outright, possibly one (person_id would be merged into candidate_id)
        org_id (None | UUID): The organisation that submitted the record
        person_id (UUID):
        queue (ReviewOutQueue): organisation: a possible match among the submitting organisation's own records;
            platform: a possible match with another organisation's records (the organisation was told 'created' and knows
            nothing of it)
        score (float | None):
    """

    candidate_id: None | UUID
    created_at: datetime.datetime
    explanation: None | ReviewOutExplanationType0
    id: UUID
    merge: bool
    org_id: None | UUID
    person_id: UUID
    queue: ReviewOutQueue
    score: float | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.review_out_explanation_type_0 import ReviewOutExplanationType0  # noqa: PLC0415

        candidate_id: None | str
        if isinstance(self.candidate_id, UUID):
            candidate_id = str(self.candidate_id)
        else:
            candidate_id = self.candidate_id

        created_at = self.created_at.isoformat()

        explanation: dict[str, Any] | None
        if isinstance(self.explanation, ReviewOutExplanationType0):
            explanation = self.explanation.to_dict()
        else:
            explanation = self.explanation

        id = str(self.id)

        merge = self.merge

        org_id: None | str
        if isinstance(self.org_id, UUID):
            org_id = str(self.org_id)
        else:
            org_id = self.org_id

        person_id = str(self.person_id)

        queue = self.queue.value

        score: float | None
        score = self.score

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "candidate_id": candidate_id,
                "created_at": created_at,
                "explanation": explanation,
                "id": id,
                "merge": merge,
                "org_id": org_id,
                "person_id": person_id,
                "queue": queue,
                "score": score,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.review_out_explanation_type_0 import ReviewOutExplanationType0  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_candidate_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                candidate_id_type_0 = UUID(data)

                return candidate_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        candidate_id = _parse_candidate_id(d.pop("candidate_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_explanation(data: object) -> None | ReviewOutExplanationType0:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                explanation_type_0 = ReviewOutExplanationType0.from_dict(data)

                return explanation_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ReviewOutExplanationType0, data)

        explanation = _parse_explanation(d.pop("explanation"))

        id = UUID(d.pop("id"))

        merge = d.pop("merge")

        def _parse_org_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                org_id_type_0 = UUID(data)

                return org_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        org_id = _parse_org_id(d.pop("org_id"))

        person_id = UUID(d.pop("person_id"))

        queue = ReviewOutQueue(d.pop("queue"))

        def _parse_score(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        score = _parse_score(d.pop("score"))

        review_out = cls(
            candidate_id=candidate_id,
            created_at=created_at,
            explanation=explanation,
            id=id,
            merge=merge,
            org_id=org_id,
            person_id=person_id,
            queue=queue,
            score=score,
        )

        review_out.additional_properties = d
        return review_out

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
