from enum import StrEnum


class ReviewOutQueue(StrEnum):
    ORGANISATION = "organisation"
    PLATFORM = "platform"

    def __str__(self) -> str:
        return str(self.value)
