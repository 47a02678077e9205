from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.transfer_in_code import TransferInCode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.transfer_in_metadata_type_0 import TransferInMetadataType0


T = TypeVar("T", bound="TransferIn")


@_attrs_define
class TransferIn:
    """
    Attributes:
        amount (int): Whole credits, more than zero
        code (TransferInCode):
        credit_account_id (UUID): An account as the organisation was shown it; never a resident's wallet (credits reach
            one by earning)
        debit_account_id (UUID): One of the organisation's own accounts
        id (UUID): Chosen by the client: the idempotency key, within the organisation's own transfers
        metadata (None | TransferInMetadataType0 | Unset):
        pending (bool | Unset): A hold, to be posted or voided later Default: False.
        timeout_seconds (int | None | Unset): A hold voids itself after this
    """

    amount: int
    code: TransferInCode
    credit_account_id: UUID
    debit_account_id: UUID
    id: UUID
    metadata: None | TransferInMetadataType0 | Unset = UNSET
    pending: bool | Unset = False
    timeout_seconds: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.transfer_in_metadata_type_0 import TransferInMetadataType0  # noqa: PLC0415

        amount = self.amount

        code = self.code.value

        credit_account_id = str(self.credit_account_id)

        debit_account_id = str(self.debit_account_id)

        id = str(self.id)

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, TransferInMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        pending = self.pending

        timeout_seconds: int | None | Unset
        if isinstance(self.timeout_seconds, Unset):
            timeout_seconds = UNSET
        else:
            timeout_seconds = self.timeout_seconds

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "code": code,
                "credit_account_id": credit_account_id,
                "debit_account_id": debit_account_id,
                "id": id,
            }
        )
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if pending is not UNSET:
            field_dict["pending"] = pending
        if timeout_seconds is not UNSET:
            field_dict["timeout_seconds"] = timeout_seconds

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.transfer_in_metadata_type_0 import TransferInMetadataType0  # noqa: PLC0415

        d = dict(src_dict)
        amount = d.pop("amount")

        code = TransferInCode(d.pop("code"))

        credit_account_id = UUID(d.pop("credit_account_id"))

        debit_account_id = UUID(d.pop("debit_account_id"))

        id = UUID(d.pop("id"))

        def _parse_metadata(data: object) -> None | TransferInMetadataType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = TransferInMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TransferInMetadataType0 | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        pending = d.pop("pending", UNSET)

        def _parse_timeout_seconds(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        timeout_seconds = _parse_timeout_seconds(d.pop("timeout_seconds", UNSET))

        transfer_in = cls(
            amount=amount,
            code=code,
            credit_account_id=credit_account_id,
            debit_account_id=debit_account_id,
            id=id,
            metadata=metadata,
            pending=pending,
            timeout_seconds=timeout_seconds,
        )

        return transfer_in
