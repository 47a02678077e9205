from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AccountOut")


@_attrs_define
class AccountOut:
    """
    Attributes:
        available (int): balance less pending debits
        balance (int): credits_posted − debits_posted
        created_at (datetime.datetime):
        credits_pending (int):
        credits_posted (int):
        debits_must_not_exceed_credits (bool):
        debits_pending (int):
        debits_posted (int):
        id (UUID):
        kind (str):
        owner_kind (str):
        closed_at (datetime.datetime | None | Unset):
        name (None | str | Unset):
    """

    available: int
    balance: int
    created_at: datetime.datetime
    credits_pending: int
    credits_posted: int
    debits_must_not_exceed_credits: bool
    debits_pending: int
    debits_posted: int
    id: UUID
    kind: str
    owner_kind: str
    closed_at: datetime.datetime | None | Unset = UNSET
    name: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        balance = self.balance

        created_at = self.created_at.isoformat()

        credits_pending = self.credits_pending

        credits_posted = self.credits_posted

        debits_must_not_exceed_credits = self.debits_must_not_exceed_credits

        debits_pending = self.debits_pending

        debits_posted = self.debits_posted

        id = str(self.id)

        kind = self.kind

        owner_kind = self.owner_kind

        closed_at: None | str | Unset
        if isinstance(self.closed_at, Unset):
            closed_at = UNSET
        elif isinstance(self.closed_at, datetime.datetime):
            closed_at = self.closed_at.isoformat()
        else:
            closed_at = self.closed_at

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "available": available,
                "balance": balance,
                "created_at": created_at,
                "credits_pending": credits_pending,
                "credits_posted": credits_posted,
                "debits_must_not_exceed_credits": debits_must_not_exceed_credits,
                "debits_pending": debits_pending,
                "debits_posted": debits_posted,
                "id": id,
                "kind": kind,
                "owner_kind": owner_kind,
            }
        )
        if closed_at is not UNSET:
            field_dict["closed_at"] = closed_at
        if name is not UNSET:
            field_dict["name"] = name

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        available = d.pop("available")

        balance = d.pop("balance")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        credits_pending = d.pop("credits_pending")

        credits_posted = d.pop("credits_posted")

        debits_must_not_exceed_credits = d.pop("debits_must_not_exceed_credits")

        debits_pending = d.pop("debits_pending")

        debits_posted = d.pop("debits_posted")

        id = UUID(d.pop("id"))

        kind = d.pop("kind")

        owner_kind = d.pop("owner_kind")

        def _parse_closed_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                closed_at_type_0 = datetime.datetime.fromisoformat(data)

                return closed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        closed_at = _parse_closed_at(d.pop("closed_at", UNSET))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        account_out = cls(
            available=available,
            balance=balance,
            created_at=created_at,
            credits_pending=credits_pending,
            credits_posted=credits_posted,
            debits_must_not_exceed_credits=debits_must_not_exceed_credits,
            debits_pending=debits_pending,
            debits_posted=debits_posted,
            id=id,
            kind=kind,
            owner_kind=owner_kind,
            closed_at=closed_at,
            name=name,
        )

        account_out.additional_properties = d
        return account_out

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
