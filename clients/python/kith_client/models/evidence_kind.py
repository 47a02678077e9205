from enum import StrEnum


class EvidenceKind(StrEnum):
    ELECTRONIC = "electronic"
    VERBAL = "verbal"
    WRITTEN = "written"

    def __str__(self) -> str:
        return str(self.value)
