"""The demo residents' year: whom each uses, how often, where they volunteer, whom they know.

Drawn from the ward's description (``town.WARDS``) with the seed's own random generator, so the
same seed gives the same year; written in bulk (hundreds of thousands of rows), as an import of a
year's history would be.
"""

from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import driver_connection
from app.demo.town import KINDS, PARTNERSHIPS, SECTORS, WARDS, Ward
from app.identity import service as identity_service
from app.indicators.periods import add_months

SESSION_MINUTES = (60, 90, 120, 180, 240)
VOLUNTEERS_MONTHLY = 0.85  # chance a volunteer gives time in a given month


@dataclass
class Resident:
    id: uuid.UUID
    ward: int
    household: int  # -1: lives alone
    # The demo resident's own life, instead of a drawn one: organisation names, where she volunteers.
    uses: tuple[str, ...] = ()
    volunteers_at: str | None = None
    # Who they are (``cast``): whether they know anyone, whom they use and how, where they volunteer.
    isolated: bool = False
    repertoire: list[dict[str, Any]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    active: float = 0.0
    volunteer_at: dict[str, Any] | None = None


@dataclass(frozen=True)
class Session:
    """A volunteering session: what credits are earned for."""

    interaction_id: uuid.UUID
    person: uuid.UUID
    org: dict[str, Any]
    at: datetime
    minutes: int


@dataclass
class Year:
    interactions: list[tuple] = field(default_factory=list)
    links: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    sessions: list[Session] = field(default_factory=list)
    volunteers: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)  # person → organisation


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def days_of(month: date, today: date) -> int:
    """The days of ``month`` the year holds: all of a past month, the current one up to yesterday."""
    following = add_months(month, 1)
    if following <= today:
        return (following - timedelta(days=1)).day
    return today.day - 1


class Town:
    """The organisations, indexed the ways residents choose them."""

    def __init__(self, orgs: list[dict[str, Any]]) -> None:
        self.orgs = orgs
        self.by_name = {o["name"]: o for o in orgs}
        self.by_id = {o["id"]: o for o in orgs}
        self.local: dict[tuple[int, str], list[dict]] = {}
        for o in orgs:
            self.local.setdefault((o["ward"], o["sector"]), []).append(o)

    def pick(self, rng: random.Random, ward: int, sector: str, local: float) -> dict[str, Any]:
        """An organisation of ``sector``: one based in ``ward`` with chance ``local``."""
        here = self.local.get((ward, sector), [])
        if here and rng.random() < local:
            return rng.choice(here)
        return rng.choice([o for o in self.orgs if o["sector"] == sector and o["ward"] != ward] or here)

    def lifeline(self, rng: random.Random, ward: Ward) -> dict[str, Any]:
        names, weights = zip(*ward.lifelines, strict=True)
        return self.by_name[rng.choices(names, weights=weights)[0]]

    def volunteering(self, rng: random.Random, ward: int) -> dict[str, Any]:
        """Where a volunteer of ``ward`` gives their time: mostly in the ward."""
        away = rng.random() < WARDS[ward].volunteer_away
        options = [o for o in self.orgs if o["volunteers"] and (o["ward"] != ward) == away]
        return rng.choices(options, weights=[o["volunteers"] for o in options])[0]


def _repertoire(rng: random.Random, town: Town, r: Resident) -> tuple[list[dict], list[float], float]:
    """The organisations a resident uses, how their contacts spread over them, and how likely
    they are to have any in a month."""
    ward = WARDS[r.ward]
    if r.uses:
        chosen = [town.by_name[n] for n in r.uses]
        return chosen, [1.0] * len(chosen), 1.0
    if r.isolated:
        return [town.lifeline(rng, ward)], [1.0], ward.active * 0.6
    own = rng.choices(SECTORS, weights=ward.home)[0]
    chosen: list[dict] = []
    if rng.random() > ward.mix:  # where they turn first, the more so the narrower their lives
        chosen.append(town.lifeline(rng, ward))
    for _ in range(rng.randint(*ward.repertoire)):
        sector = rng.choice([s for s in SECTORS if s != own]) if rng.random() < ward.mix else own
        org = town.pick(rng, r.ward, sector, ward.local)
        if org not in chosen:
            chosen.append(org)
    focus = 0.6 if ward.mix < 0.3 else 0.3
    weights = [focus] + [(1 - focus) / max(1, len(chosen) - 1)] * (len(chosen) - 1)
    return chosen, weights, ward.active


def cast(rng: random.Random, town: Town, residents: list[Resident]) -> None:
    """Who each resident is. The ward's shares of those who know no one and of volunteers are
    dealt out exactly (shuffled, then counted off), not drawn one by one, so that every seed gives
    each ward the character it is described with."""
    wards: dict[int, list[Resident]] = {}
    for r in residents:
        if r.uses:
            r.volunteer_at = town.by_name[r.volunteers_at] if r.volunteers_at else None
        else:
            wards.setdefault(r.ward, []).append(r)
    for w, members in sorted(wards.items()):
        ward = WARDS[w]
        rng.shuffle(members)
        alone = round(ward.isolated * len(members))
        for i, r in enumerate(members):
            r.isolated = i < alone
        for r in members[alone : alone + round(ward.volunteers * (len(members) - alone))]:
            r.volunteer_at = town.volunteering(rng, w)
    for r in residents:
        r.repertoire, r.weights, r.active = _repertoire(rng, town, r)


def plan_year(rng: random.Random, town: Town, residents: list[Resident], first: date, today: date) -> Year:
    """Every resident's contacts and volunteering, month by month from ``first`` to yesterday."""
    year = Year(volunteers={r.id: r.volunteer_at for r in residents if r.volunteer_at})
    months = [add_months(first, m) for m in range(12)]
    for r in residents:
        lo, hi = (1, 2) if r.isolated else WARDS[r.ward].visits
        for month in months:
            last_day = days_of(month, today)
            if last_day < 1:
                continue

            def moment(hour: int, month: date = month, last_day: int = last_day) -> datetime:
                return datetime(month.year, month.month, rng.randint(1, last_day), hour, tzinfo=UTC)

            if rng.random() < r.active:
                for _ in range(rng.randint(lo, hi)):
                    org = rng.choices(r.repertoire, weights=r.weights)[0]
                    kind = rng.choices(*zip(*KINDS[org["sector"]], strict=True))[0]
                    value = rng.randint(150, 4500) if kind == "purchase" else None
                    counterpart = rng.choice(town.orgs)["id"] if kind == "referral" else None
                    year.interactions.append(
                        (
                            _uuid(rng),
                            org["id"],
                            r.id,
                            kind,
                            moment(rng.randint(8, 18)),
                            value,
                            None,
                            counterpart,
                        )
                    )
                    year.links.add((org["id"], r.id))
            if r.volunteer_at and rng.random() < VOLUNTEERS_MONTHLY:
                for _ in range(rng.randint(1, 2)):
                    session = Session(
                        _uuid(rng),
                        r.id,
                        r.volunteer_at,
                        moment(rng.randint(9, 16)),
                        rng.choice(SESSION_MINUTES),
                    )
                    year.sessions.append(session)
                    year.interactions.append(
                        (
                            session.interaction_id,
                            r.volunteer_at["id"],
                            r.id,
                            "volunteering",
                            session.at,
                            None,
                            session.minutes,
                            None,
                        )
                    )
                    year.links.add((r.volunteer_at["id"], r.id))
    return year


def plan_ties(rng: random.Random, residents: list[Resident]) -> list[tuple[str, uuid.UUID, uuid.UUID]]:
    """Person–person ties (type, a, b): households are family; friends mostly within the ward, and
    across the town where the ward is open. Those who know no one have none."""
    ties: list[tuple[str, uuid.UUID, uuid.UUID]] = []
    households: dict[int, list[uuid.UUID]] = {}
    sociable: dict[int, list[uuid.UUID]] = {}
    for r in residents:
        if r.isolated:
            continue
        sociable.setdefault(r.ward, []).append(r.id)
        if r.household >= 0:
            households.setdefault(r.household, []).append(r.id)
    for _, members in sorted(households.items()):
        ties.extend(("family", a, b) for a, b in itertools.pairwise(members))
    for r in residents:
        if r.isolated:
            continue
        ward = WARDS[r.ward]
        expected = ward.friends / 2  # each tie serves two people
        for _ in range(int(expected) + (rng.random() < expected % 1)):
            other_ward = r.ward
            if rng.random() < ward.friends_away:
                others = [i for i in range(len(WARDS)) if i != r.ward]
                other_ward = rng.choices(others, weights=[WARDS[i].friends_away for i in others])[0]
            other = rng.choice(sociable.get(other_ward) or [r.id])
            if other != r.id:
                ties.append((rng.choice(("friend", "neighbour", "carer")), r.id, other))
    return ties


async def write_year(
    session: AsyncSession,
    rng: random.Random,
    council_id: uuid.UUID,
    town: Town,
    year: Year,
    ties: list[tuple[str, uuid.UUID, uuid.UUID]],
    since: date,
) -> None:
    """The year's interactions, ties, volunteers and partnerships, in bulk."""
    await identity_service.issue_org_ids(session, sorted(year.links))
    conn = await driver_connection(session)
    for i in range(0, len(year.interactions), 20_000):
        chunk = year.interactions[i : i + 20_000]
        await conn.execute(
            "INSERT INTO interactions (id, org_id, person_id, kind, occurred_at, value_pence, duration_minutes, "
            "counterpart_org_id, channel) SELECT *, 'in_person' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], "
            "$4::text[], $5::timestamptz[], $6::int8[], $7::int4[], $8::uuid[])",
            *[list(col) for col in zip(*chunk, strict=True)],
        )
    await conn.execute(
        "INSERT INTO relationships (id, org_id, kind, type, person_id, other_person_id, started_on, evidence) "
        'SELECT id, $1, \'person_person\', t, a, b, $2, \'{"kind": "verbal", "reference": "demo"}\' '
        "FROM unnest($3::uuid[], $4::text[], $5::uuid[], $6::uuid[]) AS x(id, t, a, b)",
        council_id,
        since,
        [_uuid(rng) for _ in ties],
        *[list(col) for col in zip(*ties, strict=True)],
    )
    partnerships = [
        (_uuid(rng), town.by_name[a]["id"], kind, town.by_name[b]["id"]) for a, b, kind in PARTNERSHIPS
    ]
    await conn.execute(
        "INSERT INTO relationships (id, org_id, kind, type, organisation_id, other_organisation_id, started_on) "
        "SELECT id, a, 'organisation_organisation', t, a, b, $5 FROM unnest($1::uuid[], $2::uuid[], $3::text[], "
        "$4::uuid[]) AS x(id, a, t, b)",
        *[list(col) for col in zip(*partnerships, strict=True)],
        since,
    )
    await conn.execute(
        "INSERT INTO relationships (id, org_id, kind, type, person_id, organisation_id, started_on) "
        "SELECT gen_random_uuid(), o, 'person_organisation', 'volunteer', p, o, $3 "
        "FROM unnest($1::uuid[], $2::uuid[]) AS x(p, o)",
        list(year.volunteers),
        [o["id"] for o in year.volunteers.values()],
        since,
    )
