from enum import StrEnum


class PersonInVerifiedItem(StrEnum):
    ADDRESS = "address"
    DATE_OF_BIRTH = "date_of_birth"
    EMAIL = "email"
    FAMILY_NAME = "family_name"
    GIVEN_NAME = "given_name"
    PHONE = "phone"
    PREFERRED_NAME = "preferred_name"
    UPRN = "uprn"

    def __str__(self) -> str:
        return str(self.value)
