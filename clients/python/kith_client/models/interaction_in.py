from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.interaction_in_kind import InteractionInKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.interaction_in_attributes_type_0 import InteractionInAttributesType0


T = TypeVar("T", bound="InteractionIn")


@_attrs_define
class InteractionIn:
    """
    Attributes:
        kind (InteractionInKind):
        occurred_at (datetime.datetime): When it happened, with its time zone
        person_id (UUID): The organisation's own id for the person
        area_code (None | str | Unset):
        attributes (InteractionInAttributesType0 | None | Unset): Small JSON object, at most 4 KiB
        channel (None | str | Unset):
        counterpart_org_id (None | Unset | UUID): A referral's receiving organisation
        duration_minutes (int | None | Unset): Volunteering time
        external_id (None | str | Unset): The organisation's own id; re-posting it is idempotent
        value_pence (int | None | Unset): A purchase's value
    """

    kind: InteractionInKind
    occurred_at: datetime.datetime
    person_id: UUID
    area_code: None | str | Unset = UNSET
    attributes: InteractionInAttributesType0 | None | Unset = UNSET
    channel: None | str | Unset = UNSET
    counterpart_org_id: None | Unset | UUID = UNSET
    duration_minutes: int | None | Unset = UNSET
    external_id: None | str | Unset = UNSET
    value_pence: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.interaction_in_attributes_type_0 import InteractionInAttributesType0  # noqa: PLC0415

        kind = self.kind.value

        occurred_at = self.occurred_at.isoformat()

        person_id = str(self.person_id)

        area_code: None | str | Unset
        if isinstance(self.area_code, Unset):
            area_code = UNSET
        else:
            area_code = self.area_code

        attributes: dict[str, Any] | None | Unset
        if isinstance(self.attributes, Unset):
            attributes = UNSET
        elif isinstance(self.attributes, InteractionInAttributesType0):
            attributes = self.attributes.to_dict()
        else:
            attributes = self.attributes

        channel: None | str | Unset
        if isinstance(self.channel, Unset):
            channel = UNSET
        else:
            channel = self.channel

        counterpart_org_id: None | str | Unset
        if isinstance(self.counterpart_org_id, Unset):
            counterpart_org_id = UNSET
        elif isinstance(self.counterpart_org_id, UUID):
            counterpart_org_id = str(self.counterpart_org_id)
        else:
            counterpart_org_id = self.counterpart_org_id

        duration_minutes: int | None | Unset
        if isinstance(self.duration_minutes, Unset):
            duration_minutes = UNSET
        else:
            duration_minutes = self.duration_minutes

        external_id: None | str | Unset
        if isinstance(self.external_id, Unset):
            external_id = UNSET
        else:
            external_id = self.external_id

        value_pence: int | None | Unset
        if isinstance(self.value_pence, Unset):
            value_pence = UNSET
        else:
            value_pence = self.value_pence

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "occurred_at": occurred_at,
                "person_id": person_id,
            }
        )
        if area_code is not UNSET:
            field_dict["area_code"] = area_code
        if attributes is not UNSET:
            field_dict["attributes"] = attributes
        if channel is not UNSET:
            field_dict["channel"] = channel
        if counterpart_org_id is not UNSET:
            field_dict["counterpart_org_id"] = counterpart_org_id
        if duration_minutes is not UNSET:
            field_dict["duration_minutes"] = duration_minutes
        if external_id is not UNSET:
            field_dict["external_id"] = external_id
        if value_pence is not UNSET:
            field_dict["value_pence"] = value_pence

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.interaction_in_attributes_type_0 import InteractionInAttributesType0  # noqa: PLC0415

        d = dict(src_dict)
        kind = InteractionInKind(d.pop("kind"))

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        person_id = UUID(d.pop("person_id"))

        def _parse_area_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        area_code = _parse_area_code(d.pop("area_code", UNSET))

        def _parse_attributes(data: object) -> InteractionInAttributesType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                attributes_type_0 = InteractionInAttributesType0.from_dict(data)

                return attributes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(InteractionInAttributesType0 | None | Unset, data)

        attributes = _parse_attributes(d.pop("attributes", UNSET))

        def _parse_channel(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        channel = _parse_channel(d.pop("channel", UNSET))

        def _parse_counterpart_org_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                counterpart_org_id_type_0 = UUID(data)

                return counterpart_org_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        counterpart_org_id = _parse_counterpart_org_id(d.pop("counterpart_org_id", UNSET))

        def _parse_duration_minutes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        duration_minutes = _parse_duration_minutes(d.pop("duration_minutes", UNSET))

        def _parse_external_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        external_id = _parse_external_id(d.pop("external_id", UNSET))

        def _parse_value_pence(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        value_pence = _parse_value_pence(d.pop("value_pence", UNSET))

        interaction_in = cls(
            kind=kind,
            occurred_at=occurred_at,
            person_id=person_id,
            area_code=area_code,
            attributes=attributes,
            channel=channel,
            counterpart_org_id=counterpart_org_id,
            duration_minutes=duration_minutes,
            external_id=external_id,
            value_pence=value_pence,
        )

        return interaction_in
