from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.area_ref import AreaRef
    from ..models.series_point import SeriesPoint


T = TypeVar("T", bound="IndicatorSeries")


@_attrs_define
class IndicatorSeries:
    """
    Attributes:
        area (AreaRef):
        code (str):
        measure (str):
        points (list[SeriesPoint]):
    """

    area: AreaRef
    code: str
    measure: str
    points: list[SeriesPoint]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        area = self.area.to_dict()

        code = self.code

        measure = self.measure

        points = []
        for points_item_data in self.points:
            points_item = points_item_data.to_dict()
            points.append(points_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "area": area,
                "code": code,
                "measure": measure,
                "points": points,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.area_ref import AreaRef  # noqa: PLC0415
        from ..models.series_point import SeriesPoint  # noqa: PLC0415

        d = dict(src_dict)
        area = AreaRef.from_dict(d.pop("area"))

        code = d.pop("code")

        measure = d.pop("measure")

        points = []
        _points = d.pop("points")
        for points_item_data in _points:
            points_item = SeriesPoint.from_dict(points_item_data)

            points.append(points_item)

        indicator_series = cls(
            area=area,
            code=code,
            measure=measure,
            points=points,
        )

        indicator_series.additional_properties = d
        return indicator_series

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
