"""Relationships over HTTP: the three kinds, consent on reading others', ids kept to the reader's own."""

from __future__ import annotations

import uuid

import pytest

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


class TestRead:
    async def test_others_relationships_only_with_consent_and_only_own_ids(self, client, platform, council):
        _, headers, a, b = council
        await client.post(
            "/v1/relationships",
            json={
                "type": "family",
                "person_id": a,
                "other_person_id": b,
                "started_on": "2001-01-01",
                "evidence": EVIDENCE,
            },
            headers=headers,
        )
        # A charity knows only the first resident.
        _, charity = await org_with_token(platform, SCOPES, sector="social", kind="charity")
        view = await client.get(f"/v1/people/{a}", params={"purpose": "service_delivery"}, headers=headers)
        body = {
            k: v["value"]
            for k, v in view.json()["attributes"].items()
            if k in ("family_name", "date_of_birth", "email")
        }
        theirs = (await client.post("/v1/people", json=body, headers=charity)).json()["person_id"]
        url = f"/v1/people/{theirs}/relationships"
        assert (await client.get(url, params={"purpose": "case_coordination"}, headers=charity)).json()[
            "items"
        ] == []
        await client.post(
            f"/v1/people/{theirs}/consents",
            json={
                "purpose": "case_coordination",
                "categories": ["relationships"],
                "method": "recorded_by_org",
                "evidence": {"kind": "verbal", "reference": "at the desk"},
            },
            headers=charity,
        )
        [rel] = (await client.get(url, params={"purpose": "case_coordination"}, headers=charity)).json()[
            "items"
        ]
        assert rel["type"] == "family" and rel["recorded_by_you"] is False
        assert rel["person_id"] == theirs and rel["other_person_id"] is None  # no id of its own for Tom
        assert (await client.get(url, params={"purpose": "offers"}, headers=charity)).json()["items"] == []
