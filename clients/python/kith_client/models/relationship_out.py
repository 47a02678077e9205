from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.relationship_out_kind import RelationshipOutKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="RelationshipOut")


@_attrs_define
class RelationshipOut:
    """
    Attributes:
        created_at (datetime.datetime):
        id (UUID):
        kind (RelationshipOutKind):
        recorded_by_you (bool):
        started_on (datetime.date):
        type_ (str):
        ended_on (datetime.date | None | Unset):
        organisation_id (None | Unset | UUID):
        other_organisation_id (None | Unset | UUID):
        other_person_id (None | Unset | UUID):
        person_id (None | Unset | UUID): Your id for the person (null where you have none)
    """

    created_at: datetime.datetime
    id: UUID
    kind: RelationshipOutKind
    recorded_by_you: bool
    started_on: datetime.date
    type_: str
    ended_on: datetime.date | None | Unset = UNSET
    organisation_id: None | Unset | UUID = UNSET
    other_organisation_id: None | Unset | UUID = UNSET
    other_person_id: None | Unset | UUID = UNSET
    person_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        id = str(self.id)

        kind = self.kind.value

        recorded_by_you = self.recorded_by_you

        started_on = self.started_on.isoformat()

        type_ = self.type_

        ended_on: None | str | Unset
        if isinstance(self.ended_on, Unset):
            ended_on = UNSET
        elif isinstance(self.ended_on, datetime.date):
            ended_on = self.ended_on.isoformat()
        else:
            ended_on = self.ended_on

        organisation_id: None | str | Unset
        if isinstance(self.organisation_id, Unset):
            organisation_id = UNSET
        elif isinstance(self.organisation_id, UUID):
            organisation_id = str(self.organisation_id)
        else:
            organisation_id = self.organisation_id

        other_organisation_id: None | str | Unset
        if isinstance(self.other_organisation_id, Unset):
            other_organisation_id = UNSET
        elif isinstance(self.other_organisation_id, UUID):
            other_organisation_id = str(self.other_organisation_id)
        else:
            other_organisation_id = self.other_organisation_id

        other_person_id: None | str | Unset
        if isinstance(self.other_person_id, Unset):
            other_person_id = UNSET
        elif isinstance(self.other_person_id, UUID):
            other_person_id = str(self.other_person_id)
        else:
            other_person_id = self.other_person_id

        person_id: None | str | Unset
        if isinstance(self.person_id, Unset):
            person_id = UNSET
        elif isinstance(self.person_id, UUID):
            person_id = str(self.person_id)
        else:
            person_id = self.person_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "kind": kind,
                "recorded_by_you": recorded_by_you,
                "started_on": started_on,
                "type": type_,
            }
        )
        if ended_on is not UNSET:
            field_dict["ended_on"] = ended_on
        if organisation_id is not UNSET:
            field_dict["organisation_id"] = organisation_id
        if other_organisation_id is not UNSET:
            field_dict["other_organisation_id"] = other_organisation_id
        if other_person_id is not UNSET:
            field_dict["other_person_id"] = other_person_id
        if person_id is not UNSET:
            field_dict["person_id"] = person_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        kind = RelationshipOutKind(d.pop("kind"))

        recorded_by_you = d.pop("recorded_by_you")

        started_on = datetime.date.fromisoformat(d.pop("started_on"))

        type_ = d.pop("type")

        def _parse_ended_on(data: object) -> datetime.date | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                ended_on_type_0 = datetime.date.fromisoformat(data)

                return ended_on_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None | Unset, data)

        ended_on = _parse_ended_on(d.pop("ended_on", UNSET))

        def _parse_organisation_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                organisation_id_type_0 = UUID(data)

                return organisation_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        organisation_id = _parse_organisation_id(d.pop("organisation_id", UNSET))

        def _parse_other_organisation_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                other_organisation_id_type_0 = UUID(data)

                return other_organisation_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        other_organisation_id = _parse_other_organisation_id(d.pop("other_organisation_id", UNSET))

        def _parse_other_person_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                other_person_id_type_0 = UUID(data)

                return other_person_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        other_person_id = _parse_other_person_id(d.pop("other_person_id", UNSET))

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

        relationship_out = cls(
            created_at=created_at,
            id=id,
            kind=kind,
            recorded_by_you=recorded_by_you,
            started_on=started_on,
            type_=type_,
            ended_on=ended_on,
            organisation_id=organisation_id,
            other_organisation_id=other_organisation_id,
            other_person_id=other_person_id,
            person_id=person_id,
        )

        relationship_out.additional_properties = d
        return relationship_out

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
