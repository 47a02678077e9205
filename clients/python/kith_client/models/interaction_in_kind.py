from enum import StrEnum


class InteractionInKind(StrEnum):
    EVENT = "event"
    OTHER = "other"
    PURCHASE = "purchase"
    REFERRAL = "referral"
    SERVICE_CONTACT = "service_contact"
    VISIT = "visit"
    VOLUNTEERING = "volunteering"

    def __str__(self) -> str:
        return str(self.value)
