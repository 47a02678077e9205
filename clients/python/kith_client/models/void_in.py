from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from uuid import UUID






T = TypeVar("T", bound="VoidIn")



@_attrs_define
class VoidIn:
    """ 
        Attributes:
            id (UUID): The id of the voiding transfer (idempotency key)
     """

    id: UUID





    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "id": id,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))




        void_in = cls(
            id=id,
        )

        return void_in

