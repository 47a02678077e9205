"""A page cursor is client input: one of the right shape but the wrong types is a 400 naming the
cursor, on every list endpoint, never a server error."""

from __future__ import annotations

import base64
import json
import uuid

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
async def lists(client, platform, owner_conn):
    """Every list endpoint that takes a cursor, with a caller allowed to read it (and whatever it
    must hold first: a grant, an account, a subscription)."""
    scopes = (
        "people:read people:write interactions:read relationships:read ledger:read ledger:write "
        "consent:read consent:write indicators:read webhooks:manage rewards:earn"
    )
    _, headers = await org_with_token(platform, scopes)
    person = (await client.post("/v1/people", json=unique_resident(), headers=headers)).json()["person_id"]
    granted = await client.post(
        f"/v1/people/{person}/consents",
        json={
            "purpose": "rewards",
            "categories": ["rewards"],
            "method": "recorded_by_org",
            "evidence": {"kind": "verbal", "reference": "at the desk"},
        },
        headers=headers,
    )
    assert granted.status_code in (200, 201), granted.text
    pool = await client.post("/v1/rewards/pools", json={"name": "Pool"}, headers=headers)
    assert pool.status_code == 201, pool.text
    hook = await client.post(
        "/v1/webhooks",
        json={"url": "https://93.184.216.34/hook", "events": ["person.updated"]},
        headers=headers,
    )
    assert hook.status_code == 201, hook.text
    canonical = await owner_conn.fetchval(
        "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(person)
    )
    admin = await platform.admin_headers()
    every = [
        (f"/v1/people/{person}/timeline", headers, {"purpose": "service_delivery"}),
        (f"/v1/people/{person}/relationships", headers, {"purpose": "service_delivery"}),
        ("/v1/organisations/me/relationships", headers, {}),
        ("/v1/admin/organisations", admin, {}),
        ("/v1/admin/identity/reviews", admin, {}),
        ("/v1/areas", headers, {}),
        (f"/v1/people/{person}/wallet", headers, {}),
        (f"/v1/ledger/accounts/{pool.json()['id']}/transfers", headers, {}),
        (f"/v1/webhooks/{hook.json()['id']}/deliveries", headers, {}),
        (f"/v1/admin/people/{canonical}/access-log", admin, {}),
    ]
    return every


def test_every_list_endpoint_is_covered(app):
    """A new list endpoint joins ``lists`` above: every operation that takes a cursor is there."""
    with_cursor = sorted(
        path
        for path, operations in app.openapi()["paths"].items()
        for operation in operations.values()
        if any(p["name"] == "cursor" for p in operation.get("parameters", []))
    )
    assert len(with_cursor) == LISTED, with_cursor


LISTED = 10  # the length of ``lists``


@pytest.mark.parametrize("forged", FORGED)
async def test_a_forged_cursor_is_a_400_naming_it(client, lists, forged):
    for path, headers, params in lists:
        r = await client.get(path, params={**params, "cursor": forged}, headers=headers)
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == "cursor", path
