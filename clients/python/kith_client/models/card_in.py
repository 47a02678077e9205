from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CardIn")


@_attrs_define
class CardIn:
    """
    Attributes:
        card_token (str): The card's code as read out or scanned (XXXXX-XXXXX; case, spaces and hyphens do not matter)
        card_pin (None | str | Unset): The PIN the resident chose for a card an organisation gave them (4 to 6 digits);
            such a card answers 403 card_pin_required without it. Cards residents got themselves have none
    """

    card_token: str
    card_pin: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        card_token = self.card_token

        card_pin: None | str | Unset
        if isinstance(self.card_pin, Unset):
            card_pin = UNSET
        else:
            card_pin = self.card_pin

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "card_token": card_token,
            }
        )
        if card_pin is not UNSET:
            field_dict["card_pin"] = card_pin

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        card_token = d.pop("card_token")

        def _parse_card_pin(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        card_pin = _parse_card_pin(d.pop("card_pin", UNSET))

        card_in = cls(
            card_token=card_token,
            card_pin=card_pin,
        )

        return card_in
