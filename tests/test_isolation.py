"""Another organisation's ids are simply 404, on every endpoint that takes a person's id."""

from __future__ import annotations

import pytest

from tests.factories import org_with_token, unique_resident

ALL = (
    "people:read people:write consent:read consent:write interactions:read interactions:write "
    "relationships:read relationships:write ledger:read"
)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/people/{id}?purpose=service_delivery", None),
        ("PATCH", "/v1/people/{id}", {"phone": "07911 123456"}),
        ("GET", "/v1/people/{id}/consents", None),
        (
            "POST",
            "/v1/people/{id}/consents",
            {
                "purpose": "rewards",
                "categories": ["rewards"],
                "method": "recorded_by_org",
                "evidence": {"kind": "verbal", "reference": "at the desk"},
            },
        ),
        ("GET", "/v1/people/{id}/timeline?purpose=rewards", None),
        ("GET", "/v1/people/{id}/relationships?purpose=rewards", None),
        ("GET", "/v1/people/{id}/wallet", None),
    ],
)
async def test_another_organisations_person_id_is_404(client, platform, method, path, body):
    _, a = await org_with_token(platform, ALL)
    _, b = await org_with_token(platform, ALL)
    theirs = (await client.post("/v1/people", json=unique_resident(), headers=a)).json()["person_id"]
    response = await client.request(method, path.format(id=theirs), json=body, headers=b)
    assert response.status_code == 404, (path, response.text)
    assert response.headers["content-type"] == "application/problem+json"
