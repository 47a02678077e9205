from enum import StrEnum


class OrganisationInSector(StrEnum):
    COMMERCIAL = "commercial"
    PUBLIC = "public"
    SOCIAL = "social"

    def __str__(self) -> str:
        return str(self.value)
