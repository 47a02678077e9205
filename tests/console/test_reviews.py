"""The organisation's review queue in the console: its own possible matches only, side by side
with the comparison; same person merges, different people keeps them apart (and is not proposed
again when the same record comes back), not sure leaves the pair in the queue."""

from __future__ import annotations

import re
import uuid

from tests.console.conftest import invite, post_form, staff_sign_in
from tests.factories import org_with_token
from tests.people.test_endpoints import doubted, resident


async def _queued_pairs(platform, web, count: int) -> dict:
    """An organisation with ``count`` possible matches among its own records, and a caseworker."""
    org_id, headers = await org_with_token(platform)
    people = []
    for _ in range(count):
        her = resident()
        first = await web.post("/v1/people", json=her, headers=headers)
        held = await web.post("/v1/people", json=doubted(her), headers=headers)
        assert held.status_code == 202, held.text
        people.append((her, first.json()["person_id"], held.json()["person_id"]))
    _, staff_email = await invite(platform.app, org_id, "caseworker")
    return {"org_id": org_id, "headers": headers, "people": people, "staff_email": staff_email}


async def _canonical(owner_conn, org_person_id: str) -> uuid.UUID:
    return await owner_conn.fetchval(
        "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(org_person_id)
    )


def _review_id(html: str) -> str:
    return re.search(r'action="/console/reviews/([0-9a-f-]{36})"', html).group(1)


class TestQueue:
    async def test_same_different_and_not_sure(self, platform, web, owner_conn):
        q = await _queued_pairs(platform, web, 3)
        await staff_sign_in(web, q["staff_email"])
        decided = []
        for decision in ("match", "distinct", "skip"):
            page = (await web.get("/console/reviews")).text
            her = next(h for h, *_ in q["people"] if h["family_name"] in page)
            assert her["given_name"] in page and "How they compare" in page
            review = _review_id(page)
            after = re.search(r'name="after" value="([^"]+)"', page).group(1)
            answer = await post_form(
                web, "/console/reviews", f"/console/reviews/{review}", {"decision": decision, "after": after}
            )
            assert answer.status_code == 303 and f"notice={decision}" in answer.headers["location"]
            decided.append((decision, her))
            if decision == "skip":
                left = (await web.get(answer.headers["location"])).text
                assert "No possible matches are waiting" in left
        by_name = {h["family_name"]: (first, held) for h, first, held in q["people"]}
        merged = by_name[decided[0][1]["family_name"]]
        assert await _canonical(owner_conn, merged[0]) == await _canonical(owner_conn, merged[1])
        apart = by_name[decided[1][1]["family_name"]]
        assert await _canonical(owner_conn, apart[0]) != await _canonical(owner_conn, apart[1])
        # The pair kept apart is not proposed again when the same record comes back.
        again = await web.post("/v1/people", json=doubted(decided[1][1]), headers=q["headers"])
        assert again.json()["resolution"]["status"] != "review", again.text
        # Skipped, the third is still in the queue for the next visit.
        assert decided[2][1]["family_name"] in (await web.get("/console/reviews")).text

    async def test_a_viewer_cannot_decide_and_no_one_reaches_another_organisations_queue(
        self, platform, web, portal_app
    ):
        ours = await _queued_pairs(platform, web, 1)
        theirs = await _queued_pairs(platform, web, 1)
        await staff_sign_in(web, theirs["staff_email"])
        their_review = _review_id((await web.get("/console/reviews")).text)
        await staff_sign_in(web, ours["staff_email"])
        page = (await web.get("/console/reviews")).text
        assert theirs["people"][0][0]["family_name"] not in page
        refused = await post_form(
            web, "/console/reviews", f"/console/reviews/{their_review}", {"decision": "match"}
        )
        assert refused.status_code == 404
        _, viewer = await invite(portal_app, ours["org_id"], "viewer")
        await staff_sign_in(web, viewer)
        assert (await web.get("/console/reviews")).status_code == 403
        assert "Possible matches" not in (await web.get("/console")).text


class TestAnotherOrganisationComesIn:
    async def test_a_pair_another_organisation_now_knows_goes_to_the_platforms_reviewers(
        self, platform, web, owner_conn
    ):
        q = await _queued_pairs(platform, web, 1)
        her, first, held = q["people"][0]
        _, charity = await org_with_token(platform, sector="social", kind="charity")
        assert (await web.post("/v1/people", json=her, headers=charity)).status_code == 201
        await staff_sign_in(web, q["staff_email"])
        review = _review_id((await web.get("/console/reviews")).text)
        moved = await post_form(web, "/console/reviews", f"/console/reviews/{review}", {"decision": "match"})
        assert moved.headers["location"] == "/console/reviews?notice=match", "answered as any decision"
        assert await _canonical(owner_conn, first) != await _canonical(owner_conn, held), "nothing merged"
        queue = await owner_conn.fetchval(
            "SELECT queue FROM identity_decisions WHERE id = $1", uuid.UUID(review)
        )
        assert queue == "platform"
        assert "No possible matches are waiting" in (await web.get("/console/reviews")).text


class TestMerged:
    async def test_the_merged_persons_timeline_holds_both_records_contacts(self, platform, web, owner_conn):
        q = await _queued_pairs(platform, web, 1)
        _, first, held = q["people"][0]
        writer = await platform.make_client(q["org_id"], ["interactions:write", "consent:write"])
        writer_headers = {"Authorization": f"Bearer {await platform.token(writer)}"}
        for person, note in ((first, "Food parcel"), (held, "Benefits advice")):
            logged = await web.post(
                "/v1/interactions",
                json={
                    "person_id": person,
                    "kind": "visit",
                    "occurred_at": "2026-11-02T10:00:00Z",
                    "external_id": uuid.uuid4().hex,
                    "attributes": {"note": note},
                },
                headers=writer_headers,
            )
            assert logged.status_code == 201, logged.text
        consent = {
            "purpose": "service_delivery",
            "categories": ["identity", "interactions"],
            "method": "recorded_by_org",
            "evidence": {"kind": "verbal", "reference": "at the desk"},
        }  # a timeline is read under a grant of the resident's (the organisation is trusted to record it)
        granted = await web.post(f"/v1/people/{first}/consents", json=consent, headers=writer_headers)
        assert granted.status_code == 201, granted.text
        await staff_sign_in(web, q["staff_email"])
        review = _review_id((await web.get("/console/reviews")).text)
        await post_form(web, "/console/reviews", f"/console/reviews/{review}", {"decision": "match"})
        page = f"/console/people/{first}"
        await post_form(web, page, "/console/purpose", {"purpose": "service_delivery", "next": page})
        merged = (await web.get(page)).text
        assert "Food parcel" in merged and "Benefits advice" in merged, "one timeline holds both records'"
        assert await _canonical(owner_conn, first) == await _canonical(owner_conn, held)
