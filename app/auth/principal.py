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


# What each staff role may do in the console, as the API scopes it may use (SPEC §12). An analyst
# reads indicators only; managing the organisation's clients and staff is the org admin's.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "viewer": frozenset(
        {"people:read", "consent:read", "interactions:read", "relationships:read", "ledger:read"}
    ),
    "analyst": frozenset({"indicators:read"}),
}
ROLE_SCOPES["caseworker"] = ROLE_SCOPES["viewer"] | {
    "people:write",
    "consent:write",
    "interactions:write",
    "relationships:write",
    "rewards:earn",
}
ROLE_SCOPES["org_admin"] = ROLE_SCOPES["caseworker"] | {"webhooks:manage"}
ROLES = ("viewer", "caseworker", "org_admin", "analyst")  # what an organisation's admin gives
# The platform's own reviewers (the possible matches across organisations): given only by the
# platform operator (``kith staff invite --role reviewer``), never by an organisation's admin.
ROLE_SCOPES["reviewer"] = frozenset({"identity:review"})
PLATFORM_ROLES = ("reviewer",)


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
        if self.client_id and self.client_id.startswith("staff:"):
            return self.client_id  # staff:<role>:<staff id>
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
    def staff(cls, org_id: uuid.UUID, staff_id: uuid.UUID, role: str) -> Principal:
        """A member of an organisation's staff in the console, with their role's scopes. Their
        requests name them ``staff:<role>:<id>``: the audit trail and the access log keep it (the
        resident is shown the organisation and the role), and a transaction opens only while they
        are enabled in that role (``kith_begin``)."""
        return cls(org_id=org_id, client_id=f"staff:{role}:{staff_id}", scopes=ROLE_SCOPES[role])

    @property
    def staff_role(self) -> str | None:
        """The role of a staff member's request, else None."""
        if self.client_id and self.client_id.startswith("staff:"):
            return self.client_id.split(":")[1]
        return None

    @classmethod
    def resident(cls, person_id: uuid.UUID) -> Principal:
        """A resident exercising their rights over their own data (platform id of the person). The
        rights functions keep to this one person; in the portal, row-level security does too (the
        page's transaction is narrowed to the resident, ``resident_scope``)."""
        return cls(org_id=None, client_id=None, platform=True, resident_id=person_id)

    def on_behalf_of(self, person_id: uuid.UUID) -> Principal:
        """This (platform-admin) caller exercising a resident's rights for them, e.g. answering a
        written subject-access request; audited as the caller."""
        return Principal(self.org_id, self.client_id, self.scopes, True, self.token_id, person_id)

    def as_platform(self) -> Principal:
        return Principal(self.org_id, self.client_id, self.scopes, True, self.token_id, self.resident_id)
