"""The demo neighbourhood, seeded as `kith serve --demo` seeds it into a database of its own: every
ward has room to spare behind all ten indicators for the last full month, so that disclosure control
never blanks one; Riverside reads resilient and Northgate brittle; the demo resident has something
on every portal page; and the demo is seeded once, into an empty database only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.auth.principal import Principal
from app.core.config import Settings
from app.core.pagination import PageRequest
from app.db import integrity
from app.db.session import async_url
from app.demo import seed as demo_seed
from app.demo.town import WARDS
from app.indicators import service as indicators
from app.indicators.catalogue import CATALOGUE
from app.indicators.periods import Period
from app.organisations import service as organisations
from app.rewards import cards as rewards_cards
from app.rights import service as rights
from tests.conftest import SERVICE_KEY, fresh_database, make_settings, running_app
from tests.console.conftest import staff_sign_in
from tests.portal import test_browser as portal_browser
from tests.portal.conftest import BASE, free_port, serving, sign_in

# The smallest town whose every ward clears the margins below (`kith serve --demo` seeds 5,000).
PEOPLE = 2000
PEOPLE_MARGIN = 20  # people behind every headline numerator and denominator
ORGANISATION_MARGIN = 10  # organisations behind the sector mix's social count (the demo has 18 social)
CONTRIBUTORS = 8  # to each part of the local multiplier: a sum of fewer is never published
RESILIENT, BRITTLE = "Riverside", "Northgate"
seeded = pytest.mark.slow  # the tests of the seeded town, which share its seeding: half a minute


@dataclass
class Demo:
    app: Any
    settings: Settings
    summary: dict[str, Any]
    url: str


@pytest.fixture(scope="module")
async def demo(server_url, tmp_path_factory):
    async with fresh_database(server_url) as url:
        settings = make_settings(
            url, tmp_path_factory.mktemp("demo"), env="dev", public_url=BASE, portal_address_limit="1000/hour"
        )
        async with running_app(settings) as app:
            summary = await demo_seed.seed_demo(app.state.db, people=PEOPLE, seed=3)
            yield Demo(app, settings, summary, url)


def last_full_month() -> Period:
    return Period.containing(indicators.today(), "month").previous


async def raw(demo: Demo) -> dict[str, dict[str, Any]]:
    """Each ward's unpublished figures for the last full month, from the roll-ups."""
    month = last_full_month()
    out = {}
    for ward in WARDS:
        async with demo.app.state.db.session(platform=True) as session:
            figures = await indicators.raw_figures(session, demo.settings, ward.code, [month], full=False)
        out[ward.name] = figures[month.label]
    return out


def headlines(p: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(numerator, denominator) behind each headline measure but the local multiplier's."""
    organisations_active = p["orgs_public"] + p["orgs_social"] + p["orgs_commercial"]
    return {
        "sector_mix": (p["orgs_social"], organisations_active),
        "cross_sector_ties": (p["ties_cross"], p["ties_total"]),
        "multi_sector_reach": (p["multi_sector"], p["active"]),
        "bridging": (p["ei_external"], p["ei_external"] + p["ei_internal"]),
        "isolation": (p["isolated"], p["residents"]),
        "reciprocity": (p["gave_and_received"], p["gave_or_received"]),
        "volunteering": (p["volunteers"], p["residents"]),
        "repeat_engagement": (p["repeat3"], p["active"]),
        "concentration": (len(p["org_interactions"]), len(p["org_interactions"])),
    }


def share(p: dict[str, Any], code: str) -> float:
    numerator, denominator = headlines(p)[code]
    return numerator / denominator


@seeded
async def test_every_ward_has_room_to_spare_behind_every_indicator(demo):
    for ward, p in (await raw(demo)).items():
        for code, (numerator, denominator) in headlines(p).items():
            least = ORGANISATION_MARGIN if code == "sector_mix" else PEOPLE_MARGIN
            assert numerator >= least and denominator >= PEOPLE_MARGIN, (ward, code, numerator, denominator)
        # no organisation dominates the ward's interactions (the concentration's dominance rule)
        loads = p["org_interactions"]
        assert max(loads) <= 0.4 * sum(loads), (ward, loads[:3], sum(loads))
        for part in ("lm_r1", "lm_r2", "lm_r3"):
            flow = p[part]
            largest, second = [*flow["top"], 0, 0][:2]
            assert flow["n"] >= CONTRIBUTORS, (ward, part, flow)
            assert largest <= flow["sum"] / 2, (ward, part, flow)
            assert flow["sum"] - largest - second >= 0.1 * largest, (ward, part, flow)  # the p% rule


@seeded
async def test_riverside_reads_resilient_and_northgate_brittle(demo):
    figures = await raw(demo)
    resilient, brittle = figures[RESILIENT], figures[BRITTLE]
    assert share(resilient, "isolation") < share(brittle, "isolation")
    assert share(resilient, "bridging") > share(brittle, "bridging")
    assert share(resilient, "cross_sector_ties") > share(brittle, "cross_sector_ties")
    assert share(resilient, "multi_sector_reach") > share(brittle, "multi_sector_reach")
    assert share(resilient, "volunteering") > share(brittle, "volunteering")
    lm3 = {
        w: sum(p[k]["sum"] for k in ("lm_r1", "lm_r2", "lm_r3")) / p["lm_r1"]["sum"]
        for w, p in figures.items()
    }
    assert lm3[RESILIENT] > lm3[BRITTLE], lm3


@seeded
async def test_every_ward_publishes_all_ten_and_the_console_finds_the_resident(demo):
    clients = demo.summary["clients"]
    assert set(clients) == {"platform", "council", "charity", "business", "analyst"}
    assert "admin" in clients["platform"]["scopes"].split()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=demo.app), base_url=BASE) as web:
        analyst = clients["analyst"]
        token = await web.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(analyst["client_id"], analyst["client_secret"]),
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        wards = (await web.get("/v1/areas", params={"level": "ward"}, headers=headers)).json()
        assert {a["code"] for a in wards["items"]} == {w.code for w in WARDS}
        ratings = {}
        for ward in WARDS:
            values = await web.get(
                "/v1/indicators/values",
                params={"area": ward.code, "period": last_full_month().label},
                headers=headers,
            )
            assert values.status_code == 200, values.text
            published = values.json()["indicators"]
            assert len(published) == 10
            blank = [i["code"] for i in published if i["value"] is None or i["suppressed"]]
            assert not blank, (ward.name, blank)
            ratings[ward.name] = [i["rag"] for i in published]
        assert ratings[RESILIENT].count("green") > ratings[BRITTLE].count("green"), ratings
        assert ratings[BRITTLE].count("red") > ratings[RESILIENT].count("red"), ratings

        # The council's admin signs in to the console and finds the demo resident by name.
        admin = next(e for e, (_, role) in demo_seed.DEMO_STAFF.items() if role == "org_admin")
        signed_in = await staff_sign_in(web, admin)
        assert signed_in.headers["location"] == "/console", signed_in.text
        found = await web.get("/console", params={"q": "Dee Monstraton"})  # sic
        assert ">Dee Monstration</a>" in found.text, found.text


@seeded
async def test_the_demo_resident_has_something_on_every_portal_page(demo):
    async with demo.app.state.db.session(platform=True) as session:
        dee = await session.scalar(
            text(
                "SELECT p.canonical_id FROM person_records r JOIN people p ON p.id = r.person_id "
                "WHERE r.external_ref = 'DEMO-RESIDENT'"
            )
        )
        me = Principal.resident(dee)
        wallet = await rights.rewards(session, me)
        card = await rewards_cards.current_card(session, dee)
        linked = await rights.who_knows_me(session, me)
        reads, _ = await rights.access_log(session, me, PageRequest(limit=25, after=None))
    assert wallet["wallet"]["balance"] > 0
    assert {t["code"] for t in wallet["transfers"]} >= {"earn", "redeem"}
    assert card is not None and card["with_pin"] and not card["locked"]
    active = [c for o in linked for c in o["consents"] if c["status"] == "active"]
    assert len({c["purpose"] for c in active}) >= 2 and len(active) >= 2, linked
    assert len(reads) >= 1 and {r["organisation"] for r in reads} >= {"Riverside Food Bank"}, reads

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=demo.app), base_url=BASE) as web:
        await sign_in(web, demo_seed.DEMO_RESIDENT_EMAIL)
        overview = await web.get("/portal")
        assert overview.status_code == 200 and "Hello, Dee" in overview.text
        assert "Riverside Food Bank" in (await web.get("/portal/access-log")).text
        assert "Riverside Community Garden" in (await web.get("/portal/rewards")).text
        assert "Riverside Health Centre" in (await web.get("/portal/organisations")).text


@seeded
async def test_the_demo_holds_together(demo):
    """`kith db check` on the seeded town: a year of dated credits keeps the ledger's invariants."""
    engine = create_async_engine(async_url(demo.url))
    try:
        async with AsyncSession(engine) as session:
            await session.execute(text("SELECT kith_begin(NULL, true, NULL, :key)"), {"key": SERVICE_KEY})
            findings = await integrity.check(session)
            transfers = await session.scalar(text("SELECT count(*) FROM ledger_transfers"))
    finally:
        await engine.dispose()
    assert not findings, [(f.check, f.count, f.examples) for f in findings]
    assert transfers == demo.summary["transfers"] > 1000


@seeded
async def test_the_demo_is_seeded_once(demo):
    assert await demo_seed.seed_demo(demo.app.state.db, people=PEOPLE, seed=3, empty_only=True) is None
    async with demo.app.state.db.session(platform=True) as session:
        assert await demo_seed.demo_state(session) == "demo"


async def test_serve_demo_refuses_a_database_holding_anything_else(server_url, tmp_path):
    async with fresh_database(server_url) as url, running_app(make_settings(url, tmp_path)) as app:
        async with app.state.db.session(platform=True) as session:
            assert await demo_seed.demo_state(session) == "empty"
            # an organisation of someone's own, even one named as the demo's council
            await organisations.create_organisation(
                session, Principal.operator(), name=demo_seed.MARKER, sector="public", kind="council"
            )
        async with app.state.db.session(platform=True) as session:
            assert await demo_seed.demo_state(session) == "other"
        with pytest.raises(demo_seed.NotEmpty, match="not the demo's"):
            await demo_seed.seed_demo(app.state.db, people=50, empty_only=True)
        async with app.state.db.session(platform=True) as session:
            assert await demo_seed.demo_state(session) == "other"  # nothing of the demo's was written


@seeded
async def test_a_new_analyst_reads_the_place_at_insights_without_a_token(demo, tmp_path):
    """As `kith serve --demo` runs (the indicators public): the overview of the last full month has
    every ward and every indicator published, and the resilient ward's radar has no gap."""
    settings = make_settings(demo.url, tmp_path, env="dev", public_url=BASE, indicators_public=True)
    async with (
        running_app(settings) as app,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as web,
    ):
        month = last_full_month().label
        page = await web.get("/insights")
        assert page.status_code == 200, page.text
        assert f"wards, {month}" in page.text  # the latest full month by default
        rows = page.text.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
        assert len(rows) == len(WARDS)
        for ward, row in zip(sorted(w.name for w in WARDS), rows, strict=True):
            assert ward in row
            assert row.count("<td") == 10 and "Suppressed" not in row and "Not available" not in row
        resilient = next(w for w in WARDS if w.name == RESILIENT)
        area = await web.get(f"/insights/areas/{resilient.code}")
        radar = area.text.split("<svg", 1)[1].split("</svg>")[0]
        assert ">suppressed<" not in radar and ">not available<" not in radar  # no gap's marker


@seeded
@pytest.mark.browser
@pytest.mark.skipif(portal_browser.CHROMIUM is None, reason="no Chromium (see tests/portal/test_browser.py)")
async def test_in_a_browser_the_overview_shows_every_demo_ward_and_indicator(demo, tmp_path):
    """Real Chromium on the demo town, the indicators public: the table of the last full month has
    every ward and every indicator, none withheld, and the page passes axe-core."""
    from axe_playwright_python.async_playwright import Axe
    from playwright.async_api import async_playwright

    port = free_port()
    settings = make_settings(
        demo.url, tmp_path, env="dev", public_url=f"http://localhost:{port}", indicators_public=True
    )
    async with serving(settings, port), async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=portal_browser.CHROMIUM, args=["--no-sandbox"]
        )
        page = await browser.new_page(base_url=f"http://localhost:{port}")
        await page.goto("/insights")
        table = page.get_by_role("table")
        assert last_full_month().label in await page.locator("h1").inner_text()
        for ward in WARDS:
            row = table.get_by_role("row", name=re.compile(ward.name))
            cells = await row.locator("td").all_inner_texts()
            assert len(cells) == len(CATALOGUE), ward.name
            assert not [c for c in cells if "Suppressed" in c or "Not available" in c], (ward.name, cells)
        results = await Axe().run(page, options=portal_browser.WCAG)
        assert not results.violations_count, results.generate_report()
        await browser.close()
