"""Every consented read goes through one statement that resolves the id, applies the person's grants
and writes the access-log entry in the reading transaction: what a read shows is exactly what the
grants allow (against a reference written plainly here), each read that answers data is logged
once, a refused one not at all — and a server killed mid-load has logged every read it answered."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.consent.catalogue import ATTRIBUTE_CATEGORY, CATEGORIES
from app.interactions.schemas import Timeline
from app.people.schemas import PersonOut
from tests.conftest import _plain, fresh_database, make_settings, running_app
from tests.factories import Platform, org_with_token, unique_resident
from tests.ops.test_proxy_headers import kith_serve_process

PURPOSES = ["service_delivery", "case_coordination", "offers"]
STATES = ["active", "withdrawn", "expired", "awaiting"]
# The café's own record: enough to be linked to the council's, and less than it holds.
CAFE_FIELDS = ("given_name", "family_name", "date_of_birth", "email")

grant = st.tuples(
    st.sampled_from(PURPOSES),
    st.sets(st.sampled_from(sorted(CATEGORIES)), min_size=1),
    st.sampled_from(STATES),
)


async def test_the_databases_attribute_categories_are_the_catalogues(owner_conn):
    for attribute, category in ATTRIBUTE_CATEGORY.items():
        assert await owner_conn.fetchval("SELECT kith_attribute_category($1)", attribute) == category
    assert await owner_conn.fetchval("SELECT kith_attribute_category('shoe_size')") is None


def test_a_read_shows_exactly_what_the_grants_allow_and_is_logged_once(database_url, data_dir):
    loop = asyncio.new_event_loop()
    run = loop.run_until_complete
    app_cm = running_app(make_settings(database_url, data_dir))
    app = run(app_cm.__aenter__())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    owner = run(asyncpg.connect(_plain(database_url)))
    platform = Platform(app, client)
    scopes = "people:read people:write interactions:read interactions:write"
    _council_org, council = run(org_with_token(platform, scopes))
    cafe_org, cafe = run(org_with_token(platform, scopes, sector="commercial", kind="business"))

    async def post(headers, path, body) -> dict:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code in (200, 201, 202), response.text
        return response.json()

    async def logged(action: str, person: str) -> list[list[str]]:
        rows = await owner.fetch(
            "SELECT categories FROM access_log WHERE org_id = $1 AND org_person_id = $2 AND action = $3",
            cafe_org,
            uuid.UUID(person),
            action,
        )
        return [list(r["categories"]) for r in rows]

    async def example(grants, purpose: str) -> None:
        her = unique_resident()
        theirs = (await post(council, "/v1/people", her))["person_id"]
        mine = (await post(cafe, "/v1/people", {k: her[k] for k in CAFE_FIELDS}))["person_id"]
        linked = await owner.fetchval(
            "SELECT count(DISTINCT canonical_id) FROM org_people WHERE org_person_id = ANY($1::uuid[])",
            [uuid.UUID(theirs), uuid.UUID(mine)],
        )
        assert linked == 1, "the café's record is linked to the council's person"
        now = datetime.now(UTC)
        for purpose_granted, categories, state in grants:
            await owner.execute(
                "INSERT INTO consent_grants (id, org_id, org_person_id, purpose, categories, method, evidence, "
                "granted_by, granted_at, confirmed_at, withdrawn_at, expires_at) VALUES ($1, $2, $3, $4, $5, "
                "'recorded_by_org', '{\"kind\": \"written\"}', 'test', $6, $7, $8, $9)",
                uuid.uuid4(),
                cafe_org,
                uuid.UUID(mine),
                purpose_granted,
                sorted(categories),
                now - timedelta(days=2),
                None if state == "awaiting" else now - timedelta(days=2),
                now - timedelta(days=1) if state == "withdrawn" else None,
                now - timedelta(hours=1) if state == "expired" else now + timedelta(days=30),
            )
        for headers, person in ((council, theirs), (cafe, mine)):
            visit = {
                "person_id": person,
                "kind": "visit",
                "occurred_at": (now - timedelta(hours=2)).isoformat(),
            }
            await post(headers, "/v1/interactions", visit)

        # The reference, plainly: the categories of the café's active grants for the purpose.
        granted = set().union(*(c for p, c, s in grants if p == purpose and s == "active"))
        shown = set(CAFE_FIELDS) | {a for a in her if ATTRIBUTE_CATEGORY[a] in granted}

        profile = await client.get(f"/v1/people/{mine}", params={"purpose": purpose}, headers=cafe)
        assert profile.status_code == 200, profile.text
        body = PersonOut.model_validate(profile.json())  # the answer is the documented shape
        assert set(body.attributes) == shown
        for attribute, claim in body.attributes.items():
            if attribute not in CAFE_FIELDS:
                assert claim.source_sector == "public"
        assert await logged("profile", mine) == [sorted({ATTRIBUTE_CATEGORY[a] for a in shown})]

        timeline = await client.get(f"/v1/people/{mine}/timeline", params={"purpose": purpose}, headers=cafe)
        if not granted:  # nothing granted for the purpose: refused, and nothing logged
            assert timeline.status_code == 403, timeline.text
            assert await logged("timeline", mine) == []
        else:
            assert timeline.status_code == 200, timeline.text
            Timeline.model_validate(timeline.json())  # the answer is the documented shape
            owners = {item["own"] for item in timeline.json()["items"]}
            assert owners == ({True, False} if "interactions" in granted else {True})
            assert await logged("timeline", mine) == [["interactions"]]

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(grant, max_size=4), st.sampled_from(PURPOSES))
    def scenario(grants, purpose):
        run(example(grants, purpose))

    try:
        scenario()
    finally:
        run(owner.close())
        run(client.aclose())
        run(app_cm.__aexit__(None, None, None))
        loop.close()


@pytest.fixture(scope="module")
async def own_database(server_url: str):
    async with fresh_database(server_url) as url:
        yield url


async def test_a_server_killed_under_load_has_logged_every_read_it_answered(own_database, tmp_path):
    """Reads answered 200, then SIGKILL of the real server process mid-load: every read a client
    was answered is in the access log."""
    data_dir = tmp_path / "data"
    async with running_app(make_settings(own_database, data_dir)) as app:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as c:
            platform = Platform(app, c)
            org = await platform.make_org()
            creds = await platform.make_client(org.id, ["people:read", "people:write"])
    with kith_serve_process(own_database, data_dir) as (base, proc):
        async with httpx.AsyncClient(base_url=base, timeout=10) as c:
            token = await c.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(creds.client_id, creds.client_secret),
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            created = await c.post("/v1/people", json=unique_resident(), headers=headers)
            person = created.json()["person_id"]
            answered = 0

            async def reader() -> None:
                nonlocal answered
                while True:
                    try:
                        r = await c.get(
                            f"/v1/people/{person}", params={"purpose": "service_delivery"}, headers=headers
                        )
                    except httpx.TransportError:
                        return  # the server is gone
                    if r.status_code == 200:
                        answered += 1

            readers = [asyncio.create_task(reader()) for _ in range(16)]
            while answered < 300:
                await asyncio.sleep(0.01)
            os.killpg(proc.pid, signal.SIGKILL)  # the server and any worker processes, at once
            await asyncio.gather(*readers)
            proc.wait(30)
    owner = await asyncpg.connect(_plain(own_database))
    try:
        entries = await owner.fetchval(
            "SELECT count(*) FROM access_log WHERE org_id = $1 AND action = 'profile'", org.id
        )
    finally:
        await owner.close()
    assert answered >= 300 and entries >= answered, (answered, entries)
