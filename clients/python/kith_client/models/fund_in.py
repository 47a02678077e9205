from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="FundIn")


@_attrs_define
class FundIn:
    """
    Attributes:
        amount (int):
        id (UUID): Transfer id (idempotency key)
    """

    amount: int
    id: UUID

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        id = str(self.id)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "id": id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        id = UUID(d.pop("id"))

        fund_in = cls(
            amount=amount,
            id=id,
        )

        return fund_in
