from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PostIn")


@_attrs_define
class PostIn:
    """
    Attributes:
        id (UUID): The id of the posting transfer (idempotency key)
        amount (int | None | Unset): Post less than the hold (the rest is released)
    """

    id: UUID
    amount: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        amount: int | None | Unset
        if isinstance(self.amount, Unset):
            amount = UNSET
        else:
            amount = self.amount

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
            }
        )
        if amount is not UNSET:
            field_dict["amount"] = amount

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        def _parse_amount(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        amount = _parse_amount(d.pop("amount", UNSET))

        post_in = cls(
            id=id,
            amount=amount,
        )

        return post_in
