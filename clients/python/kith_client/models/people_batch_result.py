from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.people_batch_result_status import PeopleBatchResultStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.field_warning import FieldWarning
    from ..models.people_batch_result_errors_type_0_item import PeopleBatchResultErrorsType0Item


T = TypeVar("T", bound="PeopleBatchResult")


@_attrs_define
class PeopleBatchResult:
    """
    Attributes:
        index (int):
        status (PeopleBatchResultStatus): As in POST /v1/people, or rejected (see errors)
        consent_id (None | Unset | UUID):
        errors (list[PeopleBatchResultErrorsType0Item] | None | Unset):
        person_id (None | Unset | UUID):
        reason (Literal['external_ref_conflict'] | None | Unset): Why a record is held for review, when not as a
            possible match: external_ref_conflict — the external_ref names a record of this organisation whose given name
            and date of birth both clearly differ from these. That record is left as it was (nothing overwritten); this one
            is a new person (person_id) held for the organisation's reviewers beside it. Check the reference: post the
            record again with the right one, or let the review decide whether they are one person
        warnings (list[FieldWarning] | None | Unset): Values left out of the record, the rest kept: a phone number the
            validator refuses, an implausible date of birth (in the future, or more than 120 years ago)
    """

    index: int
    status: PeopleBatchResultStatus
    consent_id: None | Unset | UUID = UNSET
    errors: list[PeopleBatchResultErrorsType0Item] | None | Unset = UNSET
    person_id: None | Unset | UUID = UNSET
    reason: Literal["external_ref_conflict"] | None | Unset = UNSET
    warnings: list[FieldWarning] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        index = self.index

        status = self.status.value

        consent_id: None | str | Unset
        if isinstance(self.consent_id, Unset):
            consent_id = UNSET
        elif isinstance(self.consent_id, UUID):
            consent_id = str(self.consent_id)
        else:
            consent_id = self.consent_id

        errors: list[dict[str, Any]] | None | Unset
        if isinstance(self.errors, Unset):
            errors = UNSET
        elif isinstance(self.errors, list):
            errors = []
            for errors_type_0_item_data in self.errors:
                errors_type_0_item = errors_type_0_item_data.to_dict()
                errors.append(errors_type_0_item)

        else:
            errors = self.errors

        person_id: None | str | Unset
        if isinstance(self.person_id, Unset):
            person_id = UNSET
        elif isinstance(self.person_id, UUID):
            person_id = str(self.person_id)
        else:
            person_id = self.person_id

        reason: Literal["external_ref_conflict"] | None | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        warnings: list[dict[str, Any]] | None | Unset
        if isinstance(self.warnings, Unset):
            warnings = UNSET
        elif isinstance(self.warnings, list):
            warnings = []
            for warnings_type_0_item_data in self.warnings:
                warnings_type_0_item = warnings_type_0_item_data.to_dict()
                warnings.append(warnings_type_0_item)

        else:
            warnings = self.warnings

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "index": index,
                "status": status,
            }
        )
        if consent_id is not UNSET:
            field_dict["consent_id"] = consent_id
        if errors is not UNSET:
            field_dict["errors"] = errors
        if person_id is not UNSET:
            field_dict["person_id"] = person_id
        if reason is not UNSET:
            field_dict["reason"] = reason
        if warnings is not UNSET:
            field_dict["warnings"] = warnings

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.field_warning import FieldWarning  # noqa: PLC0415
        from ..models.people_batch_result_errors_type_0_item import PeopleBatchResultErrorsType0Item  # noqa: PLC0415

        d = dict(src_dict)
        index = d.pop("index")

        status = PeopleBatchResultStatus(d.pop("status"))

        def _parse_consent_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                consent_id_type_0 = UUID(data)

                return consent_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        consent_id = _parse_consent_id(d.pop("consent_id", UNSET))

        def _parse_errors(data: object) -> list[PeopleBatchResultErrorsType0Item] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                errors_type_0 = []
                _errors_type_0 = data
                for errors_type_0_item_data in _errors_type_0:
                    errors_type_0_item = PeopleBatchResultErrorsType0Item.from_dict(errors_type_0_item_data)

                    errors_type_0.append(errors_type_0_item)

                return errors_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[PeopleBatchResultErrorsType0Item] | None | Unset, data)

        errors = _parse_errors(d.pop("errors", UNSET))

        def _parse_person_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                person_id_type_0 = UUID(data)

                return person_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        person_id = _parse_person_id(d.pop("person_id", UNSET))

        def _parse_reason(data: object) -> Literal["external_ref_conflict"] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            reason_type_0 = cast(Literal["external_ref_conflict"], data)
            if reason_type_0 != "external_ref_conflict":
                raise ValueError(f"reason_type_0 must match const 'external_ref_conflict', got '{reason_type_0}'")
            return reason_type_0
            return cast(Literal["external_ref_conflict"] | None | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        def _parse_warnings(data: object) -> list[FieldWarning] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                warnings_type_0 = []
                _warnings_type_0 = data
                for warnings_type_0_item_data in _warnings_type_0:
                    warnings_type_0_item = FieldWarning.from_dict(warnings_type_0_item_data)

                    warnings_type_0.append(warnings_type_0_item)

                return warnings_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[FieldWarning] | None | Unset, data)

        warnings = _parse_warnings(d.pop("warnings", UNSET))

        people_batch_result = cls(
            index=index,
            status=status,
            consent_id=consent_id,
            errors=errors,
            person_id=person_id,
            reason=reason,
            warnings=warnings,
        )

        people_batch_result.additional_properties = d
        return people_batch_result

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
