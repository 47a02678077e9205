"""A page cursor is client input: one of the right shape but the wrong types is a 400 naming the
cursor, on every list endpoint, never a server error."""

from __future__ import annotations

import base64
import json

import pytest

from tests.factories import org_with_token, unique_resident


def cursor(position: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


FORGED = [
    cursor(["2026-01-01", 5]),  # a date without a zone, and a number where an id belongs
    cursor(["2026-01-01T00:00:00+00:00", 2**70]),  # a number past bigint
    cursor(["2026-01-01T00:00:00+00:00", 2**63 + 5]),  # past bigint, within what JSON parsers read
    cursor([2**70, "9a3e6c9e-2f7a-4f43-8f1b-6d0b0b8e9f10"]),
    cursor([None, None]),
    cursor(["2026-01-01T00:00:00", "9a3e6c9e-2f7a-4f43-8f1b-6d0b0b8e9f10"]),  # no zone
]


@pytest.fixture
async def lists(client, platform):
    """Every list endpoint that takes a cursor, with a caller allowed to read it."""
    scopes = "people:read people:write interactions:read relationships:read ledger:read consent:read"
    _, headers = await org_with_token(platform, scopes)
    person = (await client.post("/v1/people", json=unique_resident(), headers=headers)).json()["person_id"]
    admin = await platform.admin_headers()
    return [
        (f"/v1/people/{person}/timeline", headers, {"purpose": "service_delivery"}),
        (f"/v1/people/{person}/relationships", headers, {"purpose": "service_delivery"}),
        ("/v1/organisations/me/relationships", headers, {}),
        ("/v1/admin/organisations", admin, {}),
        ("/v1/admin/identity/reviews", admin, {}),
    ]


@pytest.mark.parametrize("forged", FORGED)
async def test_a_forged_cursor_is_a_400_naming_it(client, lists, forged):
    for path, headers, params in lists:
        r = await client.get(path, params={**params, "cursor": forged}, headers=headers)
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == "cursor", path
