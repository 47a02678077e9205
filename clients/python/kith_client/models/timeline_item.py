from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.timeline_item_attributes_type_0 import TimelineItemAttributesType0


T = TypeVar("T", bound="TimelineItem")


@_attrs_define
class TimelineItem:
    """
    Attributes:
        id (UUID):
        kind (str):
        occurred_at (datetime.datetime):
        organisation (str): Who logged it
        own (bool): Logged by the calling organisation
        source_sector (str):
        area_code (None | str | Unset):
        attributes (None | TimelineItemAttributesType0 | Unset):
        channel (None | str | Unset):
        duration_minutes (int | None | Unset):
        external_id (None | str | Unset): The caller's own id (its own interactions only)
        value_pence (int | None | Unset):
    """

    id: UUID
    kind: str
    occurred_at: datetime.datetime
    organisation: str
    own: bool
    source_sector: str
    area_code: None | str | Unset = UNSET
    attributes: None | TimelineItemAttributesType0 | Unset = UNSET
    channel: None | str | Unset = UNSET
    duration_minutes: int | None | Unset = UNSET
    external_id: None | str | Unset = UNSET
    value_pence: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.timeline_item_attributes_type_0 import TimelineItemAttributesType0  # noqa: PLC0415

        id = str(self.id)

        kind = self.kind

        occurred_at = self.occurred_at.isoformat()

        organisation = self.organisation

        own = self.own

        source_sector = self.source_sector

        area_code: None | str | Unset
        if isinstance(self.area_code, Unset):
            area_code = UNSET
        else:
            area_code = self.area_code

        attributes: dict[str, Any] | None | Unset
        if isinstance(self.attributes, Unset):
            attributes = UNSET
        elif isinstance(self.attributes, TimelineItemAttributesType0):
            attributes = self.attributes.to_dict()
        else:
            attributes = self.attributes

        channel: None | str | Unset
        if isinstance(self.channel, Unset):
            channel = UNSET
        else:
            channel = self.channel

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
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "kind": kind,
                "occurred_at": occurred_at,
                "organisation": organisation,
                "own": own,
                "source_sector": source_sector,
            }
        )
        if area_code is not UNSET:
            field_dict["area_code"] = area_code
        if attributes is not UNSET:
            field_dict["attributes"] = attributes
        if channel is not UNSET:
            field_dict["channel"] = channel
        if duration_minutes is not UNSET:
            field_dict["duration_minutes"] = duration_minutes
        if external_id is not UNSET:
            field_dict["external_id"] = external_id
        if value_pence is not UNSET:
            field_dict["value_pence"] = value_pence

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.timeline_item_attributes_type_0 import TimelineItemAttributesType0  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        kind = d.pop("kind")

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        organisation = d.pop("organisation")

        own = d.pop("own")

        source_sector = d.pop("source_sector")

        def _parse_area_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        area_code = _parse_area_code(d.pop("area_code", UNSET))

        def _parse_attributes(data: object) -> None | TimelineItemAttributesType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                attributes_type_0 = TimelineItemAttributesType0.from_dict(data)

                return attributes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TimelineItemAttributesType0 | Unset, data)

        attributes = _parse_attributes(d.pop("attributes", UNSET))

        def _parse_channel(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        channel = _parse_channel(d.pop("channel", UNSET))

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

        timeline_item = cls(
            id=id,
            kind=kind,
            occurred_at=occurred_at,
            organisation=organisation,
            own=own,
            source_sector=source_sector,
            area_code=area_code,
            attributes=attributes,
            channel=channel,
            duration_minutes=duration_minutes,
            external_id=external_id,
            value_pence=value_pence,
        )

        timeline_item.additional_properties = d
        return timeline_item

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
