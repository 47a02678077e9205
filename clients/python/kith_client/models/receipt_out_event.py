from enum import StrEnum


class ReceiptOutEvent(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"

    def __str__(self) -> str:
        return str(self.value)
