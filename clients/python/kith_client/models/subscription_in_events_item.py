from enum import StrEnum


class SubscriptionInEventsItem(StrEnum):
    CONSENT_CONFIRMED = "consent.confirmed"
    CONSENT_GRANTED = "consent.granted"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    INTERACTION_CREATED = "interaction.created"
    PERSON_ERASED = "person.erased"
    PERSON_MERGED = "person.merged"
    PERSON_UPDATED = "person.updated"
    REWARDS_EARNED = "rewards.earned"
    REWARDS_REDEEMED = "rewards.redeemed"

    def __str__(self) -> str:
        return str(self.value)
