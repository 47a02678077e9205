from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="TrustIn")


@_attrs_define
class TrustIn:
    """
    Attributes:
        records_consent (bool | None | Unset): Trust it to record consent (false: stop)
        verifies_identity (bool | None | Unset): Trust its verifications (false: stop)
    """

    records_consent: bool | None | Unset = UNSET
    verifies_identity: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        records_consent: bool | None | Unset
        if isinstance(self.records_consent, Unset):
            records_consent = UNSET
        else:
            records_consent = self.records_consent

        verifies_identity: bool | None | Unset
        if isinstance(self.verifies_identity, Unset):
            verifies_identity = UNSET
        else:
            verifies_identity = self.verifies_identity

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if records_consent is not UNSET:
            field_dict["records_consent"] = records_consent
        if verifies_identity is not UNSET:
            field_dict["verifies_identity"] = verifies_identity

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_records_consent(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        records_consent = _parse_records_consent(d.pop("records_consent", UNSET))

        def _parse_verifies_identity(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        verifies_identity = _parse_verifies_identity(d.pop("verifies_identity", UNSET))

        trust_in = cls(
            records_consent=records_consent,
            verifies_identity=verifies_identity,
        )

        return trust_in
