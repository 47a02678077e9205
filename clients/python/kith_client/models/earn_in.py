from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="EarnIn")


@_attrs_define
class EarnIn:
    """
    Attributes:
        id (UUID): Transfer id (idempotency key)
        person_id (UUID):
        pool_id (UUID):
        amount (int | None | Unset):
        hours (float | None | Unset):
        interaction_id (None | Unset | UUID):
    """

    id: UUID
    person_id: UUID
    pool_id: UUID
    amount: int | None | Unset = UNSET
    hours: float | None | Unset = UNSET
    interaction_id: None | Unset | UUID = UNSET

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        person_id = str(self.person_id)

        pool_id = str(self.pool_id)

        amount: int | None | Unset
        if isinstance(self.amount, Unset):
            amount = UNSET
        else:
            amount = self.amount

        hours: float | None | Unset
        if isinstance(self.hours, Unset):
            hours = UNSET
        else:
            hours = self.hours

        interaction_id: None | str | Unset
        if isinstance(self.interaction_id, Unset):
            interaction_id = UNSET
        elif isinstance(self.interaction_id, UUID):
            interaction_id = str(self.interaction_id)
        else:
            interaction_id = self.interaction_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "person_id": person_id,
                "pool_id": pool_id,
            }
        )
        if amount is not UNSET:
            field_dict["amount"] = amount
        if hours is not UNSET:
            field_dict["hours"] = hours
        if interaction_id is not UNSET:
            field_dict["interaction_id"] = interaction_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        person_id = UUID(d.pop("person_id"))

        pool_id = UUID(d.pop("pool_id"))

        def _parse_amount(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        amount = _parse_amount(d.pop("amount", UNSET))

        def _parse_hours(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        hours = _parse_hours(d.pop("hours", UNSET))

        def _parse_interaction_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                interaction_id_type_0 = UUID(data)

                return interaction_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        interaction_id = _parse_interaction_id(d.pop("interaction_id", UNSET))

        earn_in = cls(
            id=id,
            person_id=person_id,
            pool_id=pool_id,
            amount=amount,
            hours=hours,
            interaction_id=interaction_id,
        )

        return earn_in
