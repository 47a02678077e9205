from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ClientCreated")


@_attrs_define
class ClientCreated:
    """
    Attributes:
        client_id (str):
        client_secret (str): Shown once; only its hash is kept
        created_at (datetime.datetime):
        disabled_at (datetime.datetime | None):
        name (str):
        org_id (UUID):
        scopes (list[str]):
    """

    client_id: str
    client_secret: str
    created_at: datetime.datetime
    disabled_at: datetime.datetime | None
    name: str
    org_id: UUID
    scopes: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        client_id = self.client_id

        client_secret = self.client_secret

        created_at = self.created_at.isoformat()

        disabled_at: None | str
        if isinstance(self.disabled_at, datetime.datetime):
            disabled_at = self.disabled_at.isoformat()
        else:
            disabled_at = self.disabled_at

        name = self.name

        org_id = str(self.org_id)

        scopes = self.scopes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "created_at": created_at,
                "disabled_at": disabled_at,
                "name": name,
                "org_id": org_id,
                "scopes": scopes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        client_id = d.pop("client_id")

        client_secret = d.pop("client_secret")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_disabled_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                disabled_at_type_0 = datetime.datetime.fromisoformat(data)

                return disabled_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        disabled_at = _parse_disabled_at(d.pop("disabled_at"))

        name = d.pop("name")

        org_id = UUID(d.pop("org_id"))

        scopes = cast(list[str], d.pop("scopes"))

        client_created = cls(
            client_id=client_id,
            client_secret=client_secret,
            created_at=created_at,
            disabled_at=disabled_at,
            name=name,
            org_id=org_id,
            scopes=scopes,
        )

        client_created.additional_properties = d
        return client_created

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
