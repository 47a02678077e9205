"""Each indicator on a small hand-built neighbourhood whose answer is worked out here. Every check
is made on the roll-ups the API reads and on the full computation over the raw tables."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.indicators.neighbourhood import Neighbourhood


def at(y: int, m: int, d: int, hour: int = 11) -> datetime:
    return datetime(y, m, d, hour, tzinfo=UTC)


@pytest.fixture
def hood(app, owner_conn) -> Neighbourhood:
    return Neighbourhood(app, owner_conn)


async def figures(hood: Neighbourhood, area: str, period: str) -> dict:
    """The roll-up's figures, after checking they are the full computation's."""
    await hood.refresh()
    stored = await hood.stored(area, period)
    assert stored == await hood.figures(area, period, full=True)
    assert stored == await hood.figures(area, period)
    return stored


class TestSectorMix:
    async def test_active_organisations_per_sector(self, hood):
        [w] = await hood.areas(1)
        residents = await hood.people(w, 10)
        public = [await hood.org("public") for _ in range(8)]
        social = [await hood.org("social") for _ in range(9)]
        idle = await hood.org("commercial")  # no interaction in the period: not active
        for org in public + social:
            await hood.interact(residents, org, at(2026, 10, 5))
        await hood.interact(residents, idle, at(2026, 9, 5))
        f = await figures(hood, w.ward, "2026-10")
        assert (f["orgs_public"], f["orgs_social"], f["orgs_commercial"], f["residents"]) == (8, 9, 0, 10)


class TestCrossSectorTies:
    async def test_declared_and_shared_resident_ties(self, hood):
        [w] = await hood.areas(1)
        a, d = await hood.org("public"), await hood.org("public")
        b, c, e = await hood.org("social"), await hood.org("commercial"), await hood.org("social")
        g1, g2, g3 = await hood.people(w, 10), await hood.people(w, 5), await hood.people(w, 4)
        for group, orgs in ((g1, (a, b)), (g2, (a, d)), (g3, (c, d))):
            for org in orgs:
                await hood.interact(group, org, at(2026, 10, 7))
        await hood.org_tie(c, d)  # declared, both active: crosses sectors
        await hood.org_tie(a, e)  # e not active in the area: not counted
        # a–b share 10 residents (cross), a–d share 5 (same sector), c–d share only 4 but are declared
        f = await figures(hood, w.ward, "2026-10")
        assert (f["ties_total"], f["ties_cross"]) == (3, 2)


class TestMultiSectorReach:
    async def test_two_sectors_and_public_contact(self, hood):
        [w] = await hood.areas(1)
        council, charity, shop = (
            await hood.org("public"),
            await hood.org("social"),
            await hood.org("commercial"),
        )
        both, shoppers, _idle = await hood.people(w, 10), await hood.people(w, 5), await hood.people(w, 5)
        await hood.interact(both, council, at(2026, 10, 1))
        await hood.interact(both, charity, at(2026, 10, 2))
        await hood.interact(shoppers, shop, at(2026, 10, 3))
        f = await figures(hood, w.ward, "2026-10")
        assert (f["residents"], f["active"], f["multi_sector"], f["public_contact"]) == (20, 15, 10, 10)


class TestBridging:
    async def test_e_i_index_counts_outside_ties(self, hood):
        w, w2 = await hood.areas(2)
        local = await hood.org("social", w)
        shop = await hood.org("commercial", w)
        p = await hood.people(w, 10)
        [q] = await hood.people(w2, 1)
        for person in p:  # two interactions each with the local charity: their main sector is social
            await hood.interact([person], local, at(2026, 10, 1))
            await hood.interact([person], local, at(2026, 10, 2))
        await hood.interact(p[:5], shop, at(2026, 10, 3))  # another sector: outside
        await hood.tie(p[0], p[1])  # inside, for both of them
        await hood.tie(p[2], q)  # outside for p[2]
        f = await figures(hood, w.ward, "2026-10")
        # inside: 10 charity ties + p0→p1 + p1→p0; outside: 5 shop ties + p2→q
        assert (f["ei_internal"], f["ei_external"]) == (12, 6)

    async def test_each_persons_degree_is_capped_at_twenty(self, hood):
        [w] = await hood.areas(1)
        elsewhere = await hood.org("public")  # based in no area: an outside tie
        [hub] = await hood.people(w, 1)
        friends = await hood.people(w, 25)
        await hood.interact([hub], elsewhere, at(2026, 10, 1))
        for friend in friends:
            await hood.tie(hub, friend)
        f = await figures(hood, w.ward, "2026-10")
        # the hub keeps 20 of its 26 ties (people first), so its outside tie goes; each friend has one
        assert (f["ei_internal"], f["ei_external"]) == (20 + 25, 0)


class TestIsolation:
    async def test_no_ties_and_at_most_one_organisation_in_twelve_months(self, hood):
        [w] = await hood.areas(1)
        x, y = await hood.org("public"), await hood.org("commercial")
        alone = await hood.people(w, 10)
        befriended = await hood.people(w, 5)
        busy = await hood.people(w, 5)
        lapsed = await hood.people(w, 3)  # a second organisation, but 13 months ago
        objectors = await hood.people(w, 3, objected=True)
        erased = await hood.people(w, 2, erased=True)
        await hood.interact(alone + befriended + objectors + erased, x, at(2026, 10, 4))
        for person in befriended:
            await hood.tie(person, busy[0])
        await hood.interact(busy, x, at(2026, 1, 4))
        await hood.interact(busy, y, at(2026, 10, 4))
        await hood.interact(lapsed, y, at(2025, 10, 4))
        await hood.interact(lapsed, x, at(2026, 10, 4))
        f = await figures(hood, w.ward, "2026-10")
        # objectors and the erased are not residents for the indicators
        assert (f["residents"], f["isolated"]) == (23, 13)


class TestReciprocity:
    async def test_gave_and_received(self, hood):
        [w] = await hood.areas(1)
        charity, council = await hood.org("social"), await hood.org("public")
        both, served, helpers, earners, _idle = (
            await hood.people(w, 10),
            await hood.people(w, 8),
            await hood.people(w, 4),
            await hood.people(w, 2),
            await hood.people(w, 6),
        )
        today = datetime.now(UTC)
        await hood.interact(both + helpers, charity, today, kind="volunteering", minutes=60)
        await hood.interact(both + served, council, today, kind="service_contact")
        pool = await hood.operating(charity)
        await hood.credits(await hood.issuance(), pool, 100, "mint")
        for person in earners:  # credits received: earning counts as receiving
            await hood.credits(pool, await hood.wallet(person), 5, "earn")
        f = await figures(hood, w.ward, f"{today:%Y-%m}")
        assert (f["gave_or_received"], f["gave_and_received"]) == (24, 10)


class TestVolunteering:
    async def test_share_every_month_and_capped_hours(self, hood):
        [w] = await hood.areas(1)
        charity = await hood.org("social")
        steady, once, tireless, _idle = (
            await hood.people(w, 10),
            await hood.people(w, 5),
            await hood.people(w, 1),
            await hood.people(w, 4),
        )
        for month in (7, 8, 9):
            await hood.interact(steady, charity, at(2026, month, 10), kind="volunteering", minutes=120)
        await hood.interact(once, charity, at(2026, 8, 10), kind="volunteering", minutes=60)
        await hood.interact(tireless, charity, at(2026, 8, 11), kind="volunteering", minutes=200 * 60)
        f = await figures(hood, w.ward, "2026-Q3")
        assert (f["residents"], f["volunteers"], f["volunteers_every_month"]) == (20, 16, 10)
        # 200 hours capped at 40 a month over the quarter: 120 hours
        assert f["volunteer_minutes"] == {
            "n": 16,
            "sum": 10 * 360 + 5 * 60 + 120 * 60,
            "top": [120 * 60, 360],
        }


class TestRepeatEngagement:
    async def test_three_days_and_retention(self, hood):
        [w] = await hood.areas(1)
        a, b = await hood.org("public"), await hood.org("social")
        regulars, twice, september_only = (
            await hood.people(w, 10),
            await hood.people(w, 5),
            await hood.people(w, 8),
        )
        await hood.interact(regulars, a, at(2026, 10, 1))
        await hood.interact(regulars, b, at(2026, 10, 2))
        await hood.interact(regulars, a, at(2026, 10, 3))
        for day in (5, 5, 6, 6):
            await hood.interact(twice, a, at(2026, 10, day))
        await hood.interact(regulars + september_only, b, at(2026, 9, 20))
        f = await figures(hood, w.ward, "2026-10")
        assert (f["active"], f["repeat3"], f["prev_active"], f["retained"]) == (15, 10, 18, 10)


class TestLocalMultiplier:
    async def test_lm3_flows(self, hood):
        [w] = await hood.areas(1)
        council = await hood.org("public", w)
        shops = [await hood.org("commercial", w) for _ in range(3)]
        elsewhere = await hood.org("commercial")
        people = await hood.people(w, 8)
        c_acc, x_acc = await hood.operating(council), await hood.operating(elsewhere)
        s_acc = [await hood.operating(s) for s in shops]
        wallets = [await hood.wallet(p) for p in people]
        issuance = await hood.issuance()
        # R1: into local organisations from outside them: 100 + 40 + 60 + 60
        await hood.credits(issuance, c_acc, 100, "mint")
        await hood.credits(issuance, x_acc, 500, "mint")
        for acc, amount in zip(s_acc, (40, 60, 60), strict=True):
            await hood.credits(x_acc, acc, amount, "fund")
        # R2: passed on locally, to the area's residents: 3 × 10 + 25 + 30 + 20
        for wallet in wallets[:3]:
            await hood.credits(c_acc, wallet, 10, "earn")
        for acc, wallet, amount in zip(s_acc, wallets[5:8], (25, 30, 20), strict=True):
            await hood.credits(acc, wallet, amount, "earn")
        # R3: re-spent locally: 10 + 25 + 30 + 5 (wallet 1 spends outside: not local)
        await hood.credits(wallets[0], s_acc[0], 10, "redeem")
        await hood.credits(wallets[1], x_acc, 5, "redeem")
        await hood.credits(wallets[5], s_acc[1], 25, "redeem")
        await hood.credits(wallets[6], s_acc[2], 30, "redeem")
        await hood.credits(wallets[7], s_acc[0], 5, "redeem")
        f = await figures(hood, w.ward, f"{datetime.now(UTC):%Y-%m}")
        assert _sum_of(f["lm_r1"]) == (4, 260, 100)
        assert _sum_of(f["lm_r2"]) == (4, 105, 30)
        assert _sum_of(f["lm_r3"]) == (4, 70, 30)


class TestConcentration:
    async def test_herfindahl_and_single_organisation(self, hood):
        [w] = await hood.areas(1)
        a, b, c = await hood.org("public"), await hood.org("social"), await hood.org("commercial")
        loyal, mixed = await hood.people(w, 10), await hood.people(w, 10)
        for day in range(1, 7):
            await hood.interact(loyal, a, at(2026, 10, day))
        for day in range(1, 4):
            await hood.interact(mixed, b, at(2026, 10, day))
        await hood.interact(mixed, c, at(2026, 10, 9))
        f = await figures(hood, w.ward, "2026-10")
        assert f["org_interactions"] == [60, 30, 10]  # HHI 0.6² + 0.3² + 0.1² = 4,600
        assert (f["active"], f["single_org"]) == (20, 10)


class TestExclusions:
    async def test_objection_and_erasure_leave_the_indicators(self, hood):
        [w] = await hood.areas(1)
        org = await hood.org("public")
        people = await hood.people(w, 12)
        await hood.interact(people, org, at(2026, 10, 4))
        assert (await figures(hood, w.ward, "2026-10"))["active"] == 12
        await hood.owner.execute(
            "UPDATE people SET research_objection_at = now() WHERE id = ANY($1::uuid[])", people[:2]
        )
        await hood.owner.execute("UPDATE people SET status = 'erased' WHERE id = $1", people[2])
        f = await figures(hood, w.ward, "2026-10")
        assert (f["residents"], f["active"]) == (9, 9)

    async def test_registration_after_the_period_is_not_counted(self, hood):
        [w] = await hood.areas(1)
        await hood.people(w, 9, registered=date(2026, 11, 1))
        await hood.people(w, 10)
        assert (await figures(hood, w.ward, "2026-10"))["residents"] == 10


def _sum_of(part):
    """A sum's contributors, total and largest contribution (its two largest are kept, in order)."""
    top = part["top"]
    assert len(top) == min(2, part["n"]) and top == sorted(top, reverse=True)
    return part["n"], part["sum"], top[0]
