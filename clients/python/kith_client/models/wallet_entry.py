from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="WalletEntry")


@_attrs_define
class WalletEntry:
    """
    Attributes:
        amount (int):
        code (str):
        created_at (datetime.datetime):
        direction (str):
        id (UUID):
        phase (str):
        status (str):
    """

    amount: int
    code: str
    created_at: datetime.datetime
    direction: str
    id: UUID
    phase: str
    status: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        code = self.code

        created_at = self.created_at.isoformat()

        direction = self.direction

        id = str(self.id)

        phase = self.phase

        status = self.status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "amount": amount,
                "code": code,
                "created_at": created_at,
                "direction": direction,
                "id": id,
                "phase": phase,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        code = d.pop("code")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        direction = d.pop("direction")

        id = UUID(d.pop("id"))

        phase = d.pop("phase")

        status = d.pop("status")

        wallet_entry = cls(
            amount=amount,
            code=code,
            created_at=created_at,
            direction=direction,
            id=id,
            phase=phase,
            status=status,
        )

        wallet_entry.additional_properties = d
        return wallet_entry

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
