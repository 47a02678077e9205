"""Interactions over HTTP: idempotent logging, mixed batches, and consent-filtered timelines."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tests.factories import org_with_token, unique_resident

SCOPES = "people:read people:write consent:read consent:write interactions:read interactions:write"
RECORDED = {"method": "recorded_by_org", "evidence": {"kind": "written", "reference": "form 9"}}


def visit(person_id: str, minutes_ago: int = 10, **extra) -> dict:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {"person_id": person_id, "kind": "visit", "occurred_at": at.isoformat(), **extra}


@pytest.fixture
async def shop(client, platform):
    org_id, headers = await org_with_token(platform, SCOPES, sector="commercial", kind="shop")
    person = (await client.post("/v1/people", json=unique_resident(), headers=headers)).json()["person_id"]
    return org_id, headers, person


class TestLogOne:
    async def test_created_then_replayed(self, client, shop, owner_conn):
        org_id, headers, person = shop
        body = visit(person, external_id="till-1", channel="in_person", value_pence=250, kind="purchase")
        first = await client.post("/v1/interactions", json=body, headers=headers)
        assert first.status_code == 201, first.text
        again = await client.post("/v1/interactions", json=body, headers=headers)
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"] and again.json()["person_id"] == person
        assert await owner_conn.fetchval("SELECT count(*) FROM interactions WHERE org_id = $1", org_id) == 1

    async def test_person_not_linked_is_404(self, client, shop, platform):
        _, headers, _ = shop
        _, other_headers = await org_with_token(platform, SCOPES)
        stranger = (await client.post("/v1/people", json=unique_resident(), headers=other_headers)).json()
        response = await client.post("/v1/interactions", json=visit(stranger["person_id"]), headers=headers)
        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"kind": "gossip"}, "kind"),
            ({"occurred_at": "2026-01-01T10:00:00"}, "occurred_at"),
            ({"occurred_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "occurred_at"),
            ({"value_pence": -5}, "value_pence"),
            ({"attributes": {"blob": "x" * 5000}}, "attributes"),
            ({"attributes": {"x": "\udfff"}}, "attributes"),  # a lone surrogate: no text can hold it
            ({"channel": "phone\ud800"}, "channel"),
            ({"counterpart_org_id": str(uuid.uuid4())}, "counterpart_org_id"),
            ({"mood": "happy"}, "mood"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(self, client, shop, owner_conn, change, field):
        org_id, headers, person = shop
        # json.dumps escapes a lone surrogate as JSON may ("\\udfff"); httpx's own encoder cannot.
        response = await client.post(
            "/v1/interactions",
            content=json.dumps(visit(person) | change),
            headers=headers | {"Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert field in {e["field"] for e in response.json()["errors"]}
        assert await owner_conn.fetchval("SELECT count(*) FROM interactions WHERE org_id = $1", org_id) == 0


class TestIdempotencyKey:
    """A single post with an Idempotency-Key is done once, whatever the retries (Stripe's semantics)."""

    @staticmethod
    async def count(owner_conn, org_id) -> int:
        return await owner_conn.fetchval("SELECT count(*) FROM interactions WHERE org_id = $1", org_id)

    async def test_the_same_key_and_body_answer_the_first_response(self, client, shop, owner_conn):
        org_id, headers, person = shop
        body = visit(person, channel="phone")  # no external_id: only the key makes a retry safe
        keyed = {**headers, "Idempotency-Key": "retry-1"}
        first = await client.post("/v1/interactions", json=body, headers=keyed)
        assert first.status_code == 201, first.text
        assert "idempotent-replayed" not in first.headers
        # The same data with its keys in another order and other spacing is the same request.
        reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
        again = await client.post(
            "/v1/interactions", content=reordered, headers={**keyed, "Content-Type": "application/json"}
        )
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert await self.count(owner_conn, org_id) == 1
        # Without the key, the same body is a new interaction (it has no external_id).
        assert (await client.post("/v1/interactions", json=body, headers=headers)).status_code == 201
        assert await self.count(owner_conn, org_id) == 2

    async def test_erasing_the_person_forgets_the_answers_about_them(
        self, client, shop, platform, owner_conn
    ):
        _, headers, person = shop
        keyed = {**headers, "Idempotency-Key": "about-her"}
        assert (await client.post("/v1/interactions", json=visit(person), headers=keyed)).status_code == 201
        kept = "SELECT count(*) FROM idempotency_keys WHERE subject = $1"
        assert await owner_conn.fetchval(kept, uuid.UUID(person)) == 1
        canonical = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(person)
        )
        erased = await client.post(
            f"/v1/admin/people/{canonical}/erase", headers=await platform.admin_headers()
        )
        assert erased.status_code == 200, erased.text
        assert await owner_conn.fetchval(kept, uuid.UUID(person)) == 0

    async def test_the_same_key_with_another_body_is_409_and_does_nothing(self, client, shop, owner_conn):
        org_id, headers, person = shop
        keyed = {**headers, "Idempotency-Key": "retry-2"}
        assert (await client.post("/v1/interactions", json=visit(person), headers=keyed)).status_code == 201
        other = await client.post("/v1/interactions", json=visit(person, minutes_ago=99), headers=keyed)
        assert other.status_code == 409, other.text
        assert other.headers["content-type"].startswith("application/problem+json")
        assert other.json()["code"] == "idempotency_key_reused"
        assert await self.count(owner_conn, org_id) == 1

    async def test_keys_are_each_clients_own(self, client, shop, platform, owner_conn):
        org_id, headers, person = shop
        body = visit(person)
        assert (
            await client.post("/v1/interactions", json=body, headers={**headers, "Idempotency-Key": "k"})
        ).status_code == 201
        # Another client of the same organisation, with the same key and body: its own request.
        creds = await platform.make_client(org_id, SCOPES.split())
        second = {"Authorization": f"Bearer {await platform.token(creds)}", "Idempotency-Key": "k"}
        response = await client.post("/v1/interactions", json=body, headers=second)
        assert response.status_code == 201 and "idempotent-replayed" not in response.headers
        assert await self.count(owner_conn, org_id) == 2

    async def test_concurrent_requests_with_one_key_do_the_work_once(self, client, shop, owner_conn):
        org_id, headers, person = shop
        body = visit(person)
        keyed = {**headers, "Idempotency-Key": "at-once"}
        responses = await asyncio.gather(
            *(client.post("/v1/interactions", json=body, headers=keyed) for _ in range(4))
        )
        assert all(r.status_code in (201, 409) for r in responses), [r.text for r in responses]
        done = [r for r in responses if r.status_code == 201]
        assert done and len({r.json()["id"] for r in done}) == 1
        assert sum("idempotent-replayed" not in r.headers for r in done) == 1
        assert await self.count(owner_conn, org_id) == 1

    async def test_a_failed_request_keeps_nothing(self, client, shop, owner_conn):
        org_id, headers, person = shop
        keyed = {**headers, "Idempotency-Key": "after-a-404"}
        missing = await client.post("/v1/interactions", json=visit(str(uuid.uuid4())), headers=keyed)
        assert missing.status_code == 404
        fixed = await client.post("/v1/interactions", json=visit(person), headers=keyed)
        assert fixed.status_code == 201 and "idempotent-replayed" not in fixed.headers
        assert await self.count(owner_conn, org_id) == 1

    async def test_keys_expire_after_a_day_and_are_purged(self, app, client, shop, owner_conn):
        from app.db import idempotency

        org_id, headers, person = shop
        body, keyed = visit(person), {**headers, "Idempotency-Key": "yesterday"}
        assert (await client.post("/v1/interactions", json=body, headers=keyed)).status_code == 201
        await owner_conn.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'yesterday'"
        )
        again = await client.post("/v1/interactions", json=body, headers=keyed)
        assert again.status_code == 201 and "idempotent-replayed" not in again.headers
        assert await self.count(owner_conn, org_id) == 2
        await owner_conn.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'yesterday'"
        )
        async with app.state.db.session(platform=True) as session:
            assert await idempotency.purge_expired(session) >= 1
        assert not await owner_conn.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = 'yesterday'")

    @pytest.mark.parametrize("key", [b"", b"has space", b"x" * 256, "café".encode(), b"nul\x00"])
    async def test_a_key_no_client_could_mean_is_422_naming_the_header(self, client, shop, key):
        _, headers, person = shop
        response = await client.post(
            "/v1/interactions",
            json=visit(person),
            headers={**headers, "Idempotency-Key": key},
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "Idempotency-Key"


class TestBatch:
    async def test_mixed_batch_stores_the_good_and_reports_the_bad(self, client, shop, owner_conn):
        org_id, headers, person = shop
        items = [
            visit(person, external_id="a"),
            visit(person, kind="nonsense", external_id="n"),
            visit(person, external_id="b"),
            visit(str(uuid.uuid4()), external_id="c"),
            visit(person, external_id="a"),  # the same id twice in one batch
            {"person_id": person, "external_id": "d"},
            visit(person),  # no external_id: a retried batch would store it twice
        ]
        response = await client.post("/v1/interactions/batch", json=items, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["accepted"], body["duplicates"]) == (2, 1)
        assert [r["index"] for r in body["rejected"]] == [1, 3, 5, 6]
        assert body["rejected"][1]["errors"][0]["field"] == "person_id"
        assert {e["field"] for e in body["rejected"][2]["errors"]} == {"kind", "occurred_at"}
        assert [e["field"] for e in body["rejected"][3]["errors"]] == ["external_id"]
        assert await owner_conn.fetchval("SELECT count(*) FROM interactions WHERE org_id = $1", org_id) == 2

    async def test_replayed_batch_is_all_duplicates(self, client, shop, owner_conn):
        org_id, headers, person = shop
        items = [visit(person, minutes_ago=n, external_id=f"n{n}") for n in range(50)]
        first = (await client.post("/v1/interactions/batch", json=items, headers=headers)).json()
        again = (await client.post("/v1/interactions/batch", json=items, headers=headers)).json()
        assert (first["accepted"], first["duplicates"]) == (50, 0)
        assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 50, [])
        assert await owner_conn.fetchval("SELECT count(*) FROM interactions WHERE org_id = $1", org_id) == 50

    async def test_ndjson(self, client, shop):
        _, headers, person = shop
        body = b"\n".join(orjson.dumps(visit(person, minutes_ago=n, external_id=f"nd{n}")) for n in range(3))
        response = await client.post(
            "/v1/interactions/batch", content=body, headers=headers | {"content-type": "application/x-ndjson"}
        )
        assert response.json()["accepted"] == 3

    async def test_oversize_batch_is_413(self, client, shop):
        _, headers, person = shop
        items = [visit(person)] * 10_001
        response = await client.post("/v1/interactions/batch", json=items, headers=headers)
        assert response.status_code == 413

    async def test_malformed_batch_is_400(self, client, shop):
        _, headers, _ = shop
        response = await client.post(
            "/v1/interactions/batch", content=b"[{", headers=headers | {"content-type": "application/json"}
        )
        assert response.status_code == 400


class TestTimeline:
    async def _pair(self, client, platform):
        a = await org_with_token(platform, SCOPES)
        b = await org_with_token(platform, SCOPES, sector="social", kind="charity")
        body = unique_resident()
        pa = (await client.post("/v1/people", json=body, headers=a[1])).json()["person_id"]
        pb = (await client.post("/v1/people", json=body, headers=b[1])).json()["person_id"]
        await client.post("/v1/interactions", json=visit(pa, 30, kind="service_contact"), headers=a[1])
        await client.post("/v1/interactions", json=visit(pb, 20, external_id="mine"), headers=b[1])
        return a, b, pa, pb

    async def _grant(self, client, b, pb, categories, purpose="case_coordination"):
        response = await client.post(
            f"/v1/people/{pb}/consents",
            json={"purpose": purpose, "categories": categories, **RECORDED},
            headers=b[1],
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def test_no_grant_at_all_is_403(self, client, platform):
        _, b, _, pb = await self._pair(client, platform)
        response = await client.get(
            f"/v1/people/{pb}/timeline", params={"purpose": "case_coordination"}, headers=b[1]
        )
        assert response.status_code == 403
        assert response.json()["code"] == "consent_required"

    async def test_others_interactions_only_with_the_category(self, client, platform):
        _, b, _, pb = await self._pair(client, platform)
        await self._grant(client, b, pb, ["contact"])
        url = f"/v1/people/{pb}/timeline"
        own_only = (await client.get(url, params={"purpose": "case_coordination"}, headers=b[1])).json()
        assert [(i["kind"], i["own"], i["external_id"]) for i in own_only["items"]] == [
            ("visit", True, "mine")
        ]
        consent = await self._grant(client, b, pb, ["interactions"])
        both = (await client.get(url, params={"purpose": "case_coordination"}, headers=b[1])).json()
        assert [(i["kind"], i["own"]) for i in both["items"]] == [("visit", True), ("service_contact", False)]
        assert both["items"][1]["external_id"] is None and both["items"][1]["source_sector"] == "public"
        await client.delete(f"/v1/people/{pb}/consents/{consent['consent_id']}", headers=b[1])
        again = (await client.get(url, params={"purpose": "case_coordination"}, headers=b[1])).json()
        assert [i["kind"] for i in again["items"]] == ["visit"]
        wrong_purpose = await client.get(url, params={"purpose": "offers"}, headers=b[1])
        assert wrong_purpose.status_code == 403

    async def test_pages_newest_first(self, client, shop):
        _, headers, person = shop
        await client.post(
            f"/v1/people/{person}/consents",
            json={
                "purpose": "rewards",
                "categories": ["rewards"],
                "method": "recorded_by_org",
                "evidence": {"kind": "verbal", "reference": "at the desk"},
            },
            headers=headers,
        )
        items = [visit(person, minutes_ago=n, external_id=f"p{n}") for n in range(7)]
        await client.post("/v1/interactions/batch", json=items, headers=headers)
        seen, cursor = [], None
        while True:
            params = {"purpose": "rewards", "limit": 3} | ({"cursor": cursor} if cursor else {})
            page = (await client.get(f"/v1/people/{person}/timeline", params=params, headers=headers)).json()
            seen += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        times = [i["occurred_at"] for i in seen]
        assert len(seen) == 7 and times == sorted(times, reverse=True)
