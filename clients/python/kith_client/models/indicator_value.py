from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.measure import Measure
    from ..models.previous import Previous


T = TypeVar("T", bound="IndicatorValue")


@_attrs_define
class IndicatorValue:
    """
    Attributes:
        code (str):
        components (list[Measure]):
        denominator (float | None):
        measure (str): Which of the indicator's measures is the headline value
        name (str):
        normalised (float | None): the headline on 0–1, 1 at the resilient end
        numerator (float | None):
        previous (Previous):
        rag (None | str): red, amber or green against the configured thresholds
        suppressed (bool):
        trend (None | str): up, down or same against the previous period
        unit (str):
        value (float | None): null when suppressed or undefined (nothing to divide by)
    """

    code: str
    components: list[Measure]
    denominator: float | None
    measure: str
    name: str
    normalised: float | None
    numerator: float | None
    previous: Previous
    rag: None | str
    suppressed: bool
    trend: None | str
    unit: str
    value: float | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        components = []
        for components_item_data in self.components:
            components_item = components_item_data.to_dict()
            components.append(components_item)

        denominator: float | None
        denominator = self.denominator

        measure = self.measure

        name = self.name

        normalised: float | None
        normalised = self.normalised

        numerator: float | None
        numerator = self.numerator

        previous = self.previous.to_dict()

        rag: None | str
        rag = self.rag

        suppressed = self.suppressed

        trend: None | str
        trend = self.trend

        unit = self.unit

        value: float | None
        value = self.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "components": components,
                "denominator": denominator,
                "measure": measure,
                "name": name,
                "normalised": normalised,
                "numerator": numerator,
                "previous": previous,
                "rag": rag,
                "suppressed": suppressed,
                "trend": trend,
                "unit": unit,
                "value": value,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.measure import Measure  # noqa: PLC0415
        from ..models.previous import Previous  # noqa: PLC0415

        d = dict(src_dict)
        code = d.pop("code")

        components = []
        _components = d.pop("components")
        for components_item_data in _components:
            components_item = Measure.from_dict(components_item_data)

            components.append(components_item)

        def _parse_denominator(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        denominator = _parse_denominator(d.pop("denominator"))

        measure = d.pop("measure")

        name = d.pop("name")

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

        previous = Previous.from_dict(d.pop("previous"))

        def _parse_rag(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        rag = _parse_rag(d.pop("rag"))

        suppressed = d.pop("suppressed")

        def _parse_trend(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        trend = _parse_trend(d.pop("trend"))

        unit = d.pop("unit")

        def _parse_value(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        value = _parse_value(d.pop("value"))

        indicator_value = cls(
            code=code,
            components=components,
            denominator=denominator,
            measure=measure,
            name=name,
            normalised=normalised,
            numerator=numerator,
            previous=previous,
            rag=rag,
            suppressed=suppressed,
            trend=trend,
            unit=unit,
            value=value,
        )

        indicator_value.additional_properties = d
        return indicator_value

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
