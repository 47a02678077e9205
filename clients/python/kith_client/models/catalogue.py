from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.category_out import CategoryOut
    from ..models.purpose_out import PurposeOut


T = TypeVar("T", bound="Catalogue")


@_attrs_define
class Catalogue:
    """
    Attributes:
        categories (list[CategoryOut]):
        purposes (list[PurposeOut]):
    """

    categories: list[CategoryOut]
    purposes: list[PurposeOut]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        categories = []
        for categories_item_data in self.categories:
            categories_item = categories_item_data.to_dict()
            categories.append(categories_item)

        purposes = []
        for purposes_item_data in self.purposes:
            purposes_item = purposes_item_data.to_dict()
            purposes.append(purposes_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "categories": categories,
                "purposes": purposes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.category_out import CategoryOut  # noqa: PLC0415
        from ..models.purpose_out import PurposeOut  # noqa: PLC0415

        d = dict(src_dict)
        categories = []
        _categories = d.pop("categories")
        for categories_item_data in _categories:
            categories_item = CategoryOut.from_dict(categories_item_data)

            categories.append(categories_item)

        purposes = []
        _purposes = d.pop("purposes")
        for purposes_item_data in _purposes:
            purposes_item = PurposeOut.from_dict(purposes_item_data)

            purposes.append(purposes_item)

        catalogue = cls(
            categories=categories,
            purposes=purposes,
        )

        catalogue.additional_properties = d
        return catalogue

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
