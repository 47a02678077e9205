from enum import StrEnum


class TransferInCode(StrEnum):
    EARN = "earn"
    EXPIRE = "expire"
    FUND = "fund"
    MINT = "mint"
    REDEEM = "redeem"
    REFUND = "refund"
    REVERSE = "reverse"

    def __str__(self) -> str:
        return str(self.value)
