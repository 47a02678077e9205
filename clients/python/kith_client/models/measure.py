from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Measure")


@_attrs_define
class Measure:
    """
    Attributes:
        denominator (float | None):
        name (str):
        numerator (float | None):
        suppressed (bool):
        value (float | None):
        previous_value (float | None | Unset):
    """

    denominator: float | None
    name: str
    numerator: float | None
    suppressed: bool
    value: float | None
    previous_value: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        denominator: float | None
        denominator = self.denominator

        name = self.name

        numerator: float | None
        numerator = self.numerator

        suppressed = self.suppressed

        value: float | None
        value = self.value

        previous_value: float | None | Unset
        if isinstance(self.previous_value, Unset):
            previous_value = UNSET
        else:
            previous_value = self.previous_value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "denominator": denominator,
                "name": name,
                "numerator": numerator,
                "suppressed": suppressed,
                "value": value,
            }
        )
        if previous_value is not UNSET:
            field_dict["previous_value"] = previous_value

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_denominator(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        denominator = _parse_denominator(d.pop("denominator"))

        name = d.pop("name")

        def _parse_numerator(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        numerator = _parse_numerator(d.pop("numerator"))

        suppressed = d.pop("suppressed")

        def _parse_value(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        value = _parse_value(d.pop("value"))

        def _parse_previous_value(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        previous_value = _parse_previous_value(d.pop("previous_value", UNSET))

        measure = cls(
            denominator=denominator,
            name=name,
            numerator=numerator,
            suppressed=suppressed,
            value=value,
            previous_value=previous_value,
        )

        measure.additional_properties = d
        return measure

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
