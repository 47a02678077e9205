from enum import StrEnum


class TransferOutPhase(StrEnum):
    PENDING = "pending"
    POST = "post"
    SINGLE = "single"
    VOID = "void"

    def __str__(self) -> str:
        return str(self.value)
