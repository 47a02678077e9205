from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MergeOut")


@_attrs_define
class MergeOut:
    """
    Attributes:
        keep (UUID):
        merge_id (UUID):
        merged (UUID):
    """

    keep: UUID
    merge_id: UUID
    merged: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        keep = str(self.keep)

        merge_id = str(self.merge_id)

        merged = str(self.merged)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "keep": keep,
                "merge_id": merge_id,
                "merged": merged,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        keep = UUID(d.pop("keep"))

        merge_id = UUID(d.pop("merge_id"))

        merged = UUID(d.pop("merged"))

        merge_out = cls(
            keep=keep,
            merge_id=merge_id,
            merged=merged,
        )

        merge_out.additional_properties = d
        return merge_out

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
