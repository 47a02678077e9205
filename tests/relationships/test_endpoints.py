"""Relationships over HTTP: the three kinds, consent on reading others', ids kept to the reader's own."""

from __future__ import annotations

import uuid

import pytest

from app.auth.principal import Principal
from app.rights import service as rights
from tests.factories import org_with_token, unique_resident

SCOPES = "people:read people:write consent:write relationships:read relationships:write"
EVIDENCE = {"kind": "verbal", "reference": "call 2026-11-02"}


@pytest.fixture
async def council(client, platform):
    org_id, headers = await org_with_token(platform, SCOPES)
    a = (await client.post("/v1/people", json=unique_resident(), headers=headers)).json()["person_id"]
    b = (await client.post("/v1/people", json=unique_resident(given_name="Tom"), headers=headers)).json()[
        "person_id"
    ]
    return org_id, headers, a, b


class TestRecord:
    async def test_three_kinds(self, client, platform, council):
        org_id, headers, a, b = council
        partner = await platform.make_org(sector="social", kind="charity")
        member = await client.post(
            "/v1/relationships",
            json={"type": "member", "person_id": a, "started_on": "2024-01-01"},
            headers=headers,
        )
        assert member.status_code == 201, member.text
        assert (
            member.json()["organisation_id"] == str(org_id) and member.json()["kind"] == "person_organisation"
        )
        carer = await client.post(
            "/v1/relationships",
            json={
                "type": "carer",
                "person_id": a,
                "other_person_id": b,
                "started_on": "2023-05-01",
                "evidence": EVIDENCE,
            },
            headers=headers,
        )
        assert carer.status_code == 201, carer.text
        partnership = await client.post(
            "/v1/relationships",
            json={"type": "partner", "other_organisation_id": str(partner.id), "started_on": "2022-01-01"},
            headers=headers,
        )
        assert partnership.status_code == 201, partnership.text
        mine = (await client.get("/v1/organisations/me/relationships", headers=headers)).json()["items"]
        assert [r["type"] for r in mine] == ["member", "carer", "partner"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"type": "carer", "started_on": "2023-01-01"}, "evidence"),
            ({"type": "member", "started_on": "2023-01-01"}, "person_id"),
            ({"type": "partner", "started_on": "2023-01-01"}, "other_organisation_id"),
            (
                {"type": "partner", "started_on": "2023-01-01", "other_organisation_id": str(uuid.uuid4())},
                "other_organisation_id",
            ),
            ({"type": "sibling", "started_on": "2023-01-01"}, "type"),
            ({"type": "member", "started_on": "2023-01-01", "ended_on": "2022-01-01"}, "body"),
        ],
    )
    async def test_bad_input_is_422(self, client, council, body, field):
        _, headers, a, _ = council
        if body["type"] == "carer":
            body = body | {"person_id": a, "other_person_id": a}
        response = await client.post("/v1/relationships", json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert field in {e["field"] for e in response.json()["errors"]}

    async def test_another_organisations_person_is_404(self, client, platform, council):
        _, headers, a, _ = council
        _, other = await org_with_token(platform, SCOPES)
        stranger = (await client.post("/v1/people", json=unique_resident(), headers=other)).json()[
            "person_id"
        ]
        response = await client.post(
            "/v1/relationships",
            json={
                "type": "neighbour",
                "person_id": a,
                "other_person_id": stranger,
                "started_on": "2020-01-01",
                "evidence": EVIDENCE,
            },
            headers=headers,
        )
        assert response.status_code == 404


async def grant_in_portal(app, owner_conn, org_person_id: str, org_id: uuid.UUID, purpose: str) -> None:
    """The resident behind an organisation's id grants it ``relationships`` for ``purpose`` herself,
    in the portal."""
    canonical = await owner_conn.fetchval(
        "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(org_person_id)
    )
    async with app.state.db.session(platform=True) as session:
        await rights.grant(session, Principal.resident(canonical), org_id, purpose, ["relationships"])


async def relationships_of(client, headers, person_id: str, purpose: str = "case_coordination") -> list[dict]:
    response = await client.get(
        f"/v1/people/{person_id}/relationships", params={"purpose": purpose}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def make_family(client, platform) -> dict:
    """Margaret and Zed, whom a food bank knows as family (and Margaret as a member of it), and a
    council that knows them both but recorded nothing about them."""
    _, food_bank = await org_with_token(platform, SCOPES, sector="social", kind="food_bank")
    council_org, council = await org_with_token(platform, SCOPES)
    margaret, zed = unique_resident(), unique_resident(given_name="Zed")
    theirs = {}
    for name, body in (("margaret", margaret), ("zed", zed)):
        theirs[name] = (await client.post("/v1/people", json=body, headers=food_bank)).json()["person_id"]
    related = await client.post(
        "/v1/relationships",
        json={
            "type": "family",
            "person_id": theirs["margaret"],
            "other_person_id": theirs["zed"],
            "started_on": "2001-01-01",
            "evidence": EVIDENCE,
        },
        headers=food_bank,
    )
    assert related.status_code == 201, related.text
    member = await client.post(
        "/v1/relationships",
        json={"type": "member", "person_id": theirs["margaret"], "started_on": "2019-01-01"},
        headers=food_bank,
    )
    assert member.status_code == 201, member.text
    ids = {}
    for name, body in (("margaret", margaret), ("zed", zed)):
        registered = await client.post("/v1/people", json=body, headers=council)
        assert registered.status_code == 201, registered.text
        ids[name] = registered.json()["person_id"]
    return {
        "council_org": council_org,
        "council": council,
        "margaret": ids["margaret"],
        "zed": ids["zed"],
        "family_id": related.json()["id"],
    }


@pytest.fixture
async def family(client, platform):
    return await make_family(client, platform)


class TestRead:
    async def test_without_the_persons_grant_only_the_readers_own(self, client, family):
        assert await relationships_of(client, family["council"], family["margaret"]) == []

    async def test_a_relationship_to_a_person_who_has_not_granted_is_not_shown(
        self, app, client, family, owner_conn
    ):
        # Margaret lets the council see her relationships; Zed does not. The food bank's record that
        # they are family would tell the council whom Margaret knows, and name Zed by its own id.
        await grant_in_portal(app, owner_conn, family["margaret"], family["council_org"], "case_coordination")
        shown = await relationships_of(client, family["council"], family["margaret"])
        assert [(r["type"], r["person_id"], r["recorded_by_you"]) for r in shown] == [
            ("member", family["margaret"], False)
        ]
        assert family["zed"] not in str(shown)
        # Nor from Zed's side, which he has not opened.
        assert await relationships_of(client, family["council"], family["zed"]) == []

    async def test_shown_when_both_people_granted_it_for_the_purpose(self, app, client, family, owner_conn):
        await grant_in_portal(app, owner_conn, family["margaret"], family["council_org"], "case_coordination")
        await grant_in_portal(app, owner_conn, family["zed"], family["council_org"], "offers")
        # Zed's grant is for another purpose: it does not open this read.
        types = [r["type"] for r in await relationships_of(client, family["council"], family["margaret"])]
        assert types == ["member"]
        await grant_in_portal(app, owner_conn, family["zed"], family["council_org"], "case_coordination")
        shown = await relationships_of(client, family["council"], family["margaret"])
        [related] = [r for r in shown if r["type"] == "family"]
        assert related["id"] == family["family_id"] and related["recorded_by_you"] is False
        assert {related["person_id"], related["other_person_id"]} == {family["margaret"], family["zed"]}
        from_zed = await relationships_of(client, family["council"], family["zed"])
        assert [r["id"] for r in from_zed] == [family["family_id"]]

    async def test_the_readers_own_records_need_no_grant(self, client, family):
        recorded = await client.post(
            "/v1/relationships",
            json={
                "type": "carer",
                "person_id": family["zed"],
                "other_person_id": family["margaret"],
                "started_on": "2020-06-01",
                "evidence": EVIDENCE,
            },
            headers=family["council"],
        )
        assert recorded.status_code == 201, recorded.text
        [own] = await relationships_of(client, family["council"], family["margaret"])
        assert (own["type"], own["recorded_by_you"]) == ("carer", True)
        assert (own["person_id"], own["other_person_id"]) == (family["zed"], family["margaret"])

    async def test_an_organisation_that_does_not_know_the_other_person_sees_nothing_of_them(
        self, app, client, platform, owner_conn
    ):
        _, council = await org_with_token(platform, SCOPES)
        her, tom = unique_resident(), unique_resident(given_name="Tom")
        a = (await client.post("/v1/people", json=her, headers=council)).json()["person_id"]
        b = (await client.post("/v1/people", json=tom, headers=council)).json()["person_id"]
        await client.post(
            "/v1/relationships",
            json={
                "type": "family",
                "person_id": a,
                "other_person_id": b,
                "started_on": "2001-01-01",
                "evidence": EVIDENCE,
            },
            headers=council,
        )
        await client.post(
            "/v1/relationships",
            json={"type": "client", "person_id": a, "started_on": "2024-01-01"},
            headers=council,
        )
        # A charity knows only her, and she lets it see her relationships.
        charity_org, charity = await org_with_token(platform, SCOPES, sector="social", kind="charity")
        theirs = (await client.post("/v1/people", json=her, headers=charity)).json()["person_id"]
        await grant_in_portal(app, owner_conn, theirs, charity_org, "case_coordination")
        shown = await relationships_of(client, charity, theirs)
        assert [(r["type"], r["person_id"]) for r in shown] == [("client", theirs)]
        assert await relationships_of(client, charity, theirs, purpose="offers") == []
