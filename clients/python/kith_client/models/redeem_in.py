from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="RedeemIn")


@_attrs_define
class RedeemIn:
    """
    Attributes:
        amount (int):
        description (str):
        id (UUID): Transfer id (idempotency key)
        card_pin (None | str | Unset): The PIN the resident chose for a card an organisation gave them (4 to 6 digits);
            such a card answers 403 card_pin_required without it. Cards residents got themselves have none
        card_token (None | str | Unset): The card's code as read out or scanned (XXXXX-XXXXX; case, spaces and hyphens
            do not matter)
        hold (bool | Unset): Hold the credits; post or void the hold later Default: False.
        hold_seconds (int | None | Unset): A hold voids itself after this
        person_id (None | Unset | UUID): The organisation's id for the resident (with resident_code)
        resident_code (None | str | Unset): With person_id: the one-time code the resident gives you (XXX-XXX), made on
            the rewards page of their Kith account; it works once, for ten minutes
    """

    amount: int
    description: str
    id: UUID
    card_pin: None | str | Unset = UNSET
    card_token: None | str | Unset = UNSET
    hold: bool | Unset = False
    hold_seconds: int | None | Unset = UNSET
    person_id: None | Unset | UUID = UNSET
    resident_code: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        description = self.description

        id = str(self.id)

        card_pin: None | str | Unset
        if isinstance(self.card_pin, Unset):
            card_pin = UNSET
        else:
            card_pin = self.card_pin

        card_token: None | str | Unset
        if isinstance(self.card_token, Unset):
            card_token = UNSET
        else:
            card_token = self.card_token

        hold = self.hold

        hold_seconds: int | None | Unset
        if isinstance(self.hold_seconds, Unset):
            hold_seconds = UNSET
        else:
            hold_seconds = self.hold_seconds

        person_id: None | str | Unset
        if isinstance(self.person_id, Unset):
            person_id = UNSET
        elif isinstance(self.person_id, UUID):
            person_id = str(self.person_id)
        else:
            person_id = self.person_id

        resident_code: None | str | Unset
        if isinstance(self.resident_code, Unset):
            resident_code = UNSET
        else:
            resident_code = self.resident_code

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "description": description,
                "id": id,
            }
        )
        if card_pin is not UNSET:
            field_dict["card_pin"] = card_pin
        if card_token is not UNSET:
            field_dict["card_token"] = card_token
        if hold is not UNSET:
            field_dict["hold"] = hold
        if hold_seconds is not UNSET:
            field_dict["hold_seconds"] = hold_seconds
        if person_id is not UNSET:
            field_dict["person_id"] = person_id
        if resident_code is not UNSET:
            field_dict["resident_code"] = resident_code

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        description = d.pop("description")

        id = UUID(d.pop("id"))

        def _parse_card_pin(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        card_pin = _parse_card_pin(d.pop("card_pin", UNSET))

        def _parse_card_token(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        card_token = _parse_card_token(d.pop("card_token", UNSET))

        hold = d.pop("hold", UNSET)

        def _parse_hold_seconds(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        hold_seconds = _parse_hold_seconds(d.pop("hold_seconds", UNSET))

        def _parse_person_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                person_id_type_0 = UUID(data)

                return person_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        person_id = _parse_person_id(d.pop("person_id", UNSET))

        def _parse_resident_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        resident_code = _parse_resident_code(d.pop("resident_code", UNSET))

        redeem_in = cls(
            amount=amount,
            description=description,
            id=id,
            card_pin=card_pin,
            card_token=card_token,
            hold=hold,
            hold_seconds=hold_seconds,
            person_id=person_id,
            resident_code=resident_code,
        )

        return redeem_in
