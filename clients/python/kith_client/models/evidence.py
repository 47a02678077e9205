from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.evidence_kind import EvidenceKind

T = TypeVar("T", bound="Evidence")


@_attrs_define
class Evidence:
    """
    Attributes:
        kind (EvidenceKind):
        reference (str): Where the evidence is kept
    """

    kind: EvidenceKind
    reference: str

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        reference = self.reference

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "reference": reference,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kind = EvidenceKind(d.pop("kind"))

        reference = d.pop("reference")

        evidence = cls(
            kind=kind,
            reference=reference,
        )

        return evidence
