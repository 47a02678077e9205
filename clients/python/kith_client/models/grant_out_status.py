from enum import StrEnum


class GrantOutStatus(StrEnum):
    ACTIVE = "active"
    AWAITING_RESIDENT = "awaiting_resident"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"

    def __str__(self) -> str:
        return str(self.value)
