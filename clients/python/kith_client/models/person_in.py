from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.person_in_verified_item import PersonInVerifiedItem
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.address_in import AddressIn
    from ..models.grant_in import GrantIn


T = TypeVar("T", bound="PersonIn")


@_attrs_define
class PersonIn:
    """
    Attributes:
        address (AddressIn | None | Unset):
        consent (GrantIn | None | Unset): A consent grant the organisation captured from the resident at the same time
        date_of_birth (datetime.date | None | Unset):
        email (None | str | Unset):
        external_ref (None | str | Unset): The organisation's own reference; unique per organisation
        family_name (None | str | Unset):
        given_name (None | str | Unset):
        phone (None | str | Unset):
        preferred_name (None | str | Unset):
        uprn (None | str | Unset):
        verified (list[PersonInVerifiedItem] | Unset): Attributes the organisation has verified (e.g. an email it
            confirmed). Believed only from organisations the platform trusts to verify identity; from any other the values
            are kept as ordinary claims
    """

    address: AddressIn | None | Unset = UNSET
    consent: GrantIn | None | Unset = UNSET
    date_of_birth: datetime.date | None | Unset = UNSET
    email: None | str | Unset = UNSET
    external_ref: None | str | Unset = UNSET
    family_name: None | str | Unset = UNSET
    given_name: None | str | Unset = UNSET
    phone: None | str | Unset = UNSET
    preferred_name: None | str | Unset = UNSET
    uprn: None | str | Unset = UNSET
    verified: list[PersonInVerifiedItem] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.address_in import AddressIn  # noqa: PLC0415
        from ..models.grant_in import GrantIn  # noqa: PLC0415

        address: dict[str, Any] | None | Unset
        if isinstance(self.address, Unset):
            address = UNSET
        elif isinstance(self.address, AddressIn):
            address = self.address.to_dict()
        else:
            address = self.address

        consent: dict[str, Any] | None | Unset
        if isinstance(self.consent, Unset):
            consent = UNSET
        elif isinstance(self.consent, GrantIn):
            consent = self.consent.to_dict()
        else:
            consent = self.consent

        date_of_birth: None | str | Unset
        if isinstance(self.date_of_birth, Unset):
            date_of_birth = UNSET
        elif isinstance(self.date_of_birth, datetime.date):
            date_of_birth = self.date_of_birth.isoformat()
        else:
            date_of_birth = self.date_of_birth

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        external_ref: None | str | Unset
        if isinstance(self.external_ref, Unset):
            external_ref = UNSET
        else:
            external_ref = self.external_ref

        family_name: None | str | Unset
        if isinstance(self.family_name, Unset):
            family_name = UNSET
        else:
            family_name = self.family_name

        given_name: None | str | Unset
        if isinstance(self.given_name, Unset):
            given_name = UNSET
        else:
            given_name = self.given_name

        phone: None | str | Unset
        if isinstance(self.phone, Unset):
            phone = UNSET
        else:
            phone = self.phone

        preferred_name: None | str | Unset
        if isinstance(self.preferred_name, Unset):
            preferred_name = UNSET
        else:
            preferred_name = self.preferred_name

        uprn: None | str | Unset
        if isinstance(self.uprn, Unset):
            uprn = UNSET
        else:
            uprn = self.uprn

        verified: list[str] | Unset = UNSET
        if not isinstance(self.verified, Unset):
            verified = []
            for verified_item_data in self.verified:
                verified_item = verified_item_data.value
                verified.append(verified_item)

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if address is not UNSET:
            field_dict["address"] = address
        if consent is not UNSET:
            field_dict["consent"] = consent
        if date_of_birth is not UNSET:
            field_dict["date_of_birth"] = date_of_birth
        if email is not UNSET:
            field_dict["email"] = email
        if external_ref is not UNSET:
            field_dict["external_ref"] = external_ref
        if family_name is not UNSET:
            field_dict["family_name"] = family_name
        if given_name is not UNSET:
            field_dict["given_name"] = given_name
        if phone is not UNSET:
            field_dict["phone"] = phone
        if preferred_name is not UNSET:
            field_dict["preferred_name"] = preferred_name
        if uprn is not UNSET:
            field_dict["uprn"] = uprn
        if verified is not UNSET:
            field_dict["verified"] = verified

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.address_in import AddressIn  # noqa: PLC0415
        from ..models.grant_in import GrantIn  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_address(data: object) -> AddressIn | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                address_type_0 = AddressIn.from_dict(data)

                return address_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AddressIn | None | Unset, data)

        address = _parse_address(d.pop("address", UNSET))

        def _parse_consent(data: object) -> GrantIn | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                consent_type_0 = GrantIn.from_dict(data)

                return consent_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GrantIn | None | Unset, data)

        consent = _parse_consent(d.pop("consent", UNSET))

        def _parse_date_of_birth(data: object) -> datetime.date | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                date_of_birth_type_0 = datetime.date.fromisoformat(data)

                return date_of_birth_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None | Unset, data)

        date_of_birth = _parse_date_of_birth(d.pop("date_of_birth", UNSET))

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_external_ref(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        external_ref = _parse_external_ref(d.pop("external_ref", UNSET))

        def _parse_family_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        family_name = _parse_family_name(d.pop("family_name", UNSET))

        def _parse_given_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        given_name = _parse_given_name(d.pop("given_name", UNSET))

        def _parse_phone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phone = _parse_phone(d.pop("phone", UNSET))

        def _parse_preferred_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        preferred_name = _parse_preferred_name(d.pop("preferred_name", UNSET))

        def _parse_uprn(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        uprn = _parse_uprn(d.pop("uprn", UNSET))

        _verified = d.pop("verified", UNSET)
        verified: list[PersonInVerifiedItem] | Unset = UNSET
        if _verified is not UNSET:
            verified = []
            for verified_item_data in _verified:
                verified_item = PersonInVerifiedItem(verified_item_data)

                verified.append(verified_item)

        person_in = cls(
            address=address,
            consent=consent,
            date_of_birth=date_of_birth,
            email=email,
            external_ref=external_ref,
            family_name=family_name,
            given_name=given_name,
            phone=phone,
            preferred_name=preferred_name,
            uprn=uprn,
            verified=verified,
        )

        return person_in
