from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.grant_out_status import GrantOutStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.grant_out_evidence_type_0 import GrantOutEvidenceType0


T = TypeVar("T", bound="GrantOut")


@_attrs_define
class GrantOut:
    """
    Attributes:
        categories (list[str]):
        consent_id (UUID):
        granted_at (datetime.datetime):
        method (str):
        person_id (UUID): The organisation's own id for the person
        purpose (str):
        receipt_ids (list[UUID]): Signed receipts: the grant's, then the withdrawal's
        status (GrantOutStatus): awaiting_resident: recorded by the organisation, not yet confirmed by the resident; it
            opens nothing until they do
        confirmed_at (datetime.datetime | None | Unset): When the grant took effect
        evidence (GrantOutEvidenceType0 | None | Unset):
        expires_at (datetime.datetime | None | Unset):
        withdrawn_at (datetime.datetime | None | Unset):
    """

    categories: list[str]
    consent_id: UUID
    granted_at: datetime.datetime
    method: str
    person_id: UUID
    purpose: str
    receipt_ids: list[UUID]
    status: GrantOutStatus
    confirmed_at: datetime.datetime | None | Unset = UNSET
    evidence: GrantOutEvidenceType0 | None | Unset = UNSET
    expires_at: datetime.datetime | None | Unset = UNSET
    withdrawn_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.grant_out_evidence_type_0 import GrantOutEvidenceType0  # noqa: PLC0415

        categories = self.categories

        consent_id = str(self.consent_id)

        granted_at = self.granted_at.isoformat()

        method = self.method

        person_id = str(self.person_id)

        purpose = self.purpose

        receipt_ids = []
        for receipt_ids_item_data in self.receipt_ids:
            receipt_ids_item = str(receipt_ids_item_data)
            receipt_ids.append(receipt_ids_item)

        status = self.status.value

        confirmed_at: None | str | Unset
        if isinstance(self.confirmed_at, Unset):
            confirmed_at = UNSET
        elif isinstance(self.confirmed_at, datetime.datetime):
            confirmed_at = self.confirmed_at.isoformat()
        else:
            confirmed_at = self.confirmed_at

        evidence: dict[str, Any] | None | Unset
        if isinstance(self.evidence, Unset):
            evidence = UNSET
        elif isinstance(self.evidence, GrantOutEvidenceType0):
            evidence = self.evidence.to_dict()
        else:
            evidence = self.evidence

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        withdrawn_at: None | str | Unset
        if isinstance(self.withdrawn_at, Unset):
            withdrawn_at = UNSET
        elif isinstance(self.withdrawn_at, datetime.datetime):
            withdrawn_at = self.withdrawn_at.isoformat()
        else:
            withdrawn_at = self.withdrawn_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "categories": categories,
                "consent_id": consent_id,
                "granted_at": granted_at,
                "method": method,
                "person_id": person_id,
                "purpose": purpose,
                "receipt_ids": receipt_ids,
                "status": status,
            }
        )
        if confirmed_at is not UNSET:
            field_dict["confirmed_at"] = confirmed_at
        if evidence is not UNSET:
            field_dict["evidence"] = evidence
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if withdrawn_at is not UNSET:
            field_dict["withdrawn_at"] = withdrawn_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.grant_out_evidence_type_0 import GrantOutEvidenceType0  # noqa: PLC0415

        d = dict(src_dict)
        categories = cast(list[str], d.pop("categories"))

        consent_id = UUID(d.pop("consent_id"))

        granted_at = datetime.datetime.fromisoformat(d.pop("granted_at"))

        method = d.pop("method")

        person_id = UUID(d.pop("person_id"))

        purpose = d.pop("purpose")

        receipt_ids = []
        _receipt_ids = d.pop("receipt_ids")
        for receipt_ids_item_data in _receipt_ids:
            receipt_ids_item = UUID(receipt_ids_item_data)

            receipt_ids.append(receipt_ids_item)

        status = GrantOutStatus(d.pop("status"))

        def _parse_confirmed_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                confirmed_at_type_0 = datetime.datetime.fromisoformat(data)

                return confirmed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        confirmed_at = _parse_confirmed_at(d.pop("confirmed_at", UNSET))

        def _parse_evidence(data: object) -> GrantOutEvidenceType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                evidence_type_0 = GrantOutEvidenceType0.from_dict(data)

                return evidence_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GrantOutEvidenceType0 | None | Unset, data)

        evidence = _parse_evidence(d.pop("evidence", UNSET))

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        def _parse_withdrawn_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                withdrawn_at_type_0 = datetime.datetime.fromisoformat(data)

                return withdrawn_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        withdrawn_at = _parse_withdrawn_at(d.pop("withdrawn_at", UNSET))

        grant_out = cls(
            categories=categories,
            consent_id=consent_id,
            granted_at=granted_at,
            method=method,
            person_id=person_id,
            purpose=purpose,
            receipt_ids=receipt_ids,
            status=status,
            confirmed_at=confirmed_at,
            evidence=evidence,
            expires_at=expires_at,
            withdrawn_at=withdrawn_at,
        )

        grant_out.additional_properties = d
        return grant_out

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
