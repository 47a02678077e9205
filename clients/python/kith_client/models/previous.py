from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Previous")


@_attrs_define
class Previous:
    """
    Attributes:
        denominator (float | None):
        normalised (float | None):
        numerator (float | None):
        period (str):
        suppressed (bool):
        value (float | None):
    """

    denominator: float | None
    normalised: float | None
    numerator: float | None
    period: str
    suppressed: bool
    value: float | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        denominator: float | None
        denominator = self.denominator

        normalised: float | None
        normalised = self.normalised

        numerator: float | None
        numerator = self.numerator

        period = self.period

        suppressed = self.suppressed

        value: float | None
        value = self.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "denominator": denominator,
                "normalised": normalised,
                "numerator": numerator,
                "period": period,
                "suppressed": suppressed,
                "value": value,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_denominator(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        denominator = _parse_denominator(d.pop("denominator"))

        def _parse_normalised(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        normalised = _parse_normalised(d.pop("normalised"))

        def _parse_numerator(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        numerator = _parse_numerator(d.pop("numerator"))

        period = d.pop("period")

        suppressed = d.pop("suppressed")

        def _parse_value(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        value = _parse_value(d.pop("value"))

        previous = cls(
            denominator=denominator,
            normalised=normalised,
            numerator=numerator,
            period=period,
            suppressed=suppressed,
            value=value,
        )

        previous.additional_properties = d
        return previous

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
