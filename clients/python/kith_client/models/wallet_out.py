from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.wallet_entry import WalletEntry


T = TypeVar("T", bound="WalletOut")


@_attrs_define
class WalletOut:
    """
    Attributes:
        available (int):
        balance (int):
        history (list[WalletEntry]):
        pending (int):
        person_id (UUID):
        next_cursor (None | str | Unset):
    """

    available: int
    balance: int
    history: list[WalletEntry]
    pending: int
    person_id: UUID
    next_cursor: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        balance = self.balance

        history = []
        for history_item_data in self.history:
            history_item = history_item_data.to_dict()
            history.append(history_item)

        pending = self.pending

        person_id = str(self.person_id)

        next_cursor: None | str | Unset
        if isinstance(self.next_cursor, Unset):
            next_cursor = UNSET
        else:
            next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "available": available,
                "balance": balance,
                "history": history,
                "pending": pending,
                "person_id": person_id,
            }
        )
        if next_cursor is not UNSET:
            field_dict["next_cursor"] = next_cursor

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.wallet_entry import WalletEntry  # noqa: PLC0415

        d = dict(src_dict)
        available = d.pop("available")

        balance = d.pop("balance")

        history = []
        _history = d.pop("history")
        for history_item_data in _history:
            history_item = WalletEntry.from_dict(history_item_data)

            history.append(history_item)

        pending = d.pop("pending")

        person_id = UUID(d.pop("person_id"))

        def _parse_next_cursor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor", UNSET))

        wallet_out = cls(
            available=available,
            balance=balance,
            history=history,
            pending=pending,
            person_id=person_id,
            next_cursor=next_cursor,
        )

        wallet_out.additional_properties = d
        return wallet_out

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
