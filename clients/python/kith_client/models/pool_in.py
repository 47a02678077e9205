from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PoolIn")


@_attrs_define
class PoolIn:
    """
    Attributes:
        name (str):
        credits_per_hour (int | Unset): What an hour of volunteering earns Default: 1.
        expiry_days (int | None | Unset): Credits earned from this pool expire this many days later (as a visible
            transfer)
    """

    name: str
    credits_per_hour: int | Unset = 1
    expiry_days: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        credits_per_hour = self.credits_per_hour

        expiry_days: int | None | Unset
        if isinstance(self.expiry_days, Unset):
            expiry_days = UNSET
        else:
            expiry_days = self.expiry_days

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if credits_per_hour is not UNSET:
            field_dict["credits_per_hour"] = credits_per_hour
        if expiry_days is not UNSET:
            field_dict["expiry_days"] = expiry_days

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        credits_per_hour = d.pop("credits_per_hour", UNSET)

        def _parse_expiry_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        expiry_days = _parse_expiry_days(d.pop("expiry_days", UNSET))

        pool_in = cls(
            name=name,
            credits_per_hour=credits_per_hour,
            expiry_days=expiry_days,
        )

        return pool_in
