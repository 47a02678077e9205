from enum import StrEnum


class ResolutionStatus(StrEnum):
    CREATED = "created"
    MATCHED = "matched"
    REVIEW = "review"

    def __str__(self) -> str:
        return str(self.value)
