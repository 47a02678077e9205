from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.review_decision_in_decision import ReviewDecisionInDecision

T = TypeVar("T", bound="ReviewDecisionIn")


@_attrs_define
class ReviewDecisionIn:
    """
    Attributes:
        decision (ReviewDecisionInDecision):
    """

    decision: ReviewDecisionInDecision

    def to_dict(self) -> dict[str, Any]:
        decision = self.decision.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "decision": decision,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        decision = ReviewDecisionInDecision(d.pop("decision"))

        review_decision_in = cls(
            decision=decision,
        )

        return review_decision_in
