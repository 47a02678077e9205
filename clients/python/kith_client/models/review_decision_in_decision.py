from enum import StrEnum


class ReviewDecisionInDecision(StrEnum):
    DISTINCT = "distinct"
    MATCH = "match"

    def __str__(self) -> str:
        return str(self.value)
