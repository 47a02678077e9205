from enum import StrEnum


class ListIdentityReviewsQueueType0(StrEnum):
    ORGANISATION = "organisation"
    PLATFORM = "platform"

    def __str__(self) -> str:
        return str(self.value)
