"""A deterministic synthetic neighbourhood for demonstrations (`kith demo seed`, `kith serve --demo`).

Four wards from the bundled postcode lookup, about forty organisations across the three sectors,
residents from the identity module's synthetic population registered through the people service,
twelve months of interactions, ties, volunteering and ledger activity — with the wards made to
differ: **Riverside** resilient (residents use several organisations of every sector, volunteer,
know each other), **Northgate** brittle (most depend on one public service, few volunteer, many
know no one), Market Hill and Eastfield in between. The same ``--seed`` gives the same
neighbourhood. Residents go through the people service and credits through the ledger service;
interactions and ties, hundreds of thousands of rows, are written in bulk.
"""

from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.bench import synthetic
from app.db.session import driver_connection
from app.identity import service as identity_service
from app.indicators import areas as areas_service
from app.indicators.periods import add_months
from app.ledger import service as ledger
from app.organisations import service as organisations
from app.people import service as people_service

DEMO_RESIDENT_EMAIL = "demo.resident@example.org"
# Staff who sign in to the console (/console) with a code from /dev/outbox: email → (organisation, role).
DEMO_STAFF = {
    "caseworker@riverside-foodbank.example.org": ("Riverside Food Bank", "caseworker"),
    "admin@riverside-council.example.org": (None, "org_admin"),  # None: the council (MARKER)
}
MARKER = "Riverside Borough Council"


@dataclass(frozen=True)
class Ward:
    name: str
    code: str
    share: float  # of the residents
    repertoire: tuple[int, int]  # organisations a resident uses
    local_bias: float  # chance an organisation is from the resident's own ward
    focus: float  # share of a resident's contacts with their first organisation
    active: float  # chance of any contact in a month
    volunteers: float
    friends: float  # person–person ties per resident


WARDS = (
    Ward("Riverside", "E05900001", 0.30, (3, 6), 0.7, 0.35, 0.75, 0.22, 1.6),
    Ward("Northgate", "E05900002", 0.25, (1, 2), 0.4, 0.85, 0.45, 0.02, 0.15),
    Ward("Market Hill", "E05900003", 0.25, (2, 4), 0.6, 0.55, 0.6, 0.08, 0.7),
    Ward("Eastfield", "E05900004", 0.20, (2, 4), 0.5, 0.55, 0.6, 0.10, 0.8),
)

# (name, sector, kind, ward index)
ORGANISATIONS = (
    (MARKER, "public", "council", 0),
    ("Northgate Medical Centre", "public", "nhs", 1),
    ("Riverside Health Centre", "public", "nhs", 0),
    ("St Anne's Primary School", "public", "school", 0),
    ("Northgate Academy", "public", "school", 1),
    ("Market Hill Library", "public", "council", 2),
    ("Eastfield Housing Office", "public", "housing", 3),
    ("Neighbourhood Policing Team", "public", "police", 2),
    ("Jobcentre Plus", "public", "council", 1),
    ("Riverside Food Bank", "social", "charity", 0),
    ("Riverside Community Garden", "social", "community_group", 0),
    ("Riverside Men's Shed", "social", "community_group", 0),
    ("Age Concern Riverside", "social", "charity", 0),
    ("St Mary's Church", "social", "faith_group", 0),
    ("Riverside Youth Club", "social", "community_group", 0),
    ("Repair Café", "social", "social_enterprise", 0),
    ("Market Hill Credit Union", "social", "social_enterprise", 2),
    ("Market Hill Tenants' Association", "social", "community_group", 2),
    ("Eastfield Mosque", "social", "faith_group", 3),
    ("Eastfield Carers' Network", "social", "charity", 3),
    ("Eastfield Football Club", "social", "community_group", 3),
    ("Citizens Advice", "social", "charity", 2),
    ("Northgate Community Centre", "social", "community_group", 1),
    ("The Riverside Café", "commercial", "business", 0),
    ("Riverside Bakery", "commercial", "business", 0),
    ("Hill Street Pharmacy", "commercial", "business", 2),
    ("Market Hill Market", "commercial", "market", 2),
    ("Patel's Grocers", "commercial", "business", 2),
    ("The Kings Head", "commercial", "business", 2),
    ("Bookshop on the Hill", "commercial", "business", 2),
    ("Market Hill Hardware", "commercial", "business", 2),
    ("Eastfield Barbers", "commercial", "business", 3),
    ("Eastfield Launderette", "commercial", "business", 3),
    ("Corner Café Eastfield", "commercial", "business", 3),
    ("Northgate Superstore", "commercial", "business", 1),
    ("Northgate Bookmakers", "commercial", "business", 1),
    ("Riverside Bike Workshop", "commercial", "business", 0),
    ("Green Grocer Riverside", "commercial", "business", 0),
    ("Eastfield Fitness", "commercial", "business", 3),
    ("Market Hill Cinema", "commercial", "business", 2),
)

KINDS = {
    "public": (("service_contact", 5), ("visit", 3), ("referral", 1)),
    "social": (("event", 4), ("service_contact", 3), ("visit", 2)),
    "commercial": (("purchase", 7), ("visit", 2)),
}

CLIENTS = {
    "council": (
        MARKER,
        "people:read people:write consent:read consent:write interactions:read interactions:write "
        "relationships:read relationships:write ledger:read ledger:write rewards:earn indicators:read "
        "webhooks:manage",
    ),
    "charity": (
        "Riverside Food Bank",
        "people:read people:write consent:read consent:write interactions:read interactions:write "
        "relationships:read relationships:write rewards:earn ledger:read",
    ),
    "business": ("The Riverside Café", "people:read interactions:write rewards:redeem ledger:read"),
    "analyst": ("Riverside Borough Council", "indicators:read"),
}


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


async def already_seeded(session: AsyncSession) -> bool:
    return bool(
        await session.scalar(
            text("SELECT EXISTS (SELECT 1 FROM organisations WHERE name = :n)"), {"n": MARKER}
        )
    )


def lookup_lines() -> list[str]:
    return resources.files("app.demo").joinpath("postcodes.csv").read_text().splitlines()


async def seed(
    session: AsyncSession, *, people: int = 5000, seed: int = 7, today: date | None = None
) -> dict[str, Any]:
    """Seed the neighbourhood in ``session`` (a platform transaction); the demo clients' credentials."""
    operator = Principal.operator()
    rng = random.Random(f"kith-demo:{seed}")
    today = today or datetime.now(UTC).date()
    first = add_months(date(today.year, today.month, 1), -11)
    await areas_service.import_lookup(session, lookup_lines())
    postcodes: dict[str, list[str]] = {}
    for line in lookup_lines()[1:]:
        pc, ward = line.split(",")[:2]
        postcodes.setdefault(ward, []).append(pc)

    orgs: list[dict[str, Any]] = []
    for name, sector, kind, ward in ORGANISATIONS:
        org = await organisations.create_organisation(
            session, operator, name=name, sector=sector, kind=kind, area_code=WARDS[ward].code
        )
        if sector == "public":  # the partnership trusts its public bodies; the demo's café it does not
            await organisations.set_trust(
                session, operator, org.id, records_consent=True, verifies_identity=True
            )
        orgs.append({"id": org.id, "name": name, "sector": sector, "ward": ward})
    council = orgs[0]

    # Residents: the synthetic population, housed in the demo wards, registered by the council.
    population = synthetic.people(people, seed=seed)
    household_ward: dict[int, int] = {}
    home: dict[int, str] = {}
    cumulative = [sum(w.share for w in WARDS[: i + 1]) for i in range(len(WARDS))]
    for person in population:
        if person.household not in household_ward:
            x = rng.random()
            w = next(i for i, c in enumerate(cumulative) if x <= c + 1e-9)
            household_ward[person.household] = w
            home[person.household] = rng.choice(postcodes[WARDS[w].code])
    council_principal = Principal(org_id=council["id"], client_id=None, scopes=frozenset({"people:write"}))
    records = []
    for person in population:
        body = {
            "external_ref": f"DEMO-{person.truth_id}",
            "given_name": person.given_name,
            "family_name": person.family_name,
            "date_of_birth": person.date_of_birth,
            "address": {**person.address, "town": "Riverside", "postcode": home[person.household]},
        }
        if person.email:
            body["email"] = person.email
        records.append(body)
    records.append(
        {
            "external_ref": "DEMO-RESIDENT",
            "given_name": "Dee",
            "family_name": "Monstration",
            "date_of_birth": "1984-05-17",
            "email": DEMO_RESIDENT_EMAIL,
            "address": {"line1": "1 Mill Lane", "town": "Riverside", "postcode": postcodes[WARDS[0].code][0]},
            "verified": ["email"],  # the council checked it: she signs in to the portal with it
        }
    )
    for i in range(0, len(records), people_service.MAX_BATCH):
        await people_service.register_batch(
            session, council_principal, records[i : i + people_service.MAX_BATCH]
        )
    rows = await session.execute(
        text(
            "SELECT r.external_ref, p.canonical_id FROM person_records r JOIN people p ON p.id = r.person_id "
            "WHERE r.org_id = :org AND r.external_ref LIKE 'DEMO-%'"
        ),
        {"org": council["id"]},
    )
    canonical = {ref: pid for ref, pid in rows.all()}
    residents: list[tuple[uuid.UUID, int, int]] = []  # (person, ward, household)
    seen: set[uuid.UUID] = set()
    for person in population:
        pid = canonical.get(f"DEMO-{person.truth_id}")
        if pid is not None and pid not in seen:
            seen.add(pid)
            residents.append((pid, household_ward[person.household], person.household))
    demo_resident = canonical["DEMO-RESIDENT"]
    residents.append((demo_resident, 0, -1))
    # Registered before the year shown, a few during it (so the resident counts grow).
    await session.execute(
        text(
            "UPDATE people SET created_at = CAST(:at AS timestamptz) - make_interval(days => (abs(hashtext(id::text)) % 400)) "
            "WHERE canonical_id = ANY(CAST(:ids AS uuid[]))"
        ),
        {
            "at": datetime(first.year, first.month, 1, tzinfo=UTC) + timedelta(days=60),
            "ids": [r[0] for r in residents],
        },
    )

    # Interactions: each resident's repertoire of organisations, month by month.
    by_ward_sector: dict[tuple[int, str], list[dict]] = {}
    for o in orgs:
        by_ward_sector.setdefault((o["ward"], o["sector"]), []).append(o)
    interactions: list[tuple] = []
    links: set[tuple[uuid.UUID, uuid.UUID]] = set()
    volunteers: list[tuple[uuid.UUID, dict, int]] = []
    for pid, w, _household in residents:
        ward = WARDS[w]
        k = rng.randint(*ward.repertoire)
        repertoire: list[dict] = []
        # the first organisation is public in the brittle ward (the one service people depend on)
        first_sector = "public" if w == 1 else rng.choice(("public", "social", "commercial"))
        sectors = [first_sector] + [rng.choice(("public", "social", "commercial")) for _ in range(k - 1)]
        for sector in sectors:
            here = by_ward_sector.get((w, sector), [])
            pool = (
                here
                if here and rng.random() < ward.local_bias
                else [o for o in orgs if o["sector"] == sector]
            )
            choice = rng.choice(pool)
            if choice not in repertoire:
                repertoire.append(choice)
        if w == 1:  # in the brittle ward most people's one lifeline is the medical centre
            lifeline = orgs[1]
            repertoire = [lifeline, *[o for o in repertoire if o is not lifeline][: max(0, k - 1)]]
        weights = [ward.focus] + [(1 - ward.focus) / max(1, len(repertoire) - 1)] * (len(repertoire) - 1)
        volunteer_at = None
        if rng.random() < ward.volunteers:
            social = by_ward_sector.get((w, "social")) or [o for o in orgs if o["sector"] == "social"]
            volunteer_at = rng.choice(social)
            volunteers.append((pid, volunteer_at, w))
        for m in range(12):
            month = add_months(first, m)
            last_day = (add_months(month, 1) - timedelta(days=1)).day
            if month.year == today.year and month.month == today.month:
                last_day = max(1, today.day - 1)
            if rng.random() < ward.active:
                for _ in range(rng.randint(1, 4)):
                    org = rng.choices(repertoire, weights=weights)[0]
                    at = datetime(
                        month.year, month.month, rng.randint(1, last_day), rng.randint(8, 19), tzinfo=UTC
                    )
                    kind = _weighted(rng, KINDS[org["sector"]])
                    value = rng.randint(150, 4500) if kind == "purchase" else None
                    counterpart = rng.choice(orgs)["id"] if kind == "referral" else None
                    interactions.append((_uuid(rng), org["id"], pid, kind, at, value, None, counterpart))
                    links.add((org["id"], pid))
            if volunteer_at and rng.random() < 0.75:
                at = datetime(month.year, month.month, rng.randint(1, last_day), 10, tzinfo=UTC)
                minutes = rng.choice((60, 90, 120, 180, 240))
                interactions.append(
                    (_uuid(rng), volunteer_at["id"], pid, "volunteering", at, None, minutes, None)
                )
                links.add((volunteer_at["id"], pid))
    await identity_service.issue_org_ids(session, sorted(links))
    conn = await driver_connection(session)
    for i in range(0, len(interactions), 20_000):
        chunk = interactions[i : i + 20_000]
        await conn.execute(
            "INSERT INTO interactions (id, org_id, person_id, kind, occurred_at, value_pence, duration_minutes, "
            "counterpart_org_id, channel) SELECT *, 'in_person' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], "
            "$4::text[], $5::timestamptz[], $6::int8[], $7::int4[], $8::uuid[])",
            *[list(col) for col in zip(*chunk, strict=True)],
        )

    # Ties: households are family; friends mostly within the ward.
    ties: list[tuple] = []
    by_household: dict[int, list[uuid.UUID]] = {}
    by_ward: dict[int, list[uuid.UUID]] = {}
    for pid, w, household in residents:
        by_household.setdefault(household, []).append(pid)
        by_ward.setdefault(w, []).append(pid)
    for household, members in sorted(by_household.items()):
        if household >= 0:
            for a, b in itertools.pairwise(members):
                ties.append((_uuid(rng), council["id"], "family", a, b))
    for pid, w, _ in residents:
        expected = WARDS[w].friends / 2  # each tie serves two people
        for _ in range(int(expected) + (rng.random() < expected % 1)):
            other_ward = w if rng.random() < 0.8 else rng.randrange(len(WARDS))
            other = rng.choice(by_ward[other_ward])
            if other != pid:
                ties.append(
                    (_uuid(rng), council["id"], rng.choice(("friend", "neighbour", "carer")), pid, other)
                )
    start = first - timedelta(days=200)
    await conn.execute(
        "INSERT INTO relationships (id, org_id, kind, type, person_id, other_person_id, started_on, evidence) "
        'SELECT id, org, \'person_person\', t, a, b, $6, \'{"kind": "verbal", "reference": "demo"}\' '
        "FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[]) AS x(id, org, t, a, b)",
        *[list(col) for col in zip(*ties, strict=True)],
        start,
    )
    partnerships = []
    for _ in range(18):
        a, b = rng.sample(orgs, 2)
        partnerships.append(
            (_uuid(rng), a["id"], rng.choice(("partner", "referral_route", "funder")), b["id"])
        )
    await conn.execute(
        "INSERT INTO relationships (id, org_id, kind, type, organisation_id, other_organisation_id, started_on) "
        "SELECT id, a, 'organisation_organisation', t, a, b, $5 FROM unnest($1::uuid[], $2::uuid[], $3::text[], "
        "$4::uuid[]) AS x(id, a, t, b)",
        *[list(col) for col in zip(*partnerships, strict=True)],
        start,
    )
    await conn.execute(
        "INSERT INTO relationships (id, org_id, kind, type, person_id, organisation_id, started_on) "
        "SELECT gen_random_uuid(), o, 'person_organisation', 'volunteer', p, o, $3 "
        "FROM unnest($1::uuid[], $2::uuid[]) AS x(p, o)",
        [p for p, _, _ in volunteers],
        [o["id"] for _, o, _ in volunteers],
        start,
    )

    # Credits, through the ledger: minted into the council's pool and the other public and social
    # organisations' operating accounts, earned by volunteers, spent at businesses (mostly local
    # ones), and passed on by businesses back into the pool.
    pool = (
        await ledger.create_pool(
            session, Principal(council["id"], None), "Riverside volunteering", {"credits_per_hour": 1}
        )
    ).id
    issuance = await ledger.platform_account(session, "issuance")

    async def move(debit: uuid.UUID, credit: uuid.UUID, amount: int, code: str) -> None:
        await ledger.transfer(
            session,
            operator,
            ledger.Transfer(
                id=_uuid(rng), code=code, amount=amount, debit_account_id=debit, credit_account_id=credit
            ),
        )

    await move(issuance, pool, 50_000, "mint")
    businesses = [o for o in orgs if o["sector"] == "commercial"]
    operating = {o["id"]: await ledger.operating_account(session, o["id"]) for o in orgs}
    # An operating account holds only what was minted into it or spent at its organisation.
    held = {o["id"]: 0 for o in orgs}
    for o in orgs:
        if o["sector"] != "commercial":
            await move(issuance, operating[o["id"]], 500, "mint")
            held[o["id"]] = 500
    for pid, org, w in volunteers:
        wallet = await ledger.wallet(session, pid)
        earned = rng.randint(4, 30)
        await move(pool, wallet, earned, "earn")
        if rng.random() < 0.7:
            local = [b for b in businesses if b["ward"] == w] or businesses
            shop = rng.choice(local if rng.random() < WARDS[w].local_bias else businesses)
            spent = rng.randint(1, earned)
            await move(wallet, operating[shop["id"]], spent, "redeem")
            held[shop["id"]] += spent
        bonus = rng.randint(1, 5)
        if rng.random() < 0.15 and held[org["id"]] >= bonus:
            await move(operating[org["id"]], wallet, bonus, "earn")
            held[org["id"]] -= bonus
    for shop in businesses[:8]:
        passed_on = min(rng.randint(20, 200), held[shop["id"]])
        if passed_on:
            await move(operating[shop["id"]], pool, passed_on, "fund")

    return {
        "people": len(residents),
        "organisations": len(orgs),
        "interactions": len(interactions),
        "ties": len(ties),
        "volunteers": len(volunteers),
        "demo_resident_email": DEMO_RESIDENT_EMAIL,
    }


async def demo_staff(session: AsyncSession) -> None:
    """The demo's staff members (DEMO_STAFF), invited as the platform operator would."""
    for email, (org_name, role) in DEMO_STAFF.items():
        org_id = await session.scalar(
            text("SELECT id FROM organisations WHERE name = :n"), {"n": org_name or MARKER}
        )
        await organisations.invite_staff(session, Principal.operator(), org_id, email=email, role=role)


async def demo_clients(session: AsyncSession) -> dict[str, dict[str, str]]:
    """An API client for each demo role (a new secret each time: secrets are stored only hashed)."""
    operator = Principal.operator()
    out = {}
    for role, (org_name, scopes) in CLIENTS.items():
        org_id = await session.scalar(text("SELECT id FROM organisations WHERE name = :n"), {"n": org_name})
        client, secret = await organisations.create_client(
            session, operator, org_id, name=f"demo {role}", scopes=scopes.split(), admin=False
        )
        out[role] = {
            "client_id": client.client_id,
            "client_secret": secret,
            "scopes": scopes,
            "organisation": org_name,
        }
    return out


def credentials_json(clients: dict[str, Any]) -> bytes:
    return orjson.dumps(clients, option=orjson.OPT_INDENT_2)
