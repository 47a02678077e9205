"""Who is calling: the authenticated API client and its organisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

SCOPES: dict[str, str] = {
    "people:read": "Read people's consented profiles and search the organisation's own people",
    "people:write": "Register people and assert attribute values",
    "consent:read": "Read consent grants and receipts",
    "consent:write": "Record and withdraw consent grants",
    "interactions:read": "Read timelines of interactions",
    "interactions:write": "Log interactions",
    "relationships:read": "Read relationships",
    "relationships:write": "Record relationships",
    "ledger:read": "Read ledger accounts and transfers",
    "ledger:write": "Create, post and void ledger transfers",
    "rewards:earn": "Award credits to residents",
    "rewards:redeem": "Resolve cards and redeem credits",
    "indicators:read": "Read community indicators",
    "webhooks:manage": "Manage webhook subscriptions",
    "admin": "Platform administration (organisations, clients, merges, minting)",
}


@dataclass(frozen=True)
class Principal:
    """The caller of one request. ``platform`` is true only while a platform-admin client uses an
    admin endpoint: it is what lets a transaction see across organisations."""

    org_id: uuid.UUID | None
    client_id: str | None
    scopes: frozenset[str] = field(default_factory=frozenset)
    platform: bool = False
    token_id: str | None = None
    resident_id: uuid.UUID | None = None  # a resident acting on their own data (the portal)
    job: str | None = None  # a background job of the platform's, by name

    @property
    def actor(self) -> str:
        if self.client_id:
            return f"client:{self.client_id}"
        if self.job:
            return f"job:{self.job}"
        return f"resident:{self.resident_id}" if self.resident_id else "operator"

    @classmethod
    def operator(cls) -> Principal:
        """The platform operator at the command line (``kith orgs create`` and the like)."""
        return cls(org_id=None, client_id=None, scopes=frozenset({"admin"}), platform=True)

    @classmethod
    def background(cls, job: str) -> Principal:
        """A background job of the platform's (hold time-outs, credit expiry): platform-wide, and
        audited by its name."""
        return cls(org_id=None, client_id=None, scopes=frozenset({"admin"}), platform=True, job=job)

    @classmethod
    def resident(cls, person_id: uuid.UUID) -> Principal:
        """A resident exercising their rights over their own data (platform id of the person). The
        transaction is platform-wide; the rights functions keep to this one person."""
        return cls(org_id=None, client_id=None, platform=True, resident_id=person_id)

    def on_behalf_of(self, person_id: uuid.UUID) -> Principal:
        """This (platform-admin) caller exercising a resident's rights for them, e.g. answering a
        written subject-access request; audited as the caller."""
        return Principal(self.org_id, self.client_id, self.scopes, True, self.token_id, person_id)

    def as_platform(self) -> Principal:
        return Principal(self.org_id, self.client_id, self.scopes, True, self.token_id, self.resident_id)
