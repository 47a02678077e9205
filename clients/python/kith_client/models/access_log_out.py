from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AccessLogOut")


@_attrs_define
class AccessLogOut:
    """
    Attributes:
        action (str):
        categories (list[str]):
        client_id (None | str):
        organisation (str):
        organisation_id (UUID):
        purpose (str):
        read_at (datetime.datetime):
    """

    action: str
    categories: list[str]
    client_id: None | str
    organisation: str
    organisation_id: UUID
    purpose: str
    read_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action

        categories = self.categories

        client_id: None | str
        client_id = self.client_id

        organisation = self.organisation

        organisation_id = str(self.organisation_id)

        purpose = self.purpose

        read_at = self.read_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "categories": categories,
                "client_id": client_id,
                "organisation": organisation,
                "organisation_id": organisation_id,
                "purpose": purpose,
                "read_at": read_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        action = d.pop("action")

        categories = cast(list[str], d.pop("categories"))

        def _parse_client_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        client_id = _parse_client_id(d.pop("client_id"))

        organisation = d.pop("organisation")

        organisation_id = UUID(d.pop("organisation_id"))

        purpose = d.pop("purpose")

        read_at = datetime.datetime.fromisoformat(d.pop("read_at"))

        access_log_out = cls(
            action=action,
            categories=categories,
            client_id=client_id,
            organisation=organisation,
            organisation_id=organisation_id,
            purpose=purpose,
            read_at=read_at,
        )

        access_log_out.additional_properties = d
        return access_log_out

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
