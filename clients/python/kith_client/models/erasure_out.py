from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ErasureOut")


@_attrs_define
class ErasureOut:
    """
    Attributes:
        grants_withdrawn (int):
        organisations_told (int):
        records_deleted (int):
    """

    grants_withdrawn: int
    organisations_told: int
    records_deleted: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        grants_withdrawn = self.grants_withdrawn

        organisations_told = self.organisations_told

        records_deleted = self.records_deleted

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "grants_withdrawn": grants_withdrawn,
                "organisations_told": organisations_told,
                "records_deleted": records_deleted,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        grants_withdrawn = d.pop("grants_withdrawn")

        organisations_told = d.pop("organisations_told")

        records_deleted = d.pop("records_deleted")

        erasure_out = cls(
            grants_withdrawn=grants_withdrawn,
            organisations_told=organisations_told,
            records_deleted=records_deleted,
        )

        erasure_out.additional_properties = d
        return erasure_out

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
