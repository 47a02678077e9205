"""The portal in a real browser: Debian's Chromium driven by Playwright against a real Kith server
on loopback, with a real PostgreSQL behind it; and an axe-core scan of every page.

Without a browser these tests skip; install one with `apt-get install chromium` (Debian) or point
KITH_TEST_CHROMIUM at a Chromium binary."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from app.main import create_app
from tests.conftest import make_settings
from tests.factories import Platform, org_with_token, unique_resident
from tests.portal.conftest import free_port, serving

CHROMIUM = (
    os.environ.get("KITH_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium: install Debian's (apt-get install chromium) or set KITH_TEST_CHROMIUM to a Chromium binary",
    ),
]
ORG_SCOPES = "people:read people:write consent:read consent:write rewards:redeem interactions:write"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


@pytest.fixture(scope="module")
async def server(database_url, data_dir) -> AsyncIterator[str]:
    """Kith served by uvicorn on loopback, as in development (mail goes to /dev/outbox). The browser
    uses the name localhost, which browsers treat as a secure origin, so Secure cookies work."""
    port = free_port()
    base = f"http://localhost:{port}"
    settings = make_settings(
        database_url,
        data_dir,
        env="dev",
        public_url=base,
        portal_address_limit="100000/hour",
    )
    async with serving(settings, port):
        yield base


@pytest.fixture(scope="module")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        await instance.close()


@pytest.fixture
async def page(browser, server):
    context = await browser.new_context(base_url=server, accept_downloads=True)
    tab = await context.new_page()
    yield tab
    await context.close()


@pytest.fixture
async def api(server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.replace("localhost", "127.0.0.1")) as client:
        yield client


class _App:
    """What tests.factories.Platform needs of an app: its database, here one of the test's own."""

    def __init__(self, database_url: str, data_dir) -> None:
        from app.db.session import Database

        self.settings = make_settings(database_url, data_dir)
        self.db = Database.connect(database_url, self.settings)
        self.state = self


@pytest.fixture
async def platform(database_url, data_dir, api) -> AsyncIterator[Platform]:
    app = _App(database_url, data_dir)
    yield Platform(app, api)
    await app.db.dispose()


async def resident_known_to_a_council(platform: Platform, api: httpx.AsyncClient):
    """A council that registered a resident (email verified) who let it see their identity, contact
    details and address to provide a service (so it sees the resident's own corrections): (headers, the council's person id, email, name)."""
    _, headers = await org_with_token(platform, ORG_SCOPES)
    body = unique_resident(verified=["email"], phone=None)
    body["address"]["postcode"] = "RS1 2AB"  # where the journey moves them from
    body["consent"] = {
        "purpose": "service_delivery",
        "categories": ["identity", "contact", "address"],
        "method": "recorded_by_org",
        "evidence": {"kind": "written", "reference": "form 7"},
    }
    response = await api.post("/v1/people", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return headers, response.json()["person_id"], body["email"], body["family_name"]


async def ask_for_code(page, email: str) -> None:
    await page.goto("/portal/sign-in")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_role("button", name="Email me a code").click()
    await page.wait_for_url("**/portal/sign-in/code*")


async def enter_code_from_outbox(page, email: str, then: str = r".*/portal/?$") -> None:
    """Read the code from the dev outbox in another tab, enter it, and wait to land on ``then``."""
    outbox = await page.context.new_page()
    await outbox.goto("/dev/outbox")
    message = outbox.locator("article.message", has_text=email).first
    code = re.search(r"sign-in code: (\d{6})", await message.inner_text()).group(1)
    await outbox.close()
    await page.get_by_label("Sign-in code").fill(code)
    await page.get_by_role("button", name="Sign in").click()
    try:
        await page.wait_for_url(re.compile(then), timeout=15000)
    except Exception as exc:
        raise AssertionError(f"not signed in; the browser is at {page.url}:\n{await page.content()}") from exc


async def browser_sign_in(page, email: str) -> None:
    await ask_for_code(page, email)
    await enter_code_from_outbox(page, email)


async def read_profile(api, headers, person_id) -> httpx.Response:
    return await api.get(f"/v1/people/{person_id}", params={"purpose": "service_delivery"}, headers=headers)


async def eventually(check, timeout: float = 5.0):
    """Poll ``check`` (an async function returning a truthy value) until it holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.1)


class TestResidentJourney:
    async def test_sign_in_edit_withdraw_see_reads_download_renew_and_erase(self, page, api, platform):
        headers, person_id, email, family = await resident_known_to_a_council(platform, api)
        before = await read_profile(api, headers, person_id)
        assert (
            before.status_code == 200
            and before.json()["attributes"]["address"]["value"]["postcode"] == "RS1 2AB"
        )

        missing: list[str] = []  # every answer of the journey's pages, the icon included, exists
        page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
        await browser_sign_in(page, email)
        assert await page.get_by_role("heading", level=1).inner_text() == "Hello, Margaret"
        assert "with 1 permission in force" in await page.locator("main").inner_text()

        # My details: correct the address; the council now sees the resident's version.
        await page.get_by_role("link", name="My details").first.click()
        await page.get_by_label("Address line 1").fill("4 Orchard Row")
        await page.get_by_label("Postcode").fill("rs2 9zz")
        await page.get_by_label("Phone number").fill("07911 123456")
        await page.get_by_role("button", name="Save my details").click()
        await page.get_by_role("status").filter(has_text="Your details have been saved").wait_for()
        held = await page.locator("table").inner_text()
        assert "4 Orchard Row" in held
        assert "07911 123456" in held and "+44" not in held, "a phone as people write it, not as stored"
        address = (await read_profile(api, headers, person_id)).json()["attributes"]["address"]
        assert address["value"]["line1"] == "4 Orchard Row" and address["value"]["postcode"] == "RS2 9ZZ"
        assert address["source_sector"] == "resident"

        # Who looked: the council's reads through the API are listed.
        async def council_listed():
            await page.goto("/portal/access-log")
            rows = page.locator("tbody tr")
            return await rows.count() >= 2 and "Providing you with a service" in await rows.first.inner_text()

        assert await eventually(council_listed), await page.content()

        # Who knows me: what the council recorded of her, and how its permission was given.
        logged = await api.post(
            "/v1/interactions",
            json={
                "person_id": person_id,
                "kind": "visit",
                "occurred_at": "2025-06-02T10:00:00Z",
                "external_id": uuid.uuid4().hex,
            },
            headers=headers,
        )
        assert logged.status_code == 201, logged.text
        await page.get_by_role("link", name="Who knows me").click()
        known = await page.locator("main").inner_text()
        assert "What it recorded about you" in known and "1 contact with you" in known and "A visit" in known
        assert "(written consent)" in known and "since 2 June 2025" in known
        # Withdraw in one click and a confirmation; the council loses access at once.
        await page.get_by_role("link", name=re.compile("^Withdraw")).click()
        await page.get_by_role("button", name="Yes, withdraw permission").click()
        await page.get_by_role("status").filter(has_text="Permission withdrawn").wait_for()
        # Without the grant the council sees only what it told Kith itself: not the resident's address.
        after = (await read_profile(api, headers, person_id)).json()["attributes"]
        assert after["address"]["value"]["line1"] != "4 Orchard Row"
        assert after["address"]["source_sector"] == "public"

        # My rewards: get a card, then renew it; only the new one works at a till.
        await page.get_by_role("link", name="My rewards").click()
        await page.get_by_role("button", name="Get a card").click()
        ready = page.get_by_role("status").filter(has_text="Your card is ready")
        await ready.wait_for()
        assert "no longer works" not in await ready.inner_text(), "a first card replaces nothing"
        first = await page.locator("code.token").inner_text()
        assert await page.locator(".qr svg").count() == 1
        await page.get_by_role("button", name="Renew my card").click()
        await page.get_by_role("status").filter(has_text="Your new card is ready").wait_for()
        second = await page.locator("code.token").inner_text()
        assert second != first
        assert (
            await api.post("/v1/cards/resolve", json={"card_token": first}, headers=headers)
        ).status_code == 404
        assert (
            await api.post("/v1/cards/resolve", json={"card_token": second}, headers=headers)
        ).status_code == 200

        # Help and the privacy notice, from every page's footer.
        await page.get_by_role("link", name="Help", exact=True).click()
        await page.get_by_role("heading", name="Help with Kith").wait_for()
        await page.get_by_role("link", name="Privacy notice", exact=True).click()
        await page.get_by_role("heading", name="Privacy notice").wait_for()
        assert "ico.org.uk" in await page.locator("main").inner_text()
        assert missing == [], missing

        # My data: the download holds the corrected address and the reads.
        await page.goto("/portal/data")  # (the notice is public, outside the signed-in pages)
        async with page.expect_download() as info:
            await page.get_by_role("link", name="Download my data (JSON)").click()
        download = await info.value
        document = json.loads(open(await download.path(), encoding="utf-8").read())
        assert document["profile"]["attributes"]["address"]["value"]["line1"] == "4 Orchard Row"
        assert any(r["purpose"] == "service_delivery" for r in document["access_log"])

        # Erase, with a confirmation step: afterwards the API cannot find the resident.
        await page.get_by_role("link", name="Erase my account").click()
        await page.get_by_role("button", name="Erase my account").click()
        await page.locator(".error-summary").wait_for()  # not confirmed yet
        await page.get_by_label("I understand, erase my account").check()
        await page.get_by_role("button", name="Erase my account").click()
        await page.get_by_role("heading", name="Your account has been erased").wait_for()
        # Signed out on this very page: neither the residents' navigation nor "Sign out".
        assert await page.get_by_role("button", name="Sign out").count() == 0
        assert await page.get_by_role("navigation").count() == 0
        assert (await read_profile(api, headers, person_id)).status_code == 404
        found = await api.post("/v1/people/search", json={"family_name": family}, headers=headers)
        assert found.status_code == 200 and found.json()["items"] == []
        await page.goto("/portal")
        assert page.url.endswith("/portal/sign-in")


async def _card_from_the_council(platform, org_person_id: str) -> None:
    """A card the resident's council issued them, waiting for them to confirm it (as the console
    leaves one from an organisation the platform does not trust to record consent)."""
    async with platform.app.state.db.session(platform=True) as session:
        await session.execute(
            text(
                "INSERT INTO reward_cards (id, person_id, token_hash, issued_by_org, activated_at) "
                "SELECT :id, op.canonical_id, :h, op.org_id, NULL FROM org_people op WHERE op.org_person_id = :p"
            ),
            {"id": uuid.uuid4(), "h": uuid.uuid4().hex, "p": org_person_id},
        )


class TestNoMailServer:
    async def test_the_sign_in_page_says_so_in_plain_words(self, browser, database_url, data_dir):
        """A server with no SMTP set up (and not in development): the resident is told sign-in is
        not available, in plain words, and no form to send an address into nothing."""
        port = free_port()
        settings = make_settings(database_url, data_dir, public_url=f"http://localhost:{port}")
        instance = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
        )
        task = asyncio.create_task(instance.serve())
        try:
            while not instance.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
            context = await browser.new_context(base_url=f"http://localhost:{port}")
            tab = await context.new_page()
            await tab.goto("/portal/sign-in")
            text = await tab.locator("main").inner_text()
            assert "Signing in by email is not available here yet" in text and "KITH_" not in text
            assert await tab.get_by_label("Email address").count() == 0
            await context.close()
        finally:
            instance.should_exit = True
            await task


class TestRewardsHistory:
    async def test_the_history_says_who_what_for_and_where(self, page, api, platform):
        from tests.ledger.conftest import SCOPES as LEDGER_SCOPES
        from tests.ledger.conftest import make_pool, mint

        council_org = await platform.make_org(name=f"Riverside Council {uuid.uuid4().hex[:4]}")
        creds = await platform.make_client(council_org.id, LEDGER_SCOPES.split())
        council = {"Authorization": f"Bearer {await platform.token(creds)}"}
        pool = await make_pool(api, council)
        await mint(api, await platform.admin_headers(), pool, 100)
        body = unique_resident(verified=["email"], phone=None)
        body["consent"] = {
            "purpose": "rewards",
            "categories": ["rewards"],
            "method": "recorded_by_org",
            "evidence": {"kind": "verbal", "reference": "at the desk"},
        }
        person = (await api.post("/v1/people", json=body, headers=council)).json()["person_id"]
        earned = await api.post(
            "/v1/rewards/earn",
            json={"id": str(uuid.uuid4()), "person_id": person, "pool_id": pool, "hours": 3},
            headers=council,
        )
        assert earned.status_code == 201, earned.text
        await browser_sign_in(page, body["email"])
        await page.get_by_role("link", name="My rewards").click()
        await page.get_by_role("button", name="Get a card").click()
        code = await page.locator("code.token").inner_text()
        cafe_org = await platform.make_org(
            name=f"Mill Lane Cafe {uuid.uuid4().hex[:4]}", sector="commercial", kind="cafe"
        )
        till = await platform.make_client(cafe_org.id, ["rewards:redeem"])
        spent = await api.post(
            "/v1/rewards/redeem",
            json={"id": str(uuid.uuid4()), "card_token": code, "amount": 2, "description": "Tea and cake"},
            headers={"Authorization": f"Bearer {await platform.token(till)}"},
        )
        assert spent.status_code == 201, spent.text
        await page.reload()
        history = await page.locator("table").inner_text()
        assert f"Earned from {council_org.name}, for 3 hours of volunteering" in history
        assert f"Spent at {cafe_org.name}: Tea and cake" in history


OVERFLOWING = """() => {
    const out = [];
    for (const el of document.querySelectorAll('.table-wrap, table, main')) {
        if (el.scrollWidth > el.clientWidth + 1) out.push(el.className || el.tagName);
    }
    if (document.documentElement.scrollWidth > window.innerWidth) {
        // Name what widens it: each element of the page whose hiding ends the overflow.
        const culprits = [...document.querySelectorAll('main *')].filter((e) => {
            const display = e.style.display;
            e.style.display = 'none';
            const fits = document.documentElement.scrollWidth <= window.innerWidth;
            e.style.display = display;
            return fits;
        });
        out.push('the page, widened by ' + culprits.slice(-3).map((e) => e.tagName + '.' + e.className).join(', '));
    }
    return out;
}"""


class TestPhoneWidth:
    async def test_no_table_overflows_its_container_at_390_px(self, page, api, platform):
        headers, person_id, email, _ = await resident_known_to_a_council(platform, api)
        await read_profile(api, headers, person_id)  # a row in "Who looked"
        await page.set_viewport_size({"width": 390, "height": 844})
        await browser_sign_in(page, email)
        await page.goto("/portal/details")
        await page.get_by_label("Phone number").fill("07911 123456")
        await page.get_by_role("button", name="Save my details").click()
        await page.get_by_role("status").filter(has_text="Your details have been saved").wait_for()
        for path in (
            "/portal",
            "/portal/details",
            "/portal/organisations",
            "/portal/access-log",
            "/portal/rewards",
        ):
            await page.goto(path)
            overflowing = await page.evaluate(OVERFLOWING)
            assert not overflowing, f"{path}: {overflowing}"
        # The column's name goes with each value, since the header row is out of sight.
        await page.goto("/portal/details")
        cell = page.locator("td[data-label='Where it came from']").first
        label = await cell.evaluate("el => getComputedStyle(el, '::before').content")
        assert "Where it came from" in label


class TestAccessibility:
    async def test_every_page_passes_axe_at_wcag_a_and_aa(self, page, api, platform):
        from axe_playwright_python.async_playwright import Axe

        axe = Axe()
        headers, person_id, email, _ = await resident_known_to_a_council(platform, api)
        await read_profile(api, headers, person_id)
        problems: dict[str, str] = {}

        async def scan(name: str) -> None:
            results = await axe.run(page, options=WCAG)
            if results.violations_count:
                problems[name] = results.generate_report()

        await page.goto("/portal/sign-in")
        await scan("sign in")
        await page.get_by_role("button", name="Email me a code").click()  # no address: the error summary
        await scan("sign in, with an error")
        await browser_sign_in(page, email)
        await scan("overview")
        for path in (
            "/portal/details",
            "/portal/organisations",
            "/portal/access-log",
            "/portal/rewards",
            "/portal/data",
            "/portal/data/erase",
            "/portal/help",
            "/privacy",
        ):
            await page.goto(path)
            await scan(path)
        await page.goto("/portal/details")
        await page.get_by_label("Postcode").fill("not a postcode")
        await page.get_by_role("button", name="Save my details").click()
        await page.locator(".error-summary").wait_for()
        await scan("details, with an error")
        await page.goto("/portal/rewards")
        await page.get_by_role("button", name="Get a card").click()
        await scan("rewards, with a card")
        await page.get_by_role("button", name="Get a one-time code").click()
        await page.get_by_role("status").filter(has_text="Your one-time code").wait_for()
        await scan("rewards, with a one-time code")
        await _card_from_the_council(platform, person_id)
        await page.goto("/portal/rewards")
        await page.get_by_role("heading", name=re.compile("^Were you given a card")).wait_for()
        await scan("rewards, with a card an organisation issued waiting")
        await page.goto("/portal/organisations")
        await page.get_by_role("link", name=re.compile("^Withdraw")).click()
        await scan("withdraw confirmation")
        # A newcomer's pages: code entry, registration, and erasing the new account.
        await page.context.clear_cookies()
        newcomer = f"new.{uuid.uuid4().hex[:8]}@example.org"
        await ask_for_code(page, newcomer)
        await scan("code")
        await page.get_by_role("button", name="Sign in").click()
        await page.locator(".error-summary").wait_for()
        await scan("code, with an error")
        await enter_code_from_outbox(page, newcomer, then=r".*/portal/register$")
        await scan("register")
        await page.get_by_role("button", name="Register").click()
        await page.locator(".error-summary").wait_for()
        await scan("register, with an error")
        await page.get_by_label("First name").fill("Ada")
        await page.get_by_label("Last name").fill("Quist")
        await page.get_by_role("button", name="Register").click()
        await page.wait_for_url(re.compile(r".*/portal/?$"))
        await page.goto("/portal/data/erase")
        await page.get_by_label("I understand, erase my account").check()
        await page.get_by_role("button", name="Erase my account").click()
        await page.get_by_role("heading", name="Your account has been erased").wait_for()
        await scan("erased")
        # Two people sharing one address: the choice between them.
        shared = f"household.{uuid.uuid4().hex[:8]}@example.org"
        for given in ("Rosa", "Rafael"):
            body = unique_resident(given_name=given, email=shared, verified=["email"], phone=None)
            # A new person, or one held for review against the other (one email, one address): two
            # people either way.
            assert (await api.post("/v1/people", json=body, headers=headers)).status_code in (201, 202)
        await page.context.clear_cookies()
        await ask_for_code(page, shared)
        await enter_code_from_outbox(page, shared, then=r".*/portal/choose$")
        await scan("choose who you are")
        await page.get_by_label("Rafael").check()
        await page.get_by_role("button", name="Continue").click()
        assert await page.get_by_role("heading", level=1).inner_text() == "Hello, Rafael"
        await page.goto("/dev/outbox")
        await scan("dev outbox")
        assert not problems, "\n\n".join(f"{k}:\n{v}" for k, v in problems.items())
        # The scanner is live: an unlabelled field added to the page is caught.
        await page.evaluate("document.querySelector('main').append(document.createElement('input'))")
        assert (await axe.run(page, options=WCAG)).violations_count >= 1

    async def test_the_skip_link_is_the_first_stop_and_focus_is_visible(self, page, server):
        await page.goto("/portal/sign-in")
        await page.keyboard.press("Tab")
        focused = page.locator(":focus")
        assert await focused.inner_text() == "Skip to main content"
        outline = await focused.evaluate("e => getComputedStyle(e).backgroundColor")
        assert outline == "rgb(255, 221, 0)"  # the focus colour
        await page.keyboard.press("Enter")
        # Following the link is a same-page navigation, done after the key press returns.
        await page.wait_for_function("location.hash === '#main'", timeout=5000)
        assert page.url.endswith("#main")
