from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.organisation_in_sector import OrganisationInSector
from ..types import UNSET, Unset

T = TypeVar("T", bound="OrganisationIn")


@_attrs_define
class OrganisationIn:
    """
    Attributes:
        kind (str): council, nhs, school, police, housing, charity, community_group, faith_group, social_enterprise,
            business, market, research, …
        name (str):
        sector (OrganisationInSector):
        area_code (None | str | Unset):
    """

    kind: str
    name: str
    sector: OrganisationInSector
    area_code: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind

        name = self.name

        sector = self.sector.value

        area_code: None | str | Unset
        if isinstance(self.area_code, Unset):
            area_code = UNSET
        else:
            area_code = self.area_code

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "name": name,
                "sector": sector,
            }
        )
        if area_code is not UNSET:
            field_dict["area_code"] = area_code

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kind = d.pop("kind")

        name = d.pop("name")

        sector = OrganisationInSector(d.pop("sector"))

        def _parse_area_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        area_code = _parse_area_code(d.pop("area_code", UNSET))

        organisation_in = cls(
            kind=kind,
            name=name,
            sector=sector,
            area_code=area_code,
        )

        return organisation_in
