from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SeriesPoint")


@_attrs_define
class SeriesPoint:
    """
    Attributes:
        denominator (float | None):
        numerator (float | None):
        period (str):
        rag (None | str):
        suppressed (bool):
        value (float | None):
    """

    denominator: float | None
    numerator: float | None
    period: str
    rag: None | str
    suppressed: bool
    value: float | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        denominator: float | None
        denominator = self.denominator

        numerator: float | None
        numerator = self.numerator

        period = self.period

        rag: None | str
        rag = self.rag

        suppressed = self.suppressed

        value: float | None
        value = self.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "denominator": denominator,
                "numerator": numerator,
                "period": period,
                "rag": rag,
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

        def _parse_numerator(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        numerator = _parse_numerator(d.pop("numerator"))

        period = d.pop("period")

        def _parse_rag(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        rag = _parse_rag(d.pop("rag"))

        suppressed = d.pop("suppressed")

        def _parse_value(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        value = _parse_value(d.pop("value"))

        series_point = cls(
            denominator=denominator,
            numerator=numerator,
            period=period,
            rag=rag,
            suppressed=suppressed,
            value=value,
        )

        series_point.additional_properties = d
        return series_point

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
