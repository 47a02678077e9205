from enum import StrEnum


class RelationshipInType(StrEnum):
    CARER = "carer"
    CLIENT = "client"
    CUSTOMER = "customer"
    EMPLOYEE = "employee"
    FAMILY = "family"
    FRIEND = "friend"
    FUNDER = "funder"
    MEMBER = "member"
    NEIGHBOUR = "neighbour"
    PARTNER = "partner"
    REFERRAL_ROUTE = "referral_route"
    SUPPLIER = "supplier"
    VOLUNTEER = "volunteer"

    def __str__(self) -> str:
        return str(self.value)
