from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.field_warning import FieldWarning
    from ..models.grant_out import GrantOut
    from ..models.resolution import Resolution


T = TypeVar("T", bound="PersonCreated")


@_attrs_define
class PersonCreated:
    """
    Attributes:
        person_id (UUID): The organisation's own id for this person
        resolution (Resolution):
        consent (GrantOut | None | Unset): The grant recorded with the registration, if any
        warnings (list[FieldWarning] | Unset): Values left out of the record, the rest kept: a phone number the
            validator refuses, an implausible date of birth (in the future, or more than 120 years ago)
    """

    person_id: UUID
    resolution: Resolution
    consent: GrantOut | None | Unset = UNSET
    warnings: list[FieldWarning] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.grant_out import GrantOut  # noqa: PLC0415

        person_id = str(self.person_id)

        resolution = self.resolution.to_dict()

        consent: dict[str, Any] | None | Unset
        if isinstance(self.consent, Unset):
            consent = UNSET
        elif isinstance(self.consent, GrantOut):
            consent = self.consent.to_dict()
        else:
            consent = self.consent

        warnings: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.warnings, Unset):
            warnings = []
            for warnings_item_data in self.warnings:
                warnings_item = warnings_item_data.to_dict()
                warnings.append(warnings_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "person_id": person_id,
                "resolution": resolution,
            }
        )
        if consent is not UNSET:
            field_dict["consent"] = consent
        if warnings is not UNSET:
            field_dict["warnings"] = warnings

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.field_warning import FieldWarning  # noqa: PLC0415
        from ..models.grant_out import GrantOut  # noqa: PLC0415
        from ..models.resolution import Resolution  # noqa: PLC0415

        d = dict(src_dict)
        person_id = UUID(d.pop("person_id"))

        resolution = Resolution.from_dict(d.pop("resolution"))

        def _parse_consent(data: object) -> GrantOut | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                consent_type_0 = GrantOut.from_dict(data)

                return consent_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GrantOut | None | Unset, data)

        consent = _parse_consent(d.pop("consent", UNSET))

        _warnings = d.pop("warnings", UNSET)
        warnings: list[FieldWarning] | Unset = UNSET
        if _warnings is not UNSET:
            warnings = []
            for warnings_item_data in _warnings:
                warnings_item = FieldWarning.from_dict(warnings_item_data)

                warnings.append(warnings_item)

        person_created = cls(
            person_id=person_id,
            resolution=resolution,
            consent=consent,
            warnings=warnings,
        )

        person_created.additional_properties = d
        return person_created

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
