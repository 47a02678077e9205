from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.client_in_scopes_item import ClientInScopesItem
from ..types import UNSET, Unset

T = TypeVar("T", bound="ClientIn")


@_attrs_define
class ClientIn:
    """
    Attributes:
        scopes (list[ClientInScopesItem]): Scopes the client may request
        admin (bool | Unset): Also grant the platform 'admin' scope Default: False.
        name (str | Unset):  Default: 'API client'.
    """

    scopes: list[ClientInScopesItem]
    admin: bool | Unset = False
    name: str | Unset = "API client"

    def to_dict(self) -> dict[str, Any]:
        scopes = []
        for scopes_item_data in self.scopes:
            scopes_item = scopes_item_data.value
            scopes.append(scopes_item)

        admin = self.admin

        name = self.name

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "scopes": scopes,
            }
        )
        if admin is not UNSET:
            field_dict["admin"] = admin
        if name is not UNSET:
            field_dict["name"] = name

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        scopes = []
        _scopes = d.pop("scopes")
        for scopes_item_data in _scopes:
            scopes_item = ClientInScopesItem(scopes_item_data)

            scopes.append(scopes_item)

        admin = d.pop("admin", UNSET)

        name = d.pop("name", UNSET)

        client_in = cls(
            scopes=scopes,
            admin=admin,
            name=name,
        )

        return client_in
