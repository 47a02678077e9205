from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.people_batch_result import PeopleBatchResult


T = TypeVar("T", bound="PeopleBatchOut")


@_attrs_define
class PeopleBatchOut:
    """
    Attributes:
        created (int):
        matched (int):
        rejected (int):
        results (list[PeopleBatchResult]):
        review (int):
    """

    created: int
    matched: int
    rejected: int
    results: list[PeopleBatchResult]
    review: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created = self.created

        matched = self.matched

        rejected = self.rejected

        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)

        review = self.review

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created": created,
                "matched": matched,
                "rejected": rejected,
                "results": results,
                "review": review,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.people_batch_result import PeopleBatchResult  # noqa: PLC0415

        d = dict(src_dict)
        created = d.pop("created")

        matched = d.pop("matched")

        rejected = d.pop("rejected")

        results = []
        _results = d.pop("results")
        for results_item_data in _results:
            results_item = PeopleBatchResult.from_dict(results_item_data)

            results.append(results_item)

        review = d.pop("review")

        people_batch_out = cls(
            created=created,
            matched=matched,
            rejected=rejected,
            results=results,
            review=review,
        )

        people_batch_out.additional_properties = d
        return people_batch_out

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
