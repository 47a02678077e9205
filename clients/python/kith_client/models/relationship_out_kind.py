from enum import StrEnum


class RelationshipOutKind(StrEnum):
    ORGANISATION_ORGANISATION = "organisation_organisation"
    PERSON_ORGANISATION = "person_organisation"
    PERSON_PERSON = "person_person"

    def __str__(self) -> str:
        return str(self.value)
