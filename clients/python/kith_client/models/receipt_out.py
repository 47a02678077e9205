from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.receipt_out_event import ReceiptOutEvent

if TYPE_CHECKING:
    from ..models.receipt_out_receipt import ReceiptOutReceipt


T = TypeVar("T", bound="ReceiptOut")


@_attrs_define
class ReceiptOut:
    """
    Attributes:
        consent_id (UUID):
        event (ReceiptOutEvent):
        id (UUID):
        jws (str): The receipt signed (ES256, compact JWS) with a key in /.well-known/jwks.json
        receipt (ReceiptOutReceipt): Kantara Consent Receipt v1.1 fields
    """

    consent_id: UUID
    event: ReceiptOutEvent
    id: UUID
    jws: str
    receipt: ReceiptOutReceipt
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        consent_id = str(self.consent_id)

        event = self.event.value

        id = str(self.id)

        jws = self.jws

        receipt = self.receipt.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "consent_id": consent_id,
                "event": event,
                "id": id,
                "jws": jws,
                "receipt": receipt,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.receipt_out_receipt import ReceiptOutReceipt  # noqa: PLC0415

        d = dict(src_dict)
        consent_id = UUID(d.pop("consent_id"))

        event = ReceiptOutEvent(d.pop("event"))

        id = UUID(d.pop("id"))

        jws = d.pop("jws")

        receipt = ReceiptOutReceipt.from_dict(d.pop("receipt"))

        receipt_out = cls(
            consent_id=consent_id,
            event=event,
            id=id,
            jws=jws,
            receipt=receipt,
        )

        receipt_out.additional_properties = d
        return receipt_out

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
