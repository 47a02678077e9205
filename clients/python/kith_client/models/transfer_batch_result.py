from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.transfer_out import TransferOut


T = TypeVar("T", bound="TransferBatchResult")


@_attrs_define
class TransferBatchResult:
    """
    Attributes:
        index (int):
        result (str): created, exists, or why it was refused
        detail (None | str | Unset):
        transfer (None | TransferOut | Unset):
    """

    index: int
    result: str
    detail: None | str | Unset = UNSET
    transfer: None | TransferOut | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.transfer_out import TransferOut  # noqa: PLC0415

        index = self.index

        result = self.result

        detail: None | str | Unset
        if isinstance(self.detail, Unset):
            detail = UNSET
        else:
            detail = self.detail

        transfer: dict[str, Any] | None | Unset
        if isinstance(self.transfer, Unset):
            transfer = UNSET
        elif isinstance(self.transfer, TransferOut):
            transfer = self.transfer.to_dict()
        else:
            transfer = self.transfer

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "index": index,
                "result": result,
            }
        )
        if detail is not UNSET:
            field_dict["detail"] = detail
        if transfer is not UNSET:
            field_dict["transfer"] = transfer

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.transfer_out import TransferOut  # noqa: PLC0415

        d = dict(src_dict)
        index = d.pop("index")

        result = d.pop("result")

        def _parse_detail(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        detail = _parse_detail(d.pop("detail", UNSET))

        def _parse_transfer(data: object) -> None | TransferOut | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                transfer_type_0 = TransferOut.from_dict(data)

                return transfer_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TransferOut | Unset, data)

        transfer = _parse_transfer(d.pop("transfer", UNSET))

        transfer_batch_result = cls(
            index=index,
            result=result,
            detail=detail,
            transfer=transfer,
        )

        transfer_batch_result.additional_properties = d
        return transfer_batch_result

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
