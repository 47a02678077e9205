from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ClaimOut")


@_attrs_define
class ClaimOut:
    """
    Attributes:
        asserted_at (datetime.datetime):
        source_sector (str): public, social, commercial or resident
        value (Any):
        verified (bool):
    """

    asserted_at: datetime.datetime
    source_sector: str
    value: Any
    verified: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        asserted_at = self.asserted_at.isoformat()

        source_sector = self.source_sector

        value = self.value

        verified = self.verified

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "asserted_at": asserted_at,
                "source_sector": source_sector,
                "value": value,
                "verified": verified,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        asserted_at = datetime.datetime.fromisoformat(d.pop("asserted_at"))

        source_sector = d.pop("source_sector")

        value = d.pop("value")

        verified = d.pop("verified")

        claim_out = cls(
            asserted_at=asserted_at,
            source_sector=source_sector,
            value=value,
            verified=verified,
        )

        claim_out.additional_properties = d
        return claim_out

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
