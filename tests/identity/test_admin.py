"""Platform administration of identity: reviews, merges, unmerges, explanations, events."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import org_with_token, platform_decision
from tests.people.test_endpoints import doubted, person, resident


@pytest.fixture
async def admin(platform):
    return await platform.admin_headers()


async def internal_id(owner_conn, org_person_id: str) -> uuid.UUID:
    return await owner_conn.fetchval(
        "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(org_person_id)
    )


async def view(client, headers, person_id):
    response = await client.get(
        f"/v1/people/{person_id}", params={"purpose": "service_delivery"}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def review_of(client, admin, owner_conn, org_person_id: str) -> dict:
    """The one pending review, as the platform lists it, of the person behind an organisation's id."""
    reviews = (await client.get("/v1/admin/identity/reviews", params={"limit": 500}, headers=admin)).json()
    internal = str(await internal_id(owner_conn, org_person_id))
    mine = [r for r in reviews["items"] if r["person_id"] == internal]
    assert len(mine) == 1, reviews
    return mine[0]


class TestReviews:
    async def test_possible_twin_across_organisations_is_the_platforms_to_review(
        self, client, platform, admin, owner_conn
    ):
        _, council = await org_with_token(platform)
        charity_org, charity = await org_with_token(platform, sector="social", kind="charity")
        margaret = resident()
        twin = margaret | {"given_name": "Rosalind", "email": None}
        twin = {k: v for k, v in twin.items() if v is not None}
        await client.post("/v1/people", json=margaret, headers=council)
        held = await client.post("/v1/people", json=twin, headers=charity)
        # A possible match with the council's records only: the charity is told nothing of it.
        assert held.status_code == 201, held.text
        assert held.json()["resolution"] == {"status": "created"}
        mine = await review_of(client, admin, owner_conn, held.json()["person_id"])
        assert (mine["queue"], mine["org_id"]) == ("platform", str(charity_org))
        assert mine["explanation"]["attributes"]["given"]["level"] == "different"
        assert mine["explanation"]["rule"] == "review_only"
        decided = await client.post(
            f"/v1/admin/identity/reviews/{mine['id']}", json={"decision": "distinct"}, headers=admin
        )
        assert decided.status_code == 200
        assert (decided.json()["review_outcome"], decided.json()["answered"]) == ("distinct", "created")
        status = await owner_conn.fetchval(
            "SELECT status FROM people WHERE id = $1", uuid.UUID(mine["person_id"])
        )
        assert status == "active"
        again = await client.post(
            f"/v1/admin/identity/reviews/{mine['id']}", json={"decision": "match"}, headers=admin
        )
        assert again.status_code == 409

    async def test_possible_match_among_its_own_records_is_the_organisations_to_review(
        self, client, platform, admin, owner_conn
    ):
        council_org, council = await org_with_token(platform)
        margaret = resident()
        await client.post("/v1/people", json=margaret, headers=council)
        held = await client.post("/v1/people", json=doubted(margaret), headers=council)
        assert held.status_code == 202, held.text
        assert held.json()["resolution"] == {"status": "review"}
        mine = await review_of(client, admin, owner_conn, held.json()["person_id"])
        assert (mine["queue"], mine["org_id"]) == ("organisation", str(council_org))
        theirs = (
            await client.get(
                "/v1/admin/identity/reviews", params={"limit": 500, "queue": "platform"}, headers=admin
            )
        ).json()["items"]
        assert mine["id"] not in {r["id"] for r in theirs}
        assert {r["queue"] for r in theirs} <= {"platform"}

    async def test_review_decided_as_match_merges(self, client, platform, admin, owner_conn):
        _, council = await org_with_token(platform)
        _, charity = await org_with_token(platform, sector="social", kind="charity")
        margaret = resident()
        # Same person, but the charity has her date of birth quite wrong: a review, not an auto-match.
        doubtful = doubted(margaret)
        original = (await client.post("/v1/people", json=margaret, headers=council)).json()
        held = (await client.post("/v1/people", json=doubtful, headers=charity)).json()
        assert held["resolution"] == {"status": "created"}
        decision = await platform_decision(owner_conn, held["person_id"])
        assert (decision["status"], decision["answered"]) == ("review", "created")
        decided = await client.post(
            f"/v1/admin/identity/reviews/{decision['id']}", json={"decision": "match"}, headers=admin
        )
        assert decided.status_code == 200, decided.text
        assert await internal_id(owner_conn, held["person_id"]) == await internal_id(
            owner_conn, original["person_id"]
        )
        # The charity's id still works and now names the merged person.
        assert (await view(client, charity, held["person_id"]))["attributes"]["date_of_birth"][
            "value"
        ] == doubtful["date_of_birth"]

    async def test_reviews_are_for_the_platform_alone(self, client, platform):
        _, council = await org_with_token(platform, "people:read people:write consent:read")
        listed = await client.get("/v1/admin/identity/reviews", headers=council)
        decided = await client.post(
            f"/v1/admin/identity/reviews/{uuid.uuid4()}", json={"decision": "match"}, headers=council
        )
        assert (listed.status_code, decided.status_code) == (403, 403)

    async def test_unknown_review_is_404(self, client, admin):
        response = await client.post(
            f"/v1/admin/identity/reviews/{uuid.uuid4()}", json={"decision": "match"}, headers=admin
        )
        assert response.status_code == 404

    async def test_bad_decision_is_422(self, client, admin):
        response = await client.post(
            f"/v1/admin/identity/reviews/{uuid.uuid4()}", json={"decision": "maybe"}, headers=admin
        )
        assert response.status_code == 422


class TestMergeAndUnmerge:
    async def test_merge_then_unmerge_restores_everything(self, client, platform, admin, owner_conn):
        org_a, council = await org_with_token(platform)
        org_b, charity = await org_with_token(platform, sector="social", kind="charity")
        one = (await client.post("/v1/people", json=person(given_name="Ada"), headers=council)).json()
        ada = person(given_name="Ada")
        two = (await client.post("/v1/people", json=ada, headers=charity)).json()
        keep, merged = (
            await internal_id(owner_conn, one["person_id"]),
            await internal_id(owner_conn, two["person_id"]),
        )
        assert keep != merged
        before = await view(client, charity, two["person_id"])

        response = await client.post(
            "/v1/admin/people/merge", json={"keep": str(keep), "merge": str(merged)}, headers=admin
        )
        assert response.status_code == 200, response.text
        assert await internal_id(owner_conn, two["person_id"]) == keep
        assert (await view(client, charity, two["person_id"]))["attributes"] == before["attributes"]
        events = await owner_conn.fetch(
            "SELECT org_id, payload FROM outbox_events WHERE event_type = 'person.merged' AND org_id = ANY($1::uuid[])",
            [org_a, org_b],
        )
        assert {e["org_id"] for e in events} == {org_a, org_b}
        payloads = {e["org_id"]: e["payload"] for e in events}
        import json

        assert json.loads(payloads[org_b])["person_id"] == two["person_id"]
        assert json.loads(payloads[org_a])["person_id"] == one["person_id"]
        # Matching finds the merged person's records under the person kept: the charity's next
        # record of her is matched to the id it has for her, not given a new one.
        again = await client.post("/v1/people", json=ada | {"external_ref": "ADA-2"}, headers=charity)
        assert (again.status_code, again.json()["person_id"]) == (200, two["person_id"])
        moved = await owner_conn.fetch(
            "SELECT DISTINCT m.canonical_id FROM person_match m JOIN person_records r ON r.id = m.record_id "
            "WHERE r.person_id = $1",
            merged,
        )
        assert [m["canonical_id"] for m in moved] == [keep]

        undone = await client.post(f"/v1/admin/people/{merged}/unmerge", headers=admin)
        assert undone.status_code == 200, undone.text
        assert undone.json()["was_merged_into"] == str(keep)
        assert await internal_id(owner_conn, two["person_id"]) == merged
        assert (await view(client, charity, two["person_id"]))["attributes"] == before["attributes"]
        matches = await owner_conn.fetch(
            "SELECT m.canonical_id, r.person_id FROM person_match m JOIN person_records r ON r.id = m.record_id "
            "WHERE r.person_id = ANY($1::uuid[])",
            [keep, merged],
        )
        assert {(m["person_id"], m["canonical_id"]) for m in matches} == {(keep, keep), (merged, merged)}
        audit = await owner_conn.fetch(
            "SELECT action FROM audit_log WHERE subject_id IN ($1, $2) AND action LIKE 'person.%merged' ORDER BY seq",
            str(keep),
            str(merged),
        )
        assert {a["action"] for a in audit} == {"person.merged", "person.unmerged"}

    async def test_refusals(self, client, platform, admin, owner_conn):
        _, council = await org_with_token(platform)
        one = (await client.post("/v1/people", json=person(), headers=council)).json()
        pid = await internal_id(owner_conn, one["person_id"])
        same = await client.post(
            "/v1/admin/people/merge", json={"keep": str(pid), "merge": str(pid)}, headers=admin
        )
        assert same.status_code == 409
        unknown = await client.post(
            "/v1/admin/people/merge", json={"keep": str(pid), "merge": str(uuid.uuid4())}, headers=admin
        )
        assert unknown.status_code == 404
        not_merged = await client.post(f"/v1/admin/people/{pid}/unmerge", headers=admin)
        assert not_merged.status_code == 409

    async def test_organisations_cannot_merge(self, client, platform):
        _, council = await org_with_token(platform)
        response = await client.post(
            "/v1/admin/people/merge",
            json={"keep": str(uuid.uuid4()), "merge": str(uuid.uuid4())},
            headers=council,
        )
        assert response.status_code == 403


class TestExplain:
    async def test_explain_shows_per_attribute_weights(self, client, platform, admin, owner_conn):
        _, council = await org_with_token(platform)
        _, charity = await org_with_token(platform, sector="social", kind="charity")
        margaret = person()
        await client.post("/v1/people", json=margaret, headers=council)
        matched = (
            await client.post("/v1/people", json=margaret | {"given_name": "Peggy"}, headers=charity)
        ).json()
        decision_id = await owner_conn.fetchval(
            "SELECT d.id FROM identity_decisions d JOIN person_records r ON r.id = d.record_id "
            "JOIN org_people op ON op.canonical_id = (SELECT canonical_id FROM people WHERE id = r.person_id) "
            "WHERE op.org_person_id = $1 AND d.org_id = op.org_id",
            uuid.UUID(matched["person_id"]),
        )
        response = await client.get(
            "/v1/admin/identity/explain", params={"decision_id": str(decision_id)}, headers=admin
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "matched" and body["method"] == "probabilistic"
        attributes = body["explanation"]["attributes"]
        assert attributes["given"]["level"] == "nickname"
        assert attributes["dob"]["level"] == "exact" and attributes["dob"]["weight"] > 10
        assert body["explanation"]["probability"] == pytest.approx(body["score"], abs=1e-6)
