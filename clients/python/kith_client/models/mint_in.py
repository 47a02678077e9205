from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="MintIn")


@_attrs_define
class MintIn:
    """
    Attributes:
        account_id (UUID):
        amount (int): Whole credits, more than zero
        id (UUID): Transfer id (idempotency key)
        reference (None | str | Unset): The contribution made outside Kith
    """

    account_id: UUID
    amount: int
    id: UUID
    reference: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        account_id = str(self.account_id)

        amount = self.amount

        id = str(self.id)

        reference: None | str | Unset
        if isinstance(self.reference, Unset):
            reference = UNSET
        else:
            reference = self.reference

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "amount": amount,
                "id": id,
            }
        )
        if reference is not UNSET:
            field_dict["reference"] = reference

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account_id = UUID(d.pop("account_id"))

        amount = d.pop("amount")

        id = UUID(d.pop("id"))

        def _parse_reference(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reference = _parse_reference(d.pop("reference", UNSET))

        mint_in = cls(
            account_id=account_id,
            amount=amount,
            id=id,
            reference=reference,
        )

        return mint_in
