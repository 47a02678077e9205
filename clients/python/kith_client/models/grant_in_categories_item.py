from enum import StrEnum


class GrantInCategoriesItem(StrEnum):
    ADDRESS = "address"
    CONTACT = "contact"
    IDENTITY = "identity"
    INTERACTIONS = "interactions"
    RELATIONSHIPS = "relationships"
    REWARDS = "rewards"

    def __str__(self) -> str:
        return str(self.value)
