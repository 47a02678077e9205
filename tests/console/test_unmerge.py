"""Undoing a merge from the resident's page, with a reason: at once where the merge was the
organisation's own decision; otherwise asked of the platform's reviewers, who decide. Which of the
two depends only on who made the merge, and a merge that joined the organisation's person to
someone only others knew is never shown to it."""

from __future__ import annotations

import re
import uuid

from app.auth.principal import Principal
from app.identity import merges
from tests.console.conftest import invite, post_form, staff_sign_in
from tests.console.test_platform_reviews import _reviewer, queued_until
from tests.console.test_reviews import _canonical, _queued_pairs, _review_id
from tests.factories import org_with_token
from tests.people.test_endpoints import doubted, resident


def _merge_id(html: str) -> str:
    return re.search(r"/merges/([0-9a-f-]{36})/undo", html).group(1)


async def _platform_ids(owner_conn, *org_person_ids: str) -> list[uuid.UUID]:
    return [
        await owner_conn.fetchval("SELECT person_id FROM org_people WHERE org_person_id = $1", uuid.UUID(i))
        for i in org_person_ids
    ]


async def _merged_by_kith(platform, owner_conn, keep: str, merged: str) -> None:
    """The platform's administrator merges two people (platform ids behind the organisation's)."""
    a, b = await _platform_ids(owner_conn, keep, merged)
    async with platform.app.state.db.session(platform=True) as session:
        await merges.merge(session, Principal.operator(), a, b)


class TestOwnMerge:
    async def test_a_caseworker_sets_apart_their_own_reviews_merge_with_a_reason(
        self, platform, web, owner_conn
    ):
        q = await _queued_pairs(platform, web, 1)
        her, first, held = q["people"][0]
        await staff_sign_in(web, q["staff_email"])
        review = _review_id((await web.get("/console/reviews")).text)
        await post_form(web, "/console/reviews", f"/console/reviews/{review}", {"decision": "match"})
        page = f"/console/people/{first}"
        html = (await web.get(page)).text
        assert "Records joined as this person" in html and "Set them apart" in html
        merge_id = _merge_id(html)
        action = f"{page}/merges/{merge_id}/undo"
        unexplained = await post_form(web, page, action, {"reason": "  "})
        assert unexplained.status_code == 422 and "Say why they are different people" in unexplained.text
        assert await _canonical(owner_conn, first) == await _canonical(owner_conn, held), "nothing half-done"
        done = await post_form(web, page, action, {"reason": "Two sisters: the birthdays are theirs"})
        assert done.status_code == 303 and done.headers["location"] == f"{page}?notice=separated"
        assert await _canonical(owner_conn, first) != await _canonical(owner_conn, held)
        kept = await owner_conn.fetchrow(
            "SELECT undone_at, undo_reason, undone_by FROM person_merges WHERE id = $1", uuid.UUID(merge_id)
        )
        assert kept["undone_at"] is not None and kept["undo_reason"].startswith("Two sisters")
        assert kept["undone_by"].startswith("staff:caseworker:")
        assert "Records joined as this person" not in (await web.get(page)).text
        # Remembered as different people: the same record again is neither merged nor queued.
        again = await web.post("/v1/people", json=doubted(her), headers=q["headers"])
        assert again.json()["resolution"]["status"] != "review", again.text
        assert await _canonical(owner_conn, first) != await _canonical(owner_conn, held)
        # Done twice (a second tab): answered alike, nothing more.
        twice = await web.post(
            action,
            data={
                "reason": "again",
                "csrf_token": re.search(
                    r'name="csrf_token" value="([0-9a-f]+)"', (await web.get(page)).text
                ).group(1),
            },
        )
        assert twice.status_code == 404  # no longer a merge of this person's records


class TestKithsMerge:
    async def test_a_merge_kith_made_is_asked_of_the_platforms_reviewers_who_decide(
        self, platform, web, owner_conn
    ):
        q = await _queued_pairs(platform, web, 1)
        _, first, held = q["people"][0]
        await _merged_by_kith(platform, owner_conn, first, held)
        merge_id = await owner_conn.fetchval(
            "SELECT id FROM person_merges WHERE merged_id = $1", (await _platform_ids(owner_conn, held))[0]
        )
        # Another organisation's request to undo the same merge is its own: never shown to this one.
        await owner_conn.execute(
            "INSERT INTO identity_decisions (id, org_id, person_id, candidate_id, status, queue, method, "
            "explanation) SELECT $1, $2, merged_id, keep_id, 'review', 'platform', 'unmerge', "
            "jsonb_build_object('reason', 'theirs', 'merge_id', id::text) FROM person_merges WHERE id = $3",
            uuid.uuid4(),
            (await org_with_token(platform))[0],
            merge_id,
        )
        await staff_sign_in(web, q["staff_email"])
        page = f"/console/people/{first}"
        html = (await web.get(page)).text
        assert "Ask Kith&#39;s reviewers to set them apart" in html or "Ask Kith's reviewers" in html
        assert "You have asked Kith" not in html
        reason = f"Not the same woman: ask her sister {uuid.uuid4().hex[:6]}"
        action = f"{page}/merges/{_merge_id(html)}/undo"
        asked = await post_form(web, page, action, {"reason": reason})
        assert asked.headers["location"] == f"{page}?notice=undo-asked"
        assert await _canonical(owner_conn, first) == await _canonical(owner_conn, held), "still one person"
        again = await post_form(web, page, action, {"reason": reason})  # (the form is gone; a replay)
        assert again.status_code in (303, 404)
        requests = await owner_conn.fetch(
            "SELECT id FROM identity_decisions WHERE method = 'unmerge' AND explanation ->> 'reason' = $1",
            reason,
        )
        assert len(requests) == 1
        assert "You have asked Kith" in (await web.get(page)).text
        # The platform's reviewer finds it in the platform's queue (others' pairs may come first).
        await staff_sign_in(web, await _reviewer(platform))
        queue = await queued_until(web, lambda html: reason in html)
        assert reason in queue and "The records joined in" in queue
        review = re.search(r'action="(/console/platform-reviews/[0-9a-f-]{36})"', queue).group(1)
        assert review.endswith(str(requests[0]["id"]))
        await post_form(web, "/console/platform-reviews", review, {"decision": "distinct"})
        assert await _canonical(owner_conn, first) != await _canonical(owner_conn, held)
        left = await owner_conn.fetchval(
            "SELECT count(*) FROM identity_decisions WHERE method = 'unmerge' AND review_outcome IS NULL "
            "AND explanation ->> 'merge_id' = $1",
            str(merge_id),
        )
        assert left == 0, "the other organisation's request is answered by the same undo"


class TestNothingLeaks:
    async def test_a_merge_with_someone_only_others_knew_is_not_shown_nor_undoable(
        self, platform, web, owner_conn, portal_app
    ):
        council_id, council = await org_with_token(platform)
        _, charity = await org_with_token(platform, sector="social", kind="charity")
        her = resident()
        ours = (await web.post("/v1/people", json=her, headers=council)).json()["person_id"]
        theirs = (await web.post("/v1/people", json=doubted(her), headers=charity)).json()["person_id"]
        await _merged_by_kith(platform, owner_conn, ours, theirs)
        merge_id = await owner_conn.fetchval(
            "SELECT id FROM person_merges WHERE merged_id = $1 AND undone_at IS NULL",
            (await _platform_ids(owner_conn, theirs))[0],
        )
        _, staff = await invite(portal_app, council_id, "caseworker")
        await staff_sign_in(web, staff)
        page = f"/console/people/{ours}"
        assert "Records joined as this person" not in (await web.get(page)).text
        refused = await post_form(web, page, f"{page}/merges/{merge_id}/undo", {"reason": "fishing"})
        assert refused.status_code == 404
        assert (
            await owner_conn.fetchval(
                "SELECT count(*) FROM identity_decisions WHERE method = 'unmerge' AND person_id = "
                "(SELECT merged_id FROM person_merges WHERE id = $1)",
                merge_id,
            )
            == 0
        )

    async def test_another_organisations_caseworker_cannot_undo_it(
        self, platform, web, owner_conn, portal_app
    ):
        q = await _queued_pairs(platform, web, 1)
        _, first, held = q["people"][0]
        await _merged_by_kith(platform, owner_conn, first, held)
        merge_id = await owner_conn.fetchval(
            "SELECT id FROM person_merges WHERE merged_id = $1", (await _platform_ids(owner_conn, held))[0]
        )
        other = await _queued_pairs(platform, web, 1)
        _, their_person, _ = other["people"][0]
        await staff_sign_in(web, other["staff_email"])
        page = f"/console/people/{their_person}"
        assert (
            await post_form(web, page, f"{page}/merges/{merge_id}/undo", {"reason": "x"})
        ).status_code == 404
        mine = f"/console/people/{first}"
        assert (
            await post_form(web, page, f"{mine}/merges/{merge_id}/undo", {"reason": "x"})
        ).status_code == 404
        assert await _canonical(owner_conn, first) == await _canonical(owner_conn, held)
