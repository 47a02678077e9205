"""Request and response bodies for organisations and API clients."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, StrictBool

from app.core.schemas import ResponseModel, StrictModel

Sector = Literal["public", "social", "commercial"]
Scope = Literal[
    "people:read",
    "people:write",
    "consent:read",
    "consent:write",
    "interactions:read",
    "interactions:write",
    "relationships:read",
    "relationships:write",
    "ledger:read",
    "ledger:write",
    "rewards:earn",
    "rewards:redeem",
    "indicators:read",
    "webhooks:manage",
    "admin",
]


class OrganisationIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    sector: Sector
    kind: str = Field(
        pattern=r"^[a-z][a-z0-9_]{1,39}$",
        description="council, nhs, school, police, housing, charity, community_group, faith_group, "
        "social_enterprise, business, market, research, …",
        examples=["council"],
    )
    area_code: str | None = Field(None, pattern=r"^[A-Z0-9]{1,16}$", examples=["E05011111"])


class OrganisationOut(ResponseModel):
    id: uuid.UUID
    name: str
    sector: Sector
    kind: str
    area_code: str | None
    created_at: datetime
    records_consent: StrictBool = Field(
        description="The platform trusts it to record consent: grants it records count at once, "
        "without the resident's confirmation"
    )
    verifies_identity: StrictBool = Field(
        description="The platform trusts what it marks verified (sign-in, deterministic matching)"
    )


class TrustIn(StrictModel):
    records_consent: StrictBool | None = Field(None, description="Trust it to record consent (false: stop)")
    verifies_identity: StrictBool | None = Field(None, description="Trust its verifications (false: stop)")


class OrganisationPage(ResponseModel):
    items: list[OrganisationOut]
    next_cursor: str | None = None


class ClientIn(StrictModel):
    name: str = Field("API client", min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1, description="Scopes the client may request")
    admin: StrictBool = Field(False, description="Also grant the platform 'admin' scope")


class ClientOut(ResponseModel):
    client_id: str
    org_id: uuid.UUID
    name: str
    scopes: list[str]
    created_at: datetime
    disabled_at: datetime | None


class ClientCreated(ClientOut):
    client_secret: str = Field(description="Shown once; only its hash is kept")
