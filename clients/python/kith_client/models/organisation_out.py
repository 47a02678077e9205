from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.organisation_out_sector import OrganisationOutSector

T = TypeVar("T", bound="OrganisationOut")


@_attrs_define
class OrganisationOut:
    """
    Attributes:
        area_code (None | str):
        created_at (datetime.datetime):
        id (UUID):
        kind (str):
        name (str):
        records_consent (bool): The platform trusts it to record consent: grants it records count at once, without the
            resident's confirmation
        sector (OrganisationOutSector):
        verifies_identity (bool): The platform trusts what it marks verified (sign-in, deterministic matching)
    """

    area_code: None | str
    created_at: datetime.datetime
    id: UUID
    kind: str
    name: str
    records_consent: bool
    sector: OrganisationOutSector
    verifies_identity: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        area_code: None | str
        area_code = self.area_code

        created_at = self.created_at.isoformat()

        id = str(self.id)

        kind = self.kind

        name = self.name

        records_consent = self.records_consent

        sector = self.sector.value

        verifies_identity = self.verifies_identity

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "area_code": area_code,
                "created_at": created_at,
                "id": id,
                "kind": kind,
                "name": name,
                "records_consent": records_consent,
                "sector": sector,
                "verifies_identity": verifies_identity,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_area_code(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        area_code = _parse_area_code(d.pop("area_code"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        kind = d.pop("kind")

        name = d.pop("name")

        records_consent = d.pop("records_consent")

        sector = OrganisationOutSector(d.pop("sector"))

        verifies_identity = d.pop("verifies_identity")

        organisation_out = cls(
            area_code=area_code,
            created_at=created_at,
            id=id,
            kind=kind,
            name=name,
            records_consent=records_consent,
            sector=sector,
            verifies_identity=verifies_identity,
        )

        organisation_out.additional_properties = d
        return organisation_out

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
