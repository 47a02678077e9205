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


class TestWhoLooked:
    async def test_reads_are_listed_newest_first_a_page_at_a_time(self, web, platform, portal_app):
        _, headers, person, email = await known_resident(platform, web)
        for _ in range(27):
            await web.get(f"/v1/people/{person}", params={"purpose": "service_delivery"}, headers=headers)
        await sign_in(web, email)

        async def rows(html: str) -> int:
            return html.count("<tr><td>")

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
        assert "Earned" in page and "+3" in page
        assert "Your balance is <strong>3</strong> credits" in (await web.get("/portal")).text

    async def test_a_one_time_code_from_the_rewards_page_spends_once_and_is_told(self, web, platform):
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
        assert "<strong>6</strong> credits to spend" in (await web.get("/portal/rewards")).text
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
