from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.resolution_status import ResolutionStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="Resolution")


@_attrs_define
class Resolution:
    """
    Attributes:
        status (ResolutionStatus): Of the organisation's own records only: created (a person new to the organisation,
            whether or not another organisation knows them), matched (one of its own people) or review (possibly one of its
            own people, held for its own reviewers)
        reason (Literal['external_ref_conflict'] | None | Unset): Why a record is held for review, when not as a
            possible match: external_ref_conflict — the external_ref names a record of this organisation whose given name
            and date of birth both clearly differ from these. That record is left as it was (nothing overwritten); this one
            is a new person (person_id) held for the organisation's reviewers beside it. Check the reference: post the
            record again with the right one, or let the review decide whether they are one person
    """

    status: ResolutionStatus
    reason: Literal["external_ref_conflict"] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        reason: Literal["external_ref_conflict"] | None | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = ResolutionStatus(d.pop("status"))

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

        resolution = cls(
            status=status,
            reason=reason,
        )

        resolution.additional_properties = d
        return resolution

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
