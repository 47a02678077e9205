from enum import StrEnum


class PeopleBatchResultStatus(StrEnum):
    CREATED = "created"
    MATCHED = "matched"
    REJECTED = "rejected"
    REVIEW = "review"

    def __str__(self) -> str:
        return str(self.value)
