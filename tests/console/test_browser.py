"""The staff console in a real browser (Debian's Chromium through Playwright) against a real Kith
server on loopback: a caseworker's journey, what the resident then sees, single sign-on through a
real OpenID Connect provider's own pages, and an axe-core scan of every console page. Skipped
without a browser, as the portal's."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import text

from app.auth.keys import SigningKey
from app.auth.principal import Principal
from app.console.service import SSO_CALLBACK
from app.organisations import service as organisations
from tests.console import test_sso
from tests.factories import org_with_token, unique_resident
from tests.portal import test_browser as portal_browser

# The portal's browser fixtures and markers: a real server on loopback, Chromium, the API client.
pytestmark = portal_browser.pytestmark
server, browser, page = portal_browser.server, portal_browser.browser, portal_browser.page
api, platform = portal_browser.api, portal_browser.platform
WCAG, browser_sign_in = portal_browser.WCAG, portal_browser.browser_sign_in

SCOPES = "people:read people:write consent:read consent:write interactions:read interactions:write"


async def staff_of_a_food_bank(platform, api, role: str = "caseworker"):
    """A food bank that registered a resident through its API, and a member of its staff:
    (the resident's email, their family name, the food bank's person id, the staff email)."""
    org_id, headers = await org_with_token(platform, SCOPES, sector="social", kind="food_bank")
    body = unique_resident(verified=["email"], phone=None)
    registered = await api.post("/v1/people", json=body, headers=headers)
    assert registered.status_code == 201, registered.text
    email = f"caseworker.{body['family_name'].lower()}@foodbank.example.org"
    async with platform.app.state.db.session(platform=True) as session:
        await organisations.invite_staff(session, Principal.operator(), org_id, email=email, role=role)
    return body["email"], body["family_name"], registered.json()["person_id"], email


async def console_sign_in(page, email: str) -> None:
    await page.goto("/console/sign-in")
    await page.get_by_label("Work email address").fill(email)
    await page.get_by_role("button", name="Email me a code").click()
    await page.wait_for_url("**/console/sign-in/code*")
    outbox = await page.context.new_page()
    await outbox.goto("/dev/outbox")
    message = outbox.locator("article.message", has_text=email).first
    code = re.search(r"console sign-in code: (\d{6})", await message.inner_text()).group(1)
    await outbox.close()
    await page.get_by_label("Sign-in code").fill(code)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r".*/console$"))


class TestCaseworkerJourney:
    async def test_sign_in_find_read_log_record_and_the_resident_sees_the_role(self, page, api, platform):
        resident, family, person_id, staff = await staff_of_a_food_bank(platform, api)
        await console_sign_in(page, staff)
        misspelt = family[:-1] + ("x" if family[-1] != "x" else "y")
        await page.get_by_label("Name, date of birth, postcode, phone, email or your reference").fill(
            f"Margaret {misspelt}"
        )
        await page.get_by_role("button", name="Search").click()
        await page.get_by_role("link", name=re.compile(family)).click()
        await page.wait_for_url(f"**/console/people/{person_id}")
        await page.get_by_label("Reading for").select_option("service_delivery")
        await page.get_by_role("button", name="Read for this purpose").click()
        await page.get_by_role("heading", name="What you may see").wait_for()
        assert family in await page.locator("main").inner_text()
        # Record the consent she gave at the counter, then log today's visit.
        await page.get_by_label("Your name and date of birth").check()
        await page.get_by_label("Your contacts with other organisations").check()
        await page.get_by_label("Where the evidence is kept").fill("signed form, drawer 2")
        await page.get_by_role("button", name="Record consent").click()
        await page.get_by_text("The consent has been recorded.").wait_for()
        await page.get_by_label("When").fill("2026-11-30T10:30")
        await page.get_by_label("Note (your organisation's own)").fill("Food parcel and a chat")
        await page.get_by_role("button", name="Log it").click()
        await page.get_by_text("The visit has been logged.").wait_for()
        assert "Food parcel and a chat" in await page.locator("main").inner_text()
        # The resident, in the portal, sees who looked: the food bank and the role, not the person.
        await page.get_by_role("button", name="Sign out").click()
        await browser_sign_in(page, resident)
        await page.goto("/portal/access-log")
        looked = await page.locator("main").inner_text()
        assert "(a caseworker)" in looked and staff not in looked


class TestOrganisationAdminJourney:
    async def test_an_admin_creates_and_rotates_a_client_and_the_old_secret_stops_working(
        self, page, api, platform
    ):
        _, _, _, admin = await staff_of_a_food_bank(platform, api, role="org_admin")
        await console_sign_in(page, admin)
        await page.get_by_role("link", name="Your organisation").click()
        await page.get_by_label("Name (what it is for)").fill("the till")
        await page.get_by_label("Read people's consented profiles", exact=False).check()
        await page.get_by_role("button", name="Create the client").click()
        heading = await page.get_by_role("heading", name=re.compile("New API client")).inner_text()
        client_id = heading.split()[-1]
        first = await page.get_by_label("Client secret").input_value()

        async def token(secret: str) -> int:
            response = await api.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
            )
            return response.status_code

        assert await token(first) == 200
        await page.get_by_role("button", name=f"New secret for {client_id}").click()
        second = await page.get_by_label("Client secret").input_value()
        assert second != first
        assert await token(first) == 401 and await token(second) == 200


@pytest.fixture(scope="module")
def provider():
    yield from test_sso.run_provider()


class TestSingleSignOn:
    async def test_a_caseworker_signs_in_with_their_councils_account(
        self, page, api, platform, server, provider, data_dir
    ):
        org_id, _ = await org_with_token(platform, SCOPES, sector="public", kind="council")
        email = f"caseworker.{uuid.uuid4().hex[:8]}@council.example.org"
        client_id, secret = await provider.register(redirect_uri=server + SSO_CALLBACK)
        platform.app.db.services["signing_key"] = SigningKey.load_or_create(data_dir)  # the server's
        async with platform.app.state.db.session(platform=True) as session:
            await organisations.invite_staff(
                session, Principal.operator(), org_id, email=email, role="caseworker"
            )
            await organisations.set_sso(
                session,
                Principal.operator(),
                org_id,
                issuer=provider.url,
                client_id=client_id,
                client_secret=secret,
            )
        await provider.person("caseworker-7", email=email, email_verified=True)
        await page.goto("/console/sign-in")
        await page.get_by_label("Work email address").fill(email)
        await page.get_by_role("button", name="Sign in with your organisation's account").click()
        await page.get_by_placeholder("sub").fill("caseworker-7")  # the provider's own page
        await page.get_by_role("button", name="Authorize").click()
        await page.wait_for_url(re.compile(r".*/console$"))
        assert email in await page.locator("header").inner_text()


class TestAccessibility:
    async def test_every_console_page_passes_axe_at_wcag_a_and_aa(self, page, api, platform):
        from axe_playwright_python.async_playwright import Axe

        axe = Axe()
        _, family, person_id, staff = await staff_of_a_food_bank(platform, api)
        problems: dict[str, str] = {}

        async def scan(name: str) -> None:
            results = await axe.run(page, options=WCAG)
            if results.violations_count:
                problems[name] = results.generate_report()

        await page.goto("/console/sign-in")
        await scan("sign in")
        await page.get_by_role("button", name="Email me a code").click()
        await scan("sign in, with an error")
        await page.goto("/console/sso/callback?state=not-this-browsers&code=x")
        await scan("single sign-on refused")
        await console_sign_in(page, staff)
        await scan("find")
        await page.goto(f"/console?q={family}")
        await scan("find, with results")
        await page.goto(f"/console/people/{person_id}")
        await scan("a resident, no purpose yet")
        await page.get_by_label("Reading for").select_option("service_delivery")
        await page.get_by_role("button", name="Read for this purpose").click()
        await page.get_by_role("heading", name="What you may see").wait_for()
        await scan("a resident")
        await page.get_by_role("button", name="Log it").click()  # no time: the error summary
        await scan("a resident, with an error")
        await page.get_by_role("button", name="Issue a card").click()
        await page.get_by_role("status").filter(has_text="Hand this code").wait_for()
        await scan("a resident, with a card to hand over")
        await page.goto("/console/organisations")
        await scan("your organisations")
        _, _, _, admin = await staff_of_a_food_bank(platform, api, role="org_admin")
        await page.context.clear_cookies()
        await console_sign_in(page, admin)
        await page.goto("/console/admin")
        await scan("your organisation")
        await page.get_by_role("button", name="Create the client").click()  # nothing chosen: an error
        await scan("your organisation, with an error")
        assert not problems, "\n\n".join(f"{name}:\n{report}" for name, report in problems.items())


class TestReviewQueue:
    async def test_a_caseworker_clears_three_pairs_with_the_keyboard(self, page, api, platform):
        from axe_playwright_python.async_playwright import Axe

        from tests.people.test_endpoints import doubted, resident

        org_id, headers = await org_with_token(platform, SCOPES, sector="social", kind="food_bank")
        pairs = []
        for _ in range(3):
            her = resident()
            first = await api.post("/v1/people", json=her, headers=headers)
            held = await api.post("/v1/people", json=doubted(her), headers=headers)
            assert held.status_code == 202, held.text
            pairs.append((first.json()["person_id"], held.json()["person_id"], her))
        # Each record of the first pair has a contact of its own; the resident's grant lets the
        # food bank read a timeline for service delivery.
        for person, note in zip(pairs[0][:2], ("Food parcel", "Benefits advice"), strict=True):
            logged = await api.post(
                "/v1/interactions",
                json={"person_id": person, "kind": "visit", "occurred_at": "2026-11-02T10:00:00Z",
                      "external_id": uuid.uuid4().hex, "attributes": {"note": note}},
                headers=headers,
            )  # fmt: skip
            assert logged.status_code == 201, logged.text
        consent = {"purpose": "service_delivery", "categories": ["identity", "interactions"],
                   "method": "recorded_by_org", "evidence": {"kind": "verbal", "reference": "at the desk"}}  # fmt: skip
        granted = await api.post(f"/v1/people/{pairs[0][0]}/consents", json=consent, headers=headers)
        assert granted.status_code == 201, granted.text
        email = f"reviewer.{uuid.uuid4().hex[:8]}@foodbank.example.org"
        async with platform.app.state.db.session(platform=True) as session:
            await organisations.invite_staff(
                session, Principal.operator(), org_id, email=email, role="caseworker"
            )
        await console_sign_in(page, email)
        await page.get_by_role("link", name="Possible matches").click()
        await page.get_by_role("button", name=re.compile("^Same person")).wait_for()
        results = await Axe().run(page, options=WCAG)
        assert not results.violations_count, results.generate_report()
        for key, said in (("m", "the same person"), ("d", "different people"), ("s", "Skipped")):
            await page.keyboard.press(key)
            await page.get_by_role("status").filter(has_text=said).wait_for()
        assert "No possible matches are waiting" in await page.locator("main").inner_text()
        # The first pair, merged with M: one timeline holds both records' contacts.
        first, held, _ = pairs[0]
        await page.goto(f"/console/people/{first}")
        await page.get_by_label("Reading for").select_option("service_delivery")
        await page.get_by_role("button", name="Read for this purpose").click()
        await page.get_by_role("heading", name="Timeline").wait_for()
        main = await page.locator("main").inner_text()
        assert "Food parcel" in main and "Benefits advice" in main, "the merged timeline holds both"
        # The second pair, "different people": the same record again is not proposed again.
        again = await api.post("/v1/people", json=doubted(pairs[1][2]), headers=headers)
        assert again.json()["resolution"]["status"] != "review", again.text
        # The first pair is undone from the person's page, with a reason.
        await page.get_by_role("heading", name="Records joined as this person").wait_for()
        results = await Axe().run(page, options=WCAG)
        assert not results.violations_count, results.generate_report()
        await page.get_by_label("Why they are different people").fill("Mother and daughter, same name")
        await page.get_by_role("button", name="Set them apart").click()
        await page.get_by_role("status").filter(has_text="set apart again").wait_for()
        await page.goto(f"/console/people/{held}")
        assert "Records joined as this person" not in await page.locator("main").inner_text()
        async with platform.app.state.db.session(platform=True) as session:
            apart = await session.scalar(
                text(
                    "SELECT count(DISTINCT canonical_id) FROM org_people WHERE org_person_id IN "
                    "(CAST(:a AS uuid), CAST(:b AS uuid))"
                ),
                {"a": first, "b": held},
            )
        assert apart == 2, "the unmerge restored both"


class TestImport:
    async def test_a_caseworker_imports_a_case_systems_export_with_the_columns_chosen_on_the_page(
        self, page, api, platform, tmp_path
    ):
        from axe_playwright_python.async_playwright import Axe

        from app.imports import service as imports
        from tests.imports.test_import import _case_system_file

        org = await platform.make_org()
        email = f"importer.{uuid.uuid4().hex[:8]}@example.org"
        async with platform.app.state.db.session(platform=True) as session:
            await organisations.invite_staff(
                session, Principal.operator(), org.id, email=email, role="caseworker"
            )
        data, _ = _case_system_file(5)
        export = tmp_path / "clients.csv"
        export.write_bytes(data)
        axe, problems = Axe(), {}

        async def scan(name: str) -> None:
            results = await axe.run(page, options=WCAG)
            if results.violations_count:
                problems[name] = results.generate_report()

        await console_sign_in(page, email)
        await page.get_by_role("link", name="Import").click()
        await scan("import")
        await page.get_by_label("CSV file (up to 15 MB)").set_input_files(str(export))
        await page.get_by_role("button", name="Upload and choose columns").click()
        await page.get_by_role("heading", name="The first rows, as they would be imported").wait_for()
        assert "Siân" in await page.locator("main").inner_text()
        await scan("import, columns")
        # The surname column chosen by hand (the guess is changed back and forth), dates the UK way.
        await page.get_by_label("Last name").select_option("Forename")
        await page.get_by_label("Last name").select_option("Surname")
        await page.get_by_label("31/12/1980").check()
        await page.get_by_role("button", name=re.compile("^Import 6 rows")).click()
        await page.get_by_role("status").filter(has_text="Waiting to start").wait_for()
        await scan("import, waiting")
        assert await imports.run_next(platform.app.state.db)  # the worker's turn
        await page.reload()
        await page.get_by_role("status").filter(has_text="5 created").wait_for()
        await scan("import, done")
        async with page.expect_download() as info:
            await page.get_by_role("link", name="Download the report").click()
        report = open(await (await info.value).path(), encoding="utf-8").read()
        assert "rejected" in report and "date_of_birth" in report
        assert not problems, "\n\n".join(f"{name}:\n{report}" for name, report in problems.items())


class TestPlatformReviewQueue:
    async def test_the_platforms_queue_passes_axe_and_the_keys_work(self, page, api, platform):
        from axe_playwright_python.async_playwright import Axe

        from tests.console.test_platform_reviews import _cross_org_pair, _reviewer

        await _cross_org_pair(platform, api)
        email = await _reviewer(platform)
        await console_sign_in_to(page, email, "/console/platform-reviews")
        await page.get_by_role("heading", name="Possible matches across organisations").wait_for()
        await page.get_by_role("button", name=re.compile("^Same person")).wait_for()
        results = await Axe().run(page, options=WCAG)
        assert not results.violations_count, results.generate_report()
        await page.keyboard.press("s")
        await page.get_by_role("status").filter(has_text="Skipped").wait_for()


async def console_sign_in_to(page, email: str, lands: str) -> None:
    """:func:`console_sign_in` for a member of staff whose sign-in lands elsewhere than /console."""
    await page.goto("/console/sign-in")
    await page.get_by_label("Work email address").fill(email)
    await page.get_by_role("button", name="Email me a code").click()
    await page.wait_for_url("**/console/sign-in/code*")
    outbox = await page.context.new_page()
    await outbox.goto("/dev/outbox")
    message = outbox.locator("article.message", has_text=email).first
    code = re.search(r"console sign-in code: (\d{6})", await message.inner_text()).group(1)
    await outbox.close()
    await page.get_by_label("Sign-in code").fill(code)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"**{lands}")
