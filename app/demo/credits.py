"""The demo's year of credits, through the ledger, each transfer dated when it happened.

Every month the platform mints into each volunteering organisation's pool what its volunteers will
earn: credits from outside the economy of the organisation's ward (the local multiplier's R1).
Volunteers earn a credit an hour from the pool of the organisation they gave their time to (R2,
where they live in its ward); they spend their credits at businesses a few days later — in their
own ward as often as the ward keeps its money (R3), elsewhere otherwise (R1 of the business's
ward); and at the end of each month every business passes a share of its takings on to a pool in
its ward (R2 again). Riverside keeps its credits moving locally; Northgate's leak away.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.demo.activity import Session, Town, Year, days_of
from app.demo.town import SPENT_ON, WARDS
from app.indicators.periods import add_months
from app.ledger import service as ledger

SPEND_CHANCE = 0.85  # that an earning is (partly) spent, within the week
MINT_MARGIN = 1.1  # minted over what a pool's volunteers will earn in the month


@dataclass(frozen=True)
class Accounts:
    issuance: uuid.UUID
    pools: dict[uuid.UUID, uuid.UUID]  # organisation → its volunteering pool
    operating: dict[uuid.UUID, uuid.UUID]  # business → its operating account
    wallets: dict[uuid.UUID, uuid.UUID]  # volunteer → wallet


async def open_accounts(session: AsyncSession, town: Town, year: Year) -> Accounts:
    """The pools, operating accounts and wallets the year's credits move between."""
    pools = {}
    for o in town.orgs:
        if o["volunteers"]:
            pool = await ledger.create_pool(
                session, Principal(o["id"], None), f"{o['name']} volunteers", {"credits_per_hour": 1}
            )
            pools[o["id"]] = pool.id
    return Accounts(
        issuance=await ledger.platform_account(session, "issuance"),
        pools=pools,
        operating={
            o["id"]: await ledger.operating_account(session, o["id"])
            for o in town.orgs
            if o["sector"] == "commercial"
        },
        wallets={p: await ledger.wallet(session, p) for p in year.volunteers},
    )


def _shop(rng: random.Random, town: Town, ward: int) -> dict[str, Any]:
    """Where a resident of ``ward`` spends: in the ward as often as it keeps its money."""
    local = rng.random() < WARDS[ward].spend_local
    shops = [o for o in town.orgs if o["sector"] == "commercial" and (o["ward"] == ward) == local]
    return rng.choices(shops, weights=[o["pull"] for o in shops])[0]


def _at(day: datetime) -> str:
    return f"{day.year}-{day.month:02d}"


def plan_credits(
    rng: random.Random,
    town: Town,
    home: dict[uuid.UUID, int],
    sessions: list[Session],
    accounts: Accounts,
    first: date,
    today: date,
) -> list[ledger.DatedTransfer]:
    """The year's transfers, in time order, each within what its debit account then holds."""
    cutoff = datetime(today.year, today.month, today.day, tzinfo=UTC)
    events: list[tuple[datetime, int, int, tuple]] = []  # (when, order within a moment, seq, what)
    planned: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    for s in sorted(sessions, key=lambda s: (s.at, s.interaction_id)):
        earned_at = s.at + timedelta(hours=1)
        amount = max(1, s.minutes // 60)
        events.append((earned_at, 1, len(events), ("earn", s, amount)))
        planned[s.org["id"], _at(earned_at)] += amount
        spent_at = earned_at + timedelta(days=rng.randint(0, 7), hours=rng.randint(1, 5))
        if rng.random() < SPEND_CHANCE and spent_at < cutoff:
            shop = _shop(rng, town, home[s.person])
            events.append((spent_at, 2, len(events), ("spend", s.person, shop, rng.uniform(0.3, 0.8))))
    for (org_id, month), amount in sorted(planned.items()):
        start = datetime(int(month[:4]), int(month[5:]), 1, 7, tzinfo=UTC)
        events.append((start, 0, len(events), ("mint", org_id, math.ceil(amount * MINT_MARGIN))))
    for m in range(12):
        month = add_months(first, m)
        if add_months(month, 1) <= today:  # a month over: its takings are known
            end = datetime(month.year, month.month, days_of(month, today), 20, tzinfo=UTC)
            for shop in (o for o in town.orgs if o["sector"] == "commercial"):
                events.append((end, 3, len(events), ("pass_on", shop)))

    held: dict[uuid.UUID, int] = defaultdict(int)
    takings: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    out: list[ledger.DatedTransfer] = []

    def move(at: datetime, code: str, debit: uuid.UUID, credit: uuid.UUID, amount: int, **made: Any) -> None:
        held[debit] -= amount
        held[credit] += amount
        out.append(
            ledger.DatedTransfer(
                uuid.UUID(int=rng.getrandbits(128), version=4), code, amount, debit, credit, at, **made
            )
        )

    for at, _, _, what in sorted(events, key=lambda e: e[:3]):
        if what[0] == "mint":
            _, org_id, amount = what
            reference = f"{town.by_id[org_id]['name']}: volunteering fund for {_at(at)}"
            move(
                at,
                "mint",
                accounts.issuance,
                accounts.pools[org_id],
                amount,
                metadata={"reference": reference},
            )
        elif what[0] == "earn":
            _, s, amount = what
            pool = accounts.pools[s.org["id"]]
            if held[pool] >= amount:
                meta = {"hours": s.minutes / 60, "interaction_id": str(s.interaction_id)}
                move(at, "earn", pool, accounts.wallets[s.person], amount, org_id=s.org["id"], metadata=meta)
        elif what[0] == "spend":
            _, person, shop, fraction = what
            wallet = accounts.wallets[person]
            # at least one credit, at most all but one: a wallet with credits keeps some
            amount = max(1, int(held[wallet] * fraction)) if held[wallet] >= 2 else 0
            if amount:
                description = SPENT_ON.get(shop["name"], "Shopping")
                move(
                    at,
                    "redeem",
                    wallet,
                    accounts.operating[shop["id"]],
                    amount,
                    org_id=shop["id"],
                    metadata={"description": description},
                )
                takings[shop["id"], _at(at)] += amount
        else:
            _, shop = what
            operating = accounts.operating[shop["id"]]
            taken = takings[shop["id"], _at(at)]
            amount = min(held[operating], max(1, int(taken * WARDS[shop["ward"]].pass_on)) if taken else 0)
            local = [o for o in town.orgs if o["ward"] == shop["ward"] and o["id"] in accounts.pools]
            if amount >= 1 and local:
                pool = accounts.pools[rng.choice(local)["id"]]
                move(at, "fund", operating, pool, amount, org_id=shop["id"])
    return out


async def seed_credits(
    session: AsyncSession,
    rng: random.Random,
    town: Town,
    home: dict[uuid.UUID, int],
    year: Year,
    first: date,
    today: date,
) -> int:
    """The year's credits, recorded through the ledger as they happened; how many transfers."""
    accounts = await open_accounts(session, town, year)
    transfers = plan_credits(rng, town, home, year.sessions, accounts, first, today)
    return await ledger.record_history(session, Principal.operator(), transfers)
