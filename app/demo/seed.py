"""A deterministic synthetic neighbourhood for demonstrations (`kith demo seed`, `kith serve --demo`).

Four wards from the bundled postcode lookup, fifty organisations across the three sectors,
residents from the identity module's synthetic population registered through the people service,
and a year of their lives (``activity``: contacts, volunteering, ties; ``credits``: the ledger,
each transfer dated when it happened) ending yesterday, with the wards made to differ
(``town``). The same ``--seed`` gives the same neighbourhood. Residents go through the people
service and credits through the ledger service; interactions and ties, hundreds of thousands of
rows, are written in bulk. :func:`seed_demo` is the whole of it: seeded once, into an empty
database only, then the demo resident's readers and the indicators.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.bench import synthetic
from app.core.errors import Conflict
from app.db.session import Database
from app.demo import resident
from app.demo.activity import Resident, Town, cast, plan_ties, plan_year, write_year
from app.demo.credits import seed_credits
from app.demo.town import (
    CLIENTS,
    DEMO_RESIDENT_EMAIL,
    DEMO_RESIDENT_REF,
    DEMO_STAFF,
    MARKER,
    ORGANISATIONS,
    WARDS,
)
from app.indicators import areas as areas_service
from app.indicators import service as indicators
from app.indicators.periods import add_months
from app.organisations import service as organisations
from app.people import service as people_service

DEMO_CARD_PIN = resident.CARD_PIN  # `kith serve --demo` prints it


class NotEmpty(Conflict):
    code = "database_not_empty"


async def demo_state(session: AsyncSession) -> str:
    """What the database holds: ``demo`` (the neighbourhood was seeded: the council holds the demo
    resident's record; what was added since is the demo's user's own), ``empty`` (no organisation
    and no person), or ``other`` (anything else: someone's data, which the demo must never be
    mixed into). In a platform transaction."""
    row = (
        await session.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM person_records r JOIN organisations o ON o.id = r.org_id "
                "WHERE o.name = :marker AND r.external_ref = :ref) AS demo, "
                "EXISTS (SELECT 1 FROM organisations) OR EXISTS (SELECT 1 FROM people) AS anything"
            ),
            {"marker": MARKER, "ref": DEMO_RESIDENT_REF},
        )
    ).one()
    if row.demo:
        return "demo"
    return "other" if row.anything else "empty"


def lookup_lines() -> list[str]:
    return resources.files("app.demo").joinpath("postcodes.csv").read_text().splitlines()


async def seed_demo(
    db: Database,
    *,
    people: int = 5000,
    seed: int = 7,
    empty_only: bool = False,
    announce: Callable[[], None] | None = None,
) -> dict[str, Any] | None:
    """The whole demo: the neighbourhood, its staff and API clients (one transaction), the staff's
    reads of the demo resident (each its own, as the console makes them), then the indicators'
    roll-ups. None when the database holds the demo already; ``empty_only``: NotEmpty when it
    holds anything else. ``announce()`` is called once seeding starts."""
    async with db.session(platform=True) as session:
        state = await demo_state(session)
        if state == "demo":
            return None
        if state == "other" and empty_only:
            raise NotEmpty(
                "This database holds organisations or people that are not the demo's, and the demo is "
                "seeded only into an empty one, never mixed into real data."
            )
        if announce is not None:
            announce()
        summary = await seed_neighbourhood(session, people=people, seed=seed)
        await demo_staff(session)
        clients = await demo_clients(session)
    summary["reads"] = await resident.staff_reads(db)
    async with db.session(platform=True) as session:
        await indicators.refresh(session, db.services["settings"], full=True)
    return {**summary, "clients": clients}


async def seed_neighbourhood(
    session: AsyncSession, *, people: int = 5000, seed: int = 7, today: date | None = None
) -> dict[str, Any]:
    """Seed the neighbourhood in ``session`` (a platform transaction): its year ends yesterday."""
    operator = Principal.operator()
    rng = random.Random(f"kith-demo:{seed}")
    today = today or indicators.today()
    first = add_months(date(today.year, today.month, 1), -11)
    await areas_service.import_lookup(session, lookup_lines())
    postcodes: dict[str, list[str]] = {}
    for line in lookup_lines()[1:]:
        pc, ward = line.split(",")[:2]
        postcodes.setdefault(ward, []).append(pc)

    orgs: list[dict[str, Any]] = []
    for o in ORGANISATIONS:
        org = await organisations.create_organisation(
            session, operator, name=o.name, sector=o.sector, kind=o.kind, area_code=WARDS[o.ward].code
        )
        if o.sector == "public":  # the partnership trusts its public bodies; the demo's café it does not
            await organisations.set_trust(
                session, operator, org.id, records_consent=True, verifies_identity=True
            )
        orgs.append({"id": org.id, **asdict(o)})
    town = Town(orgs)
    council = town.by_name[MARKER]

    residents = await _register(session, rng, council["id"], people, seed, postcodes)
    # Registered before the year shown, a few during it (so the resident counts grow).
    await session.execute(
        text(
            "UPDATE people SET created_at = CAST(:at AS timestamptz) - make_interval(days => (abs(hashtext(id::text)) % 400)) "
            "WHERE canonical_id = ANY(CAST(:ids AS uuid[]))"
        ),
        {
            "at": datetime(first.year, first.month, 1, tzinfo=UTC) + timedelta(days=60),
            "ids": [r.id for r in residents],
        },
    )
    # Who the residents are and whom they know, drawn apart from the calendar: the same seed casts
    # the same people whatever the day it is seeded on.
    people_rng = random.Random(f"kith-demo-people:{seed}")
    cast(people_rng, town, residents)
    ties = plan_ties(people_rng, residents)
    year = plan_year(rng, town, residents, first, today)
    await write_year(session, rng, council["id"], town, year, ties, first - timedelta(days=200))
    transfers = await seed_credits(session, rng, town, {r.id: r.ward for r in residents}, year, first, today)
    dee = residents[-1].id
    await resident.settle_in(session, dee, {o["name"]: o["id"] for o in orgs})
    return {
        "people": len(residents),
        "organisations": len(orgs),
        "interactions": len(year.interactions),
        "ties": len(ties),
        "volunteers": len(year.volunteers),
        "transfers": transfers,
        "demo_resident_email": DEMO_RESIDENT_EMAIL,
    }


async def _register(
    session: AsyncSession,
    rng: random.Random,
    council_id: uuid.UUID,
    people: int,
    seed: int,
    postcodes: dict[str, list[str]],
) -> list[Resident]:
    """The synthetic population housed in the demo wards and registered by the council, the demo
    resident last: each resident's platform id, ward and household (-1: living alone)."""
    population = synthetic.people(people, seed=seed)
    household_ward: dict[int, int] = {}
    home: dict[int, str] = {}
    cumulative = [sum(w.share for w in WARDS[: i + 1]) for i in range(len(WARDS))]
    sizes: dict[int, int] = {}
    for person in population:
        sizes[person.household] = sizes.get(person.household, 0) + 1
        if person.household not in household_ward:
            x = rng.random()
            w = next(i for i, c in enumerate(cumulative) if x <= c + 1e-9)
            household_ward[person.household] = w
            home[person.household] = rng.choice(postcodes[WARDS[w].code])
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
    address = {"line1": "1 Mill Lane", "town": "Riverside", "postcode": postcodes[WARDS[0].code][0]}
    records.append({**resident.RECORD, "address": address})
    principal = Principal(org_id=council_id, client_id=None, scopes=frozenset({"people:write"}))
    for i in range(0, len(records), people_service.MAX_BATCH):
        await people_service.register_batch(session, principal, records[i : i + people_service.MAX_BATCH])
    rows = await session.execute(
        text(
            "SELECT r.external_ref, p.canonical_id FROM person_records r JOIN people p ON p.id = r.person_id "
            "WHERE r.org_id = :org AND r.external_ref LIKE 'DEMO-%'"
        ),
        {"org": council_id},
    )
    canonical = {ref: pid for ref, pid in rows.all()}
    residents: list[Resident] = []
    seen: set[uuid.UUID] = set()
    for person in population:
        pid = canonical.get(f"DEMO-{person.truth_id}")
        if pid is not None and pid not in seen:
            seen.add(pid)
            w = household_ward[person.household]
            household = person.household if sizes[person.household] > 1 else -1
            residents.append(Resident(pid, w, household))
    residents.append(
        Resident(
            canonical[DEMO_RESIDENT_REF], 0, -1, uses=resident.USES, volunteers_at=resident.VOLUNTEERS_AT
        )
    )
    return residents


async def demo_staff(session: AsyncSession) -> None:
    """The demo's staff members (DEMO_STAFF), invited as the platform operator would."""
    for email, (org_name, role) in DEMO_STAFF.items():
        org_id = await session.scalar(text("SELECT id FROM organisations WHERE name = :n"), {"n": org_name})
        await organisations.invite_staff(session, Principal.operator(), org_id, email=email, role=role)


async def demo_clients(session: AsyncSession) -> dict[str, dict[str, str]]:
    """An API client for each demo role (a new secret each time: secrets are stored only hashed)."""
    operator = Principal.operator()
    out = {}
    for role, (org_name, scopes, admin) in CLIENTS.items():
        org_id = await session.scalar(text("SELECT id FROM organisations WHERE name = :n"), {"n": org_name})
        client, secret = await organisations.create_client(
            session, operator, org_id, name=f"demo {role}", scopes=scopes.split(), admin=admin
        )
        out[role] = {
            "client_id": client.client_id,
            "client_secret": secret,
            "scopes": " ".join(client.scopes),
            "organisation": org_name,
            "organisation_id": str(org_id),
        }
    return out


def credentials_json(clients: dict[str, Any]) -> bytes:
    return orjson.dumps(clients, option=orjson.OPT_INDENT_2)
