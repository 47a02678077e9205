from enum import StrEnum


class RedeemedPhase(StrEnum):
    PENDING = "pending"
    POST = "post"
    SINGLE = "single"
    VOID = "void"

    def __str__(self) -> str:
        return str(self.value)
