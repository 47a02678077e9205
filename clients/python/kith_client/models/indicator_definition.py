from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.thresholds import Thresholds


T = TypeVar("T", bound="IndicatorDefinition")


@_attrs_define
class IndicatorDefinition:
    """
    Attributes:
        code (str):
        definition (str):
        higher_is_better (bool):
        name (str):
        thresholds (Thresholds):
        unit (str): share, per_1000, index or ratio
    """

    code: str
    definition: str
    higher_is_better: bool
    name: str
    thresholds: Thresholds
    unit: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        definition = self.definition

        higher_is_better = self.higher_is_better

        name = self.name

        thresholds = self.thresholds.to_dict()

        unit = self.unit

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "definition": definition,
                "higher_is_better": higher_is_better,
                "name": name,
                "thresholds": thresholds,
                "unit": unit,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.thresholds import Thresholds  # noqa: PLC0415

        d = dict(src_dict)
        code = d.pop("code")

        definition = d.pop("definition")

        higher_is_better = d.pop("higher_is_better")

        name = d.pop("name")

        thresholds = Thresholds.from_dict(d.pop("thresholds"))

        unit = d.pop("unit")

        indicator_definition = cls(
            code=code,
            definition=definition,
            higher_is_better=higher_is_better,
            name=name,
            thresholds=thresholds,
            unit=unit,
        )

        indicator_definition.additional_properties = d
        return indicator_definition

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
