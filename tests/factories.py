"""Plain async factories for tests: organisations, API clients and tokens made the way an
operator and an integrator would make them."""

from __future__ import annotations

import hashlib
import itertools
import random
import string
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import httpx

from app.auth.principal import Principal
from app.organisations import service as organisations


@dataclass
class ApiCredentials:
    client_id: str
    client_secret: str
    org_id: uuid.UUID
    scopes: list[str]


class Platform:
    def __init__(self, app, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    async def make_org(
        self, name: str | None = None, sector: str = "public", kind: str = "council", trusted: bool = True
    ):
        """An organisation; ``trusted``: the platform trusts it to record consent and to verify
        identity (so that a grant it records opens data at once, as most tests of what a grant
        opens want). The trust model's own tests make untrusted ones, as a new partner is."""
        async with self.app.state.db.session(platform=True) as session:
            org = await organisations.create_organisation(
                session,
                Principal.operator(),
                name=name or f"Org {uuid.uuid4().hex[:6]}",
                sector=sector,
                kind=kind,
            )
            if trusted:
                org = await organisations.set_trust(
                    session, Principal.operator(), org.id, records_consent=True, verifies_identity=True
                )
            return org

    async def make_client(self, org_id: uuid.UUID, scopes: list[str], admin: bool = False) -> ApiCredentials:
        async with self.app.state.db.session(platform=True) as session:
            client, secret = await organisations.create_client(
                session, Principal.operator(), org_id, name="test client", scopes=scopes, admin=admin
            )
        return ApiCredentials(client.client_id, secret, org_id, list(client.scopes))

    async def token(self, creds: ApiCredentials, scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = scope
        response = await self.client.post(
            "/oauth/token", data=data, auth=(creds.client_id, creds.client_secret)
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    async def admin_headers(self) -> dict[str, str]:
        org = await self.make_org(kind="partnership")
        creds = await self.make_client(org.id, [], admin=True)
        return {"Authorization": f"Bearer {await self.token(creds)}"}


async def org_with_token(
    platform: Platform,
    scopes: str = "people:read people:write",
    sector: str = "public",
    kind: str = "council",
    trusted: bool = True,
) -> tuple[uuid.UUID, dict[str, str]]:
    """A new organisation and the Authorization header of a client of it (``trusted``: see
    :meth:`Platform.make_org`)."""
    org = await platform.make_org(sector=sector, kind=kind, trusted=trusted)
    creds = await platform.make_client(org.id, scopes.split())
    return org.id, {"Authorization": f"Bearer {await platform.token(creds)}"}


class RandomData:
    """The random data of the test under way: drawn from the test's seed (tests/conftest.py sets it
    before each test), so that a failure's data comes back with the run's seed. A generator of its
    own, not the ``random`` module's: Hypothesis resets that to the same state for every example."""

    def __init__(self) -> None:
        self.random = random.Random(0)
        self._token = "0"
        self._made = itertools.count()

    def begin(self, node_id: str, seed: int) -> None:
        self.random.seed(seed)
        # From the test's name alone, so no two tests of a run (whatever its seed) share one.
        self._token = hashlib.blake2b(node_id.encode(), digest_size=6).hexdigest()
        self._made = itertools.count()

    def token(self) -> str:
        """A string no other call makes in this run, in this test or any other."""
        return f"{self._token}{next(self._made)}"

    def name(self, length: int = 10) -> str:
        return "".join(self.random.choices(string.ascii_lowercase, k=length)).capitalize()

    def postcode(self) -> str:
        inward = "".join(self.random.choices("ABDEFGHJLNPQRSTUWXYZ", k=2))
        return f"RS{self.random.randint(1, 99)} {self.random.randint(1, 9)}{inward}"

    def birthday(self) -> date:
        return date(1930, 1, 1) + timedelta(days=self.random.randrange(27_000))

    def mobile(self) -> str:
        return f"07911 {self.random.randint(100000, 299999)}"


random_data = RandomData()


def unique_resident(**overrides) -> dict:
    """A resident's record of their own (the test database is shared by every test of a run): an
    email no other resident of the run has, and a surname, birthday, phone and postcode drawn from
    the test's seed. (Margarets of one postcode and birthday score as one person whatever their
    surnames: the model's married-since case; here one pair in billions is.)"""
    family = random_data.name()
    body = {
        "given_name": "Margaret",
        "family_name": family,
        # Never the 1st of January: matching takes it for a placeholder (a case system's "unknown").
        "date_of_birth": _not_a_placeholder(random_data.birthday()).isoformat(),
        "email": f"margaret.{family.lower()}.{random_data.token()}@example.org",
        "phone": random_data.mobile(),
        "address": {
            "line1": f"{random_data.random.randint(1, 200)} Mill Lane",
            "town": "Riverside",
            "postcode": random_data.postcode(),
        },
    }
    body.update(overrides)
    return body


def _not_a_placeholder(born):
    return born.replace(day=2) if (born.month, born.day) == (1, 1) else born


async def platform_decision(owner_conn, org_person_id: str | uuid.UUID):
    """The platform's decision on the organisation's latest record of one of its people (its own
    id for them), read behind the service's back: what the platform did (``status``, ``method``,
    ``score``, ``candidate_id``) beside what the organisation was told (``answered``)."""
    return await owner_conn.fetchrow(
        "SELECT d.* FROM org_people op JOIN people p ON p.canonical_id = op.canonical_id "
        "JOIN identity_decisions d ON d.person_id = p.id AND d.org_id = op.org_id "
        "WHERE op.org_person_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT 1",
        uuid.UUID(str(org_person_id)),
    )
