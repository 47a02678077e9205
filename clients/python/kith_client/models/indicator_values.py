from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.area_ref import AreaRef
    from ..models.indicator_value import IndicatorValue
    from ..models.published_count import PublishedCount


T = TypeVar("T", bound="IndicatorValues")


@_attrs_define
class IndicatorValues:
    """
    Attributes:
        area (AreaRef):
        computed_at (datetime.datetime | None): when the roll-up behind these values was computed
        indicators (list[IndicatorValue]):
        period (str):
        previous_period (str):
        residents (PublishedCount):
    """

    area: AreaRef
    computed_at: datetime.datetime | None
    indicators: list[IndicatorValue]
    period: str
    previous_period: str
    residents: PublishedCount
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        area = self.area.to_dict()

        computed_at: None | str
        if isinstance(self.computed_at, datetime.datetime):
            computed_at = self.computed_at.isoformat()
        else:
            computed_at = self.computed_at

        indicators = []
        for indicators_item_data in self.indicators:
            indicators_item = indicators_item_data.to_dict()
            indicators.append(indicators_item)

        period = self.period

        previous_period = self.previous_period

        residents = self.residents.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "area": area,
                "computed_at": computed_at,
                "indicators": indicators,
                "period": period,
                "previous_period": previous_period,
                "residents": residents,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.area_ref import AreaRef  # noqa: PLC0415
        from ..models.indicator_value import IndicatorValue  # noqa: PLC0415
        from ..models.published_count import PublishedCount  # noqa: PLC0415

        d = dict(src_dict)
        area = AreaRef.from_dict(d.pop("area"))

        def _parse_computed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                computed_at_type_0 = datetime.datetime.fromisoformat(data)

                return computed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        computed_at = _parse_computed_at(d.pop("computed_at"))

        indicators = []
        _indicators = d.pop("indicators")
        for indicators_item_data in _indicators:
            indicators_item = IndicatorValue.from_dict(indicators_item_data)

            indicators.append(indicators_item)

        period = d.pop("period")

        previous_period = d.pop("previous_period")

        residents = PublishedCount.from_dict(d.pop("residents"))

        indicator_values = cls(
            area=area,
            computed_at=computed_at,
            indicators=indicators,
            period=period,
            previous_period=previous_period,
            residents=residents,
        )

        indicator_values.additional_properties = d
        return indicator_values

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
