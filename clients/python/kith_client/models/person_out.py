from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.person_out_attributes import PersonOutAttributes


T = TypeVar("T", bound="PersonOut")


@_attrs_define
class PersonOut:
    """
    Attributes:
        attributes (PersonOutAttributes):
        person_id (UUID):
        purpose (str):
        external_refs (list[str] | Unset): The organisation's own references
    """

    attributes: PersonOutAttributes
    person_id: UUID
    purpose: str
    external_refs: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attributes = self.attributes.to_dict()

        person_id = str(self.person_id)

        purpose = self.purpose

        external_refs: list[str] | Unset = UNSET
        if not isinstance(self.external_refs, Unset):
            external_refs = self.external_refs

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attributes": attributes,
                "person_id": person_id,
                "purpose": purpose,
            }
        )
        if external_refs is not UNSET:
            field_dict["external_refs"] = external_refs

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.person_out_attributes import PersonOutAttributes  # noqa: PLC0415

        d = dict(src_dict)
        attributes = PersonOutAttributes.from_dict(d.pop("attributes"))

        person_id = UUID(d.pop("person_id"))

        purpose = d.pop("purpose")

        external_refs = cast(list[str], d.pop("external_refs", UNSET))

        person_out = cls(
            attributes=attributes,
            person_id=person_id,
            purpose=purpose,
            external_refs=external_refs,
        )

        person_out.additional_properties = d
        return person_out

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
