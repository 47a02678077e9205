from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AreaOut")


@_attrs_define
class AreaOut:
    """
    Attributes:
        code (str):
        level (str):
        name (None | str):
        postcodes (int):
        residents (int | None): residents counted, rounded to 5; null when 1–7
        residents_suppressed (bool):
    """

    code: str
    level: str
    name: None | str
    postcodes: int
    residents: int | None
    residents_suppressed: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        level = self.level

        name: None | str
        name = self.name

        postcodes = self.postcodes

        residents: int | None
        residents = self.residents

        residents_suppressed = self.residents_suppressed

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "level": level,
                "name": name,
                "postcodes": postcodes,
                "residents": residents,
                "residents_suppressed": residents_suppressed,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = d.pop("code")

        level = d.pop("level")

        def _parse_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        name = _parse_name(d.pop("name"))

        postcodes = d.pop("postcodes")

        def _parse_residents(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        residents = _parse_residents(d.pop("residents"))

        residents_suppressed = d.pop("residents_suppressed")

        area_out = cls(
            code=code,
            level=level,
            name=name,
            postcodes=postcodes,
            residents=residents,
            residents_suppressed=residents_suppressed,
        )

        area_out.additional_properties = d
        return area_out

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
