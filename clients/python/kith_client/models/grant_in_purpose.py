from enum import StrEnum


class GrantInPurpose(StrEnum):
    CASE_COORDINATION = "case_coordination"
    OFFERS = "offers"
    RESEARCH = "research"
    REWARDS = "rewards"
    SERVICE_DELIVERY = "service_delivery"

    def __str__(self) -> str:
        return str(self.value)
