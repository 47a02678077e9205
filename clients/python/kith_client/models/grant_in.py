from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.grant_in_categories_item import GrantInCategoriesItem
from ..models.grant_in_purpose import GrantInPurpose
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.evidence import Evidence


T = TypeVar("T", bound="GrantIn")


@_attrs_define
class GrantIn:
    """
    Attributes:
        categories (list[GrantInCategoriesItem]):
        purpose (GrantInPurpose):
        evidence (Evidence | None | Unset): Required: how the resident's consent was given
        expires_at (datetime.datetime | None | Unset): When the grant lapses; unset: until withdrawn
        method (str | Unset): recorded_by_org: the organisation records consent the resident gave it, with evidence. It
            opens other organisations' data once the resident confirms it (they are sent a link), or at once if the platform
            trusts the organisation to record consent. The portal records residents' own grants, and resolving a resident's
            card records a card_presented one. Default: 'recorded_by_org'.
    """

    categories: list[GrantInCategoriesItem]
    purpose: GrantInPurpose
    evidence: Evidence | None | Unset = UNSET
    expires_at: datetime.datetime | None | Unset = UNSET
    method: str | Unset = "recorded_by_org"

    def to_dict(self) -> dict[str, Any]:
        from ..models.evidence import Evidence  # noqa: PLC0415

        categories = []
        for categories_item_data in self.categories:
            categories_item = categories_item_data.value
            categories.append(categories_item)

        purpose = self.purpose.value

        evidence: dict[str, Any] | None | Unset
        if isinstance(self.evidence, Unset):
            evidence = UNSET
        elif isinstance(self.evidence, Evidence):
            evidence = self.evidence.to_dict()
        else:
            evidence = self.evidence

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        method = self.method

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "categories": categories,
                "purpose": purpose,
            }
        )
        if evidence is not UNSET:
            field_dict["evidence"] = evidence
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if method is not UNSET:
            field_dict["method"] = method

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.evidence import Evidence  # noqa: PLC0415

        d = dict(src_dict)
        categories = []
        _categories = d.pop("categories")
        for categories_item_data in _categories:
            categories_item = GrantInCategoriesItem(categories_item_data)

            categories.append(categories_item)

        purpose = GrantInPurpose(d.pop("purpose"))

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

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        method = d.pop("method", UNSET)

        grant_in = cls(
            categories=categories,
            purpose=purpose,
            evidence=evidence,
            expires_at=expires_at,
            method=method,
        )

        return grant_in
