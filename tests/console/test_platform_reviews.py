"""The platform's reviewers in the console: a role only the platform operator gives; the possible
matches across organisations, both sides as every organisation recorded them; decided, the pair is
settled as the admin API would settle it."""

from __future__ import annotations

import re
import uuid

from app.auth.principal import Principal
from app.organisations import service as organisations
from tests.console.conftest import invite, post_form, staff_sign_in
from tests.factories import org_with_token
from tests.people.test_endpoints import resident


async def _cross_org_pair(platform, web) -> tuple[str, str, dict]:
    """A council's resident, and a charity's record of someone very like her (a twin?): the
    platform's to review. (the council's name, the charity's name, her record)"""
    council_id, council = await org_with_token(platform)
    charity_id, charity = await org_with_token(platform, sector="social", kind="charity")
    margaret = resident()
    twin = {k: v for k, v in (margaret | {"given_name": "Rosalind", "email": None}).items() if v is not None}
    assert (await web.post("/v1/people", json=margaret, headers=council)).status_code == 201
    assert (await web.post("/v1/people", json=twin, headers=charity)).status_code == 201
    async with platform.app.state.db.session(platform=True) as session:
        names = [(await organisations.get_organisation(session, o)).name for o in (council_id, charity_id)]
    return names[0], names[1], margaret


async def _reviewer(platform) -> str:
    team = await platform.make_org(name=f"Kith platform team {uuid.uuid4().hex[:4]}")
    email = f"reviewer.{uuid.uuid4().hex[:8]}@kith.example.org"
    async with platform.app.state.db.session(platform=True) as session:
        await organisations.invite_staff(session, Principal.operator(), team.id, email=email, role="reviewer")
    return email


async def queued_until(web, shown) -> str:
    """The platform's queue skipped through until ``shown(page)``: other tests' pairs may be
    queued first. The page showing it."""
    page = (await web.get("/console/platform-reviews")).text
    for _ in range(200):
        if shown(page):
            break
        after = re.search(r'name="after" value="([^"]+)"', page).group(1)
        review = re.search(r'action="(/console/platform-reviews/[0-9a-f-]{36})"', page).group(1)
        skipped = await post_form(
            web, "/console/platform-reviews", review, {"decision": "skip", "after": after}
        )
        page = (await web.get(skipped.headers["location"])).text
    return page


class TestPlatformReviewers:
    async def test_a_reviewer_sees_both_sides_and_decides(self, platform, web, owner_conn):
        council, charity, margaret = await _cross_org_pair(platform, web)
        email = await _reviewer(platform)
        await staff_sign_in(web, email)
        home = await web.get("/console")
        assert home.status_code == 303 and home.headers["location"] == "/console/platform-reviews"
        page = await queued_until(web, lambda html: margaret["family_name"] in html and council in html)
        assert council in page and charity in page and "Rosalind" in page and margaret["given_name"] in page
        review_path = re.search(r'action="(/console/platform-reviews/[0-9a-f-]{36})"', page).group(1)
        decided = await post_form(web, "/console/platform-reviews", review_path, {"decision": "distinct"})
        assert decided.headers["location"] == "/console/platform-reviews?notice=distinct"
        outcome = await owner_conn.fetchrow(
            "SELECT review_outcome, decided_by FROM identity_decisions WHERE id = $1::uuid",
            review_path.rsplit("/", 1)[1],
        )
        assert outcome["review_outcome"] == "distinct" and outcome["decided_by"].startswith("staff:reviewer:")
        # Each of the two was read by the platform's reviewer: both residents see it in "who looked".
        pair = await owner_conn.fetchrow(
            "SELECT person_id, candidate_id FROM identity_decisions WHERE id = $1::uuid",
            review_path.rsplit("/", 1)[1],
        )
        logged = await owner_conn.fetch(
            "SELECT person_id, client_id, categories, action FROM access_log WHERE purpose = 'identity_review' "
            "AND person_id = ANY($1::uuid[])",
            [pair["person_id"], pair["candidate_id"]],
        )
        assert {r["person_id"] for r in logged} == {pair["person_id"], pair["candidate_id"]}
        assert all(r["client_id"].startswith("staff:reviewer:") and r["action"] == "review" for r in logged)

    async def test_only_the_platform_makes_a_reviewer_and_no_one_else_reads_the_queue(
        self, platform, web, portal_app
    ):
        org_id, _ = await org_with_token(platform)
        _, admin_email = await invite(portal_app, org_id, "org_admin")
        await staff_sign_in(web, admin_email)
        refused = await post_form(
            web, "/console/admin", "/console/admin/staff", {"email": "friend@example.org", "role": "reviewer"}
        )
        assert refused.status_code == 422
        assert (await web.get("/console/platform-reviews")).status_code == 403
        _, caseworker = await invite(portal_app, org_id, "caseworker")
        await staff_sign_in(web, caseworker)
        assert (await web.get("/console/platform-reviews")).status_code == 403
        assert "Matches across organisations" not in (await web.get("/console")).text


async def test_an_organisation_cannot_change_the_reviewer_it_hosts(platform, web, portal_app):
    team = await platform.make_org()
    email = f"reviewer.{uuid.uuid4().hex[:8]}@kith.example.org"
    async with portal_app.state.db.session(platform=True) as session:
        reviewer = await organisations.invite_staff(
            session, Principal.operator(), team.id, email=email, role="reviewer"
        )
    _, admin_email = await invite(portal_app, team.id, "org_admin")
    await staff_sign_in(web, admin_email)
    demoted = await post_form(
        web, "/console/admin", f"/console/admin/staff/{reviewer.id}/role", {"role": "viewer"}
    )
    assert demoted.status_code == 403
    again = await post_form(
        web, "/console/admin", "/console/admin/staff", {"email": email, "role": "caseworker"}
    )
    assert again.status_code == 403
    stopped = await post_form(web, "/console/admin", f"/console/admin/staff/{reviewer.id}/disable", {})
    assert stopped.status_code == 403
