from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.relationship_in_type import RelationshipInType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.evidence import Evidence


T = TypeVar("T", bound="RelationshipIn")


@_attrs_define
class RelationshipIn:
    """
    Attributes:
        started_on (datetime.date):
        type_ (RelationshipInType): person↔organisation: member, volunteer, customer, client, employee; person↔person:
            family, neighbour, friend, carer; organisation↔organisation: partner, supplier, funder, referral_route
        ended_on (datetime.date | None | Unset):
        evidence (Evidence | None | Unset): person↔person: the consent of the resident who told the organisation
        organisation_id (None | Unset | UUID): person↔organisation: the organisation (default: the caller)
        other_organisation_id (None | Unset | UUID): organisation↔organisation: the other one
        other_person_id (None | Unset | UUID): person↔person: the other person (own id)
        person_id (None | Unset | UUID): The organisation's own id for the person
    """

    started_on: datetime.date
    type_: RelationshipInType
    ended_on: datetime.date | None | Unset = UNSET
    evidence: Evidence | None | Unset = UNSET
    organisation_id: None | Unset | UUID = UNSET
    other_organisation_id: None | Unset | UUID = UNSET
    other_person_id: None | Unset | UUID = UNSET
    person_id: None | Unset | UUID = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.evidence import Evidence  # noqa: PLC0415

        started_on = self.started_on.isoformat()

        type_ = self.type_.value

        ended_on: None | str | Unset
        if isinstance(self.ended_on, Unset):
            ended_on = UNSET
        elif isinstance(self.ended_on, datetime.date):
            ended_on = self.ended_on.isoformat()
        else:
            ended_on = self.ended_on

        evidence: dict[str, Any] | None | Unset
        if isinstance(self.evidence, Unset):
            evidence = UNSET
        elif isinstance(self.evidence, Evidence):
            evidence = self.evidence.to_dict()
        else:
            evidence = self.evidence

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

        field_dict.update(
            {
                "started_on": started_on,
                "type": type_,
            }
        )
        if ended_on is not UNSET:
            field_dict["ended_on"] = ended_on
        if evidence is not UNSET:
            field_dict["evidence"] = evidence
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
        from ..models.evidence import Evidence  # noqa: PLC0415

        d = dict(src_dict)
        started_on = datetime.date.fromisoformat(d.pop("started_on"))

        type_ = RelationshipInType(d.pop("type"))

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

        def _parse_evidence(data: object) -> Evidence | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                evidence_type_0 = Evidence.from_dict(data)

                return evidence_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Evidence | None | Unset, data)

        evidence = _parse_evidence(d.pop("evidence", UNSET))

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

        relationship_in = cls(
            started_on=started_on,
            type_=type_,
            ended_on=ended_on,
            evidence=evidence,
            organisation_id=organisation_id,
            other_organisation_id=other_organisation_id,
            other_person_id=other_person_id,
            person_id=person_id,
        )

        return relationship_in
