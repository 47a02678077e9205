from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="CardIn")



@_attrs_define
class CardIn:
    """ 
        Attributes:
            card_token (str): The card's code as read out or scanned (XXXXX-XXXXX; case, spaces and hyphens do not matter)
     """

    card_token: str





    def to_dict(self) -> dict[str, Any]:
        card_token = self.card_token


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "card_token": card_token,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        card_token = d.pop("card_token")

        card_in = cls(
            card_token=card_token,
        )

        return card_in

