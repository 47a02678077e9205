from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.redeemed_phase import RedeemedPhase
from ..models.redeemed_status import RedeemedStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.redeemed_metadata_type_0 import RedeemedMetadataType0


T = TypeVar("T", bound="Redeemed")


@_attrs_define
class Redeemed:
    """
    Attributes:
        amount (int):
        code (str):
        created_at (datetime.datetime):
        credit_account_id (UUID): The organisation's own accounts and every pool under their ids; any other account (a
            resident's wallet, another organisation's) under an id of this organisation's own
        debit_account_id (UUID): The organisation's own accounts and every pool under their ids; any other account (a
            resident's wallet, another organisation's) under an id of this organisation's own
        id (UUID): The id the organisation chose; a transfer another made has an id of this organisation's own (ids are
            never shared between organisations)
        person_id (UUID):
        phase (RedeemedPhase):
        status (RedeemedStatus):
        metadata (None | RedeemedMetadataType0 | Unset):
        pending_id (None | Unset | UUID): The hold a post or void ends, in the same terms as id
        timeout_at (datetime.datetime | None | Unset):
    """

    amount: int
    code: str
    created_at: datetime.datetime
    credit_account_id: UUID
    debit_account_id: UUID
    id: UUID
    person_id: UUID
    phase: RedeemedPhase
    status: RedeemedStatus
    metadata: None | RedeemedMetadataType0 | Unset = UNSET
    pending_id: None | Unset | UUID = UNSET
    timeout_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.redeemed_metadata_type_0 import RedeemedMetadataType0  # noqa: PLC0415

        amount = self.amount

        code = self.code

        created_at = self.created_at.isoformat()

        credit_account_id = str(self.credit_account_id)

        debit_account_id = str(self.debit_account_id)

        id = str(self.id)

        person_id = str(self.person_id)

        phase = self.phase.value

        status = self.status.value

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, RedeemedMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        pending_id: None | str | Unset
        if isinstance(self.pending_id, Unset):
            pending_id = UNSET
        elif isinstance(self.pending_id, UUID):
            pending_id = str(self.pending_id)
        else:
            pending_id = self.pending_id

        timeout_at: None | str | Unset
        if isinstance(self.timeout_at, Unset):
            timeout_at = UNSET
        elif isinstance(self.timeout_at, datetime.datetime):
            timeout_at = self.timeout_at.isoformat()
        else:
            timeout_at = self.timeout_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "amount": amount,
                "code": code,
                "created_at": created_at,
                "credit_account_id": credit_account_id,
                "debit_account_id": debit_account_id,
                "id": id,
                "person_id": person_id,
                "phase": phase,
                "status": status,
            }
        )
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if pending_id is not UNSET:
            field_dict["pending_id"] = pending_id
        if timeout_at is not UNSET:
            field_dict["timeout_at"] = timeout_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.redeemed_metadata_type_0 import RedeemedMetadataType0  # noqa: PLC0415

        d = dict(src_dict)
        amount = d.pop("amount")

        code = d.pop("code")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        credit_account_id = UUID(d.pop("credit_account_id"))

        debit_account_id = UUID(d.pop("debit_account_id"))

        id = UUID(d.pop("id"))

        person_id = UUID(d.pop("person_id"))

        phase = RedeemedPhase(d.pop("phase"))

        status = RedeemedStatus(d.pop("status"))

        def _parse_metadata(data: object) -> None | RedeemedMetadataType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = RedeemedMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RedeemedMetadataType0 | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        def _parse_pending_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                pending_id_type_0 = UUID(data)

                return pending_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        pending_id = _parse_pending_id(d.pop("pending_id", UNSET))

        def _parse_timeout_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                timeout_at_type_0 = datetime.datetime.fromisoformat(data)

                return timeout_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        timeout_at = _parse_timeout_at(d.pop("timeout_at", UNSET))

        redeemed = cls(
            amount=amount,
            code=code,
            created_at=created_at,
            credit_account_id=credit_account_id,
            debit_account_id=debit_account_id,
            id=id,
            person_id=person_id,
            phase=phase,
            status=status,
            metadata=metadata,
            pending_id=pending_id,
            timeout_at=timeout_at,
        )

        redeemed.additional_properties = d
        return redeemed

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
