from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="OperatingLimitIn")


@_attrs_define
class OperatingLimitIn:
    """
    Attributes:
        may_go_negative (bool): Whether the organisation's operating account may go below zero (what it owes the scheme,
            settled outside Kith)
    """

    may_go_negative: bool

    def to_dict(self) -> dict[str, Any]:
        may_go_negative = self.may_go_negative

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "may_go_negative": may_go_negative,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        may_go_negative = d.pop("may_go_negative")

        operating_limit_in = cls(
            may_go_negative=may_go_negative,
        )

        return operating_limit_in
