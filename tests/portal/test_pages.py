"""The portal's pages over HTTP: what a resident does there reaches the API, and what organisations
do through the API shows there."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import text

from app.auth.principal import Principal
from app.rights import service as rights
from tests.factories import org_with_token, unique_resident
from tests.ledger.conftest import SCOPES, make_pool, mint
from tests.portal.conftest import known_resident, post_form, sign_in


class TestGrant:
    async def test_a_grant_given_in_the_portal_lets_the_organisation_see(self, web, platform):
        org_id, headers, person, email = await known_resident(platform, web)
        await sign_in(web, email)
        await post_form(web, "/portal/details", "/portal/details", {"preferred_name": "Peggy"})
        read = await web.get(f"/v1/people/{person}", params={"purpose": "offers"}, headers=headers)
        assert "preferred_name" not in read.json()["attributes"]
        done = await post_form(
            web,
            "/portal/organisations",
            f"/portal/organisations/{org_id}/grant",
            {"purpose": "offers", "categories": ["identity"]},
        )
        assert done.headers["location"] == "/portal/organisations?notice=granted"
        read = await web.get(f"/v1/people/{person}", params={"purpose": "offers"}, headers=headers)
        assert read.json()["attributes"]["preferred_name"]["value"] == "Peggy"
        page = (await web.get("/portal/organisations")).text
        assert "Telling you about offers from local businesses" in page

    async def test_a_grant_with_nothing_chosen_is_named(self, web, platform):
        org_id, _, _, email = await known_resident(platform, web)
        await sign_in(web, email)
        response = await post_form(
            web, "/portal/organisations", f"/portal/organisations/{org_id}/grant", {"purpose": "offers"}
        )
        assert response.status_code == 422
        assert "Choose at least one kind of information" in response.text


class TestWhoKnowsMe:
    async def test_what_each_organisation_recorded_and_how_its_permission_was_given(self, web, platform):
        org_id, _, person, email = await known_resident(platform, web)
        client = await platform.make_client(
            org_id, ["interactions:write", "consent:write", "relationships:write"]
        )
        writer = {"Authorization": f"Bearer {await platform.token(client)}"}
        for when, kind in (("2025-03-02T10:00:00Z", "visit"), ("2026-11-30T10:00:00Z", "service_contact")):
            logged = await web.post(
                "/v1/interactions",
                json={
                    "person_id": person,
                    "kind": kind,
                    "occurred_at": when,
                    "external_id": uuid.uuid4().hex,
                },
                headers=writer,
            )
            assert logged.status_code == 201, logged.text
        recorded = await web.post(
            f"/v1/people/{person}/consents",
            json={
                "purpose": "case_coordination",
                "categories": ["contact"],
                "method": "recorded_by_org",
                "evidence": {"kind": "verbal", "reference": "at the desk"},
            },
            headers=writer,
        )
        assert recorded.status_code == 201, recorded.text
        tie = await web.post(
            "/v1/relationships",
            json={"type": "volunteer", "person_id": person, "started_on": "2024-09-01"},
            headers=writer,
        )
        assert tie.status_code == 201, tie.text
        await sign_in(web, email)
        page = (await web.get("/portal/organisations")).text
        assert "What it recorded about you" in page and "2 contacts with you" in page
        assert "A relationship: volunteer, since 2024-09-01" in page
        assert "A visit" in page and "A call, message or appointment" in page
        # Since its first contact with them, not since Kith linked the record (just now).
        assert re.search(r"holds a record of you since <time[^>]*>2 March 2025", page)
        assert "(verbal consent)" in page


class TestWhoLooked:
    async def test_reads_are_listed_newest_first_a_page_at_a_time(self, web, platform, portal_app):
        _, headers, person, email = await known_resident(platform, web)
        for _ in range(27):
            await web.get(f"/v1/people/{person}", params={"purpose": "service_delivery"}, headers=headers)
        await sign_in(web, email)

        async def rows(html: str) -> int:
            return html.count('<tr><td data-label="When">')

        # The access log is written in the background: write out all 27 now (waiting until a page
        # showed 26 once let the second page be read before the last entry was written).
        first = (await web.get("/portal/access-log")).text
        assert await rows(first) == 25 and "Older entries" in first
        older = re.search(r'href="(/portal/access-log\?after=[^"]+)"', first).group(1)
        second = (await web.get(older.replace("&amp;", "&"))).text
        assert await rows(second) == 2 and "Older entries" not in second


class TestResearch:
    async def test_objecting_and_lifting_the_objection(self, web, platform, owner_conn):
        _, _, person, email = await known_resident(platform, web)
        await sign_in(web, email)
        objected = await post_form(web, "/portal/data", "/portal/data/research", {"objecting": "yes"})
        assert objected.headers["location"] == "/portal/data?notice=objected"
        assert "You objected to research on" in (await web.get("/portal/data")).text
        canonical = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(person)
        )
        assert await owner_conn.fetchval("SELECT research_objection_at FROM people WHERE id = $1", canonical)
        await post_form(web, "/portal/data", "/portal/data/research", {"objecting": "no"})
        assert (
            await owner_conn.fetchval("SELECT research_objection_at FROM people WHERE id = $1", canonical)
            is None
        )


async def _org_name(platform, org_id) -> str:
    async with platform.app.state.db.session(platform=True) as session:
        from sqlalchemy import text

        return await session.scalar(text("SELECT name FROM organisations WHERE id = :o"), {"o": org_id})


class TestRewards:
    async def test_credits_earned_show_as_balance_and_history(self, web, platform):
        admin = await platform.admin_headers()
        _, council = await org_with_token(platform, SCOPES)
        pool = await make_pool(web, council)
        await mint(web, admin, pool, 100)
        body = unique_resident(verified=["email"], phone=None)
        body["consent"] = {
            "purpose": "rewards",
            "categories": ["rewards"],
            "method": "recorded_by_org",
            "evidence": {"kind": "verbal", "reference": "at the desk"},
        }
        person = (await web.post("/v1/people", json=body, headers=council)).json()["person_id"]
        earned = await web.post(
            "/v1/rewards/earn",
            json={"id": str(uuid.uuid4()), "person_id": person, "pool_id": pool, "hours": 3},
            headers=council,
        )
        assert earned.status_code == 201, earned.text
        await sign_in(web, body["email"])
        page = (await web.get("/portal/rewards")).text
        assert "<strong>3</strong> credits to spend" in page
        assert "Earned from " in page and "for 3 hours of volunteering" in page and "+3" in page
        overview = (await web.get("/portal")).text
        assert "Your balance is <strong>3</strong> credits" in overview
        # The count of permissions in force, not the page's name (a template variable once hid it).
        assert "with <strong>1</strong> permission in force" in overview

    async def test_a_one_time_code_from_the_rewards_page_spends_once_and_is_told(self, web, platform):
        admin = await platform.admin_headers()
        council_id, council = await org_with_token(platform, SCOPES)
        pool = await make_pool(web, council)
        await mint(web, admin, pool, 100)
        body = unique_resident(verified=["email"], phone=None)
        body["consent"] = {
            "purpose": "rewards",
            "categories": ["rewards"],
            "method": "recorded_by_org",
            "evidence": {"kind": "verbal", "reference": "at the desk"},
        }
        person = (await web.post("/v1/people", json=body, headers=council)).json()["person_id"]
        await web.post(
            "/v1/rewards/earn",
            json={"id": str(uuid.uuid4()), "person_id": person, "pool_id": pool, "amount": 10},
            headers=council,
        )
        await sign_in(web, body["email"])
        page = await post_form(web, "/portal/rewards", "/portal/rewards/spend-code", {})
        assert page.status_code == 200, page.text
        code = re.search(
            r'one-time code: <code class="token">([0-9A-Z]{3}-[0-9A-Z]{3})</code>', page.text
        ).group(1)

        def spend(amount):
            return web.post(
                "/v1/rewards/redeem",
                json={
                    "id": str(uuid.uuid4()),
                    "person_id": person,
                    "resident_code": code,
                    "amount": amount,
                    "description": "Bus fare",
                },
                headers=council,
            )

        assert (await spend(4)).status_code == 201
        assert (await spend(1)).status_code == 403  # once only
        rewards = (await web.get("/portal/rewards")).text
        assert "<strong>6</strong> credits to spend" in rewards
        # The history says where and what for, not only "Spent".
        name = await _org_name(platform, council_id)
        assert f"Spent at {name}: Bus fare" in rewards and f"Earned from {name}" in rewards
        outbox = (await web.get("/dev/outbox")).text
        assert "You spent 4 credits of your Kith rewards" in outbox and "Bus fare" in outbox


class TestResidentScope:
    async def test_a_page_that_asked_for_someone_else_would_find_no_one(self, web, platform, monkeypatch):
        # A resident's page runs in her own scope under row-level security: were a rights function
        # handed another person (a bug), the database would still show her page nothing of theirs.
        _, _, _, email = await known_resident(platform, web)
        _, headers, theirs, _ = await known_resident(platform, web, family_name="Okonkwo-Baptiste")
        other = (
            await web.get(f"/v1/people/{theirs}", params={"purpose": "service_delivery"}, headers=headers)
        ).json()
        assert other["attributes"]["family_name"]["value"] == "Okonkwo-Baptiste"
        await sign_in(web, email)
        assert (await web.get("/portal/details")).status_code == 200
        async with platform.app.state.db.session(platform=True) as session:
            person = await session.scalar(
                text("SELECT canonical_id FROM org_people WHERE org_person_id = :id"), {"id": theirs}
            )
        real_profile = rights.profile
        monkeypatch.setattr(
            rights, "profile", lambda session, _me: real_profile(session, Principal.resident(person))
        )
        page = await web.get("/portal/details")
        assert "Okonkwo-Baptiste" not in page.text
        assert page.status_code == 404


class TestIcon:
    async def test_every_page_names_an_icon_that_is_served(self, web):
        for page in ("/portal/sign-in", "/console/sign-in"):
            assert 'rel="icon" href="/portal/static/favicon.svg"' in (await web.get(page)).text, page
        icon = await web.get("/portal/static/favicon.svg")
        assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
        asked = await web.get("/favicon.ico")
        assert asked.status_code == 301 and asked.headers["location"] == "/portal/static/favicon.svg"


class TestPrivacyAndHelp:
    async def test_the_default_notice_is_written_from_what_kith_knows(self, web, platform):
        org = await platform.make_org(name=f"Riverside Surgery {uuid.uuid4().hex[:6]}")
        page = await web.get("/privacy")  # where consent receipts' policyUrl points by default
        assert page.status_code == 200
        assert org.name in page.text and "Providing you with a service you asked for" in page.text
        assert "Your name and date of birth" in page.text and "ico.org.uk/make-a-complaint" in page.text
        help_page = await web.get("/portal/help")
        assert help_page.status_code == 200 and "Signing in" in help_page.text
        footer = (await web.get("/portal/sign-in")).text
        assert 'href="/privacy"' in footer and 'href="/portal/help"' in footer

    async def test_the_partnerships_own_notice_from_a_markdown_file_without_its_markup(
        self, database_url, data_dir, tmp_path
    ):
        from tests.portal.conftest import portal_client

        notice = tmp_path / "notice.md"
        notice.write_text(
            "# The Riverside partnership's notice\n\nWe are the controllers.\n\n"
            "<script>alert(1)</script>\n\n[a link](javascript:alert(1))\n",
            encoding="utf-8",
        )
        async with portal_client(database_url, data_dir, privacy_notice_file=notice) as client:
            page = (await client.get("/privacy")).text
        assert "<h1>The Riverside partnership&#39;s notice</h1>" in page or (
            "<h1>The Riverside partnership's notice</h1>" in page
        )
        assert "<script>alert" not in page and 'href="javascript:' not in page

    async def test_a_notice_published_elsewhere_is_where_privacy_sends_readers(self, database_url, data_dir):
        from tests.portal.conftest import portal_client

        elsewhere = "https://partnership.example/privacy"
        async with portal_client(database_url, data_dir, privacy_notice_url=elsewhere) as client:
            answer = await client.get("/privacy")
        assert answer.status_code == 303 and answer.headers["location"] == elsewhere
