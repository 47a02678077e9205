from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.decision_out_explanation_type_0 import DecisionOutExplanationType0


T = TypeVar("T", bound="DecisionOut")


@_attrs_define
class DecisionOut:
    """
    Attributes:
        answered (None | str): What the organisation was told, of its own records only: created, matched or review
        candidate_id (None | UUID):
        created_at (datetime.datetime):
        explanation (DecisionOutExplanationType0 | None):
        id (UUID):
        method (str):
        person_id (UUID):
        review_outcome (None | str):
        score (float | None):
        status (str): What the platform did: created, matched or review
    """

    answered: None | str
    candidate_id: None | UUID
    created_at: datetime.datetime
    explanation: DecisionOutExplanationType0 | None
    id: UUID
    method: str
    person_id: UUID
    review_outcome: None | str
    score: float | None
    status: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.decision_out_explanation_type_0 import DecisionOutExplanationType0  # noqa: PLC0415

        answered: None | str
        answered = self.answered

        candidate_id: None | str
        if isinstance(self.candidate_id, UUID):
            candidate_id = str(self.candidate_id)
        else:
            candidate_id = self.candidate_id

        created_at = self.created_at.isoformat()

        explanation: dict[str, Any] | None
        if isinstance(self.explanation, DecisionOutExplanationType0):
            explanation = self.explanation.to_dict()
        else:
            explanation = self.explanation

        id = str(self.id)

        method = self.method

        person_id = str(self.person_id)

        review_outcome: None | str
        review_outcome = self.review_outcome

        score: float | None
        score = self.score

        status = self.status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "answered": answered,
                "candidate_id": candidate_id,
                "created_at": created_at,
                "explanation": explanation,
                "id": id,
                "method": method,
                "person_id": person_id,
                "review_outcome": review_outcome,
                "score": score,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decision_out_explanation_type_0 import DecisionOutExplanationType0  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_answered(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        answered = _parse_answered(d.pop("answered"))

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

        def _parse_explanation(data: object) -> DecisionOutExplanationType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                explanation_type_0 = DecisionOutExplanationType0.from_dict(data)

                return explanation_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DecisionOutExplanationType0 | None, data)

        explanation = _parse_explanation(d.pop("explanation"))

        id = UUID(d.pop("id"))

        method = d.pop("method")

        person_id = UUID(d.pop("person_id"))

        def _parse_review_outcome(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        review_outcome = _parse_review_outcome(d.pop("review_outcome"))

        def _parse_score(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        score = _parse_score(d.pop("score"))

        status = d.pop("status")

        decision_out = cls(
            answered=answered,
            candidate_id=candidate_id,
            created_at=created_at,
            explanation=explanation,
            id=id,
            method=method,
            person_id=person_id,
            review_outcome=review_outcome,
            score=score,
            status=status,
        )

        decision_out.additional_properties = d
        return decision_out

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
