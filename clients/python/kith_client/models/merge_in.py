from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="MergeIn")


@_attrs_define
class MergeIn:
    """
    Attributes:
        keep (UUID):
        merge (UUID):
    """

    keep: UUID
    merge: UUID

    def to_dict(self) -> dict[str, Any]:
        keep = str(self.keep)

        merge = str(self.merge)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "keep": keep,
                "merge": merge,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        keep = UUID(d.pop("keep"))

        merge = UUID(d.pop("merge"))

        merge_in = cls(
            keep=keep,
            merge=merge,
        )

        return merge_in
