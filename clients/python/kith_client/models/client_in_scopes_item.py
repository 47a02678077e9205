from enum import StrEnum


class ClientInScopesItem(StrEnum):
    ADMIN = "admin"
    CONSENTREAD = "consent:read"
    CONSENTWRITE = "consent:write"
    INDICATORSREAD = "indicators:read"
    INTERACTIONSREAD = "interactions:read"
    INTERACTIONSWRITE = "interactions:write"
    LEDGERREAD = "ledger:read"
    LEDGERWRITE = "ledger:write"
    PEOPLEREAD = "people:read"
    PEOPLEWRITE = "people:write"
    RELATIONSHIPSREAD = "relationships:read"
    RELATIONSHIPSWRITE = "relationships:write"
    REWARDSEARN = "rewards:earn"
    REWARDSREDEEM = "rewards:redeem"
    WEBHOOKSMANAGE = "webhooks:manage"

    def __str__(self) -> str:
        return str(self.value)
