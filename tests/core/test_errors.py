"""Bad input gets a clear problem+json and writes nothing."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import make_settings, running_app
from tests.factories import org_with_token
from tests.ledger.conftest import SCOPES, make_pool, mint

PROBLEM = "application/problem+json"


@pytest.fixture
async def admin(platform):
    return await platform.admin_headers()


async def _org_count(owner_conn) -> int:
    return await owner_conn.fetchval("SELECT count(*) FROM organisations")


class TestBadInput:
    async def test_malformed_json(self, client, admin, owner_conn):
        before = await _org_count(owner_conn)
        response = await client.post(
            "/v1/admin/organisations",
            content=b'{"name": "x", "sector": ',
            headers={**admin, "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert (
            body["code"] == "malformed_json"
            and body["status"] == 400
            and body["type"].endswith("malformed_json")
        )
        assert await _org_count(owner_conn) == before

    async def test_wrong_content_type(self, client, admin, owner_conn):
        before = await _org_count(owner_conn)
        response = await client.post(
            "/v1/admin/organisations",
            content=b"name=x&sector=public&kind=council",
            headers={**admin, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 415
        assert response.headers["content-type"] == PROBLEM
        assert "application/json" in response.json()["detail"]
        assert await _org_count(owner_conn) == before

    async def test_oversize_body_declared(self, client, admin, owner_conn):
        before = await _org_count(owner_conn)
        big = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'", "sector": "public", "kind": "council"}'
        response = await client.post(
            "/v1/admin/organisations", content=big, headers={**admin, "Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.headers["content-type"] == PROBLEM
        assert await _org_count(owner_conn) == before

    async def test_oversize_body_streamed_without_length(self, client, admin, owner_conn):
        before = await _org_count(owner_conn)

        async def chunks():
            yield b'{"name": "'
            for _ in range(20):
                yield b"x" * 65536
            yield b'", "sector": "public", "kind": "council"}'

        response = await client.post(
            "/v1/admin/organisations", content=chunks(), headers={**admin, "Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"
        assert await _org_count(owner_conn) == before

    async def test_unknown_field(self, client, admin, owner_conn):
        before = await _org_count(owner_conn)
        response = await client.post(
            "/v1/admin/organisations",
            json={"name": "x", "sector": "public", "kind": "council", "colour": "blue"},
            headers=admin,
        )
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "validation_error"
        assert [e["field"] for e in body["errors"]] == ["colour"]
        assert "colour" in body["detail"]
        assert await _org_count(owner_conn) == before

    async def test_missing_and_wrong_typed_fields_are_each_named(self, client, admin):
        response = await client.post(
            "/v1/admin/organisations", json={"name": 42, "sector": "space"}, headers=admin
        )
        assert response.status_code == 422
        fields = {e["field"] for e in response.json()["errors"]}
        assert fields == {"name", "sector", "kind"}

    async def test_body_that_is_not_an_object(self, client, admin):
        response = await client.post("/v1/admin/organisations", json=[1, 2], headers=admin)
        assert response.status_code == 422

    async def test_bad_page_cursor(self, client, admin):
        response = await client.get(
            "/v1/admin/organisations", params={"cursor": "not-a-cursor!"}, headers=admin
        )
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid_cursor"
        assert body["errors"][0]["field"] == "cursor"

    async def test_well_formed_cursor_of_wrong_shape(self, client, admin):
        from app.core.pagination import encode_cursor

        response = await client.get(
            "/v1/admin/organisations", params={"cursor": encode_cursor(["yesterday"])}, headers=admin
        )
        assert response.status_code == 400

    async def test_page_size_cap(self, client, admin):
        response = await client.get("/v1/admin/organisations", params={"limit": 501}, headers=admin)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "limit"

    async def test_bad_path_id(self, client, admin):
        response = await client.get("/v1/admin/organisations/not-a-uuid", headers=admin)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "org_id"

    async def test_unknown_path(self, client):
        response = await client.get("/v1/nothing-here")
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM

    async def test_wrong_method(self, client):
        response = await client.delete("/.well-known/jwks.json")
        assert response.status_code == 405
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "method_not_allowed"


class TestNulCharacters:
    """U+0000 cannot be stored in PostgreSQL text or jsonb: anywhere a client can put it, it is a 422
    naming the field, and nothing is written."""

    async def test_in_a_body_field_and_in_nested_metadata(self, client, platform, owner_conn):
        org_id, headers = await org_with_token(platform, SCOPES)
        response = await client.post(
            "/v1/people",
            json={"external_ref": "NUL-1\u0000", "given_name": "Ann", "family_name": "Lee"},
            headers=headers,
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert [e["field"] for e in response.json()["errors"]] == ["external_ref"]
        assert "NUL" in response.json()["errors"][0]["message"]
        pool, other = await make_pool(client, headers), await make_pool(client, headers, "Other")
        await mint(client, await platform.admin_headers(), pool, 10)
        transfer_id = str(uuid.uuid4())
        made = await client.post(
            "/v1/ledger/transfers",
            json={
                "id": transfer_id,
                "debit_account_id": pool,
                "credit_account_id": other,
                "amount": 1,
                "code": "fund",
                "metadata": {"note": ["fine", {"deep": "not\u0000fine"}]},
            },
            headers=headers,
        )
        assert made.status_code == 422, made.text
        assert [e["field"] for e in made.json()["errors"]] == ["metadata"]
        assert (
            await owner_conn.fetchval(
                "SELECT count(*) FROM ledger_transfers WHERE ref = $1::uuid", transfer_id
            )
            == 0
        )
        stored = await owner_conn.fetchval(
            "SELECT count(*) FROM person_records WHERE org_id = $1 AND external_ref LIKE 'NUL-%'", org_id
        )
        assert stored == 0

    async def test_in_a_batch_record_only_that_record_is_refused(self, client, platform):
        _, headers = await org_with_token(platform, SCOPES + " interactions:write")
        items = [
            {"external_ref": "NULB-0", "given_name": "Ada", "family_name": "Stone"},
            {"external_ref": "NULB-1", "given_name": "Bea\u0000", "family_name": "Stone"},
        ]
        response = await client.post("/v1/people/batch", json=items, headers=headers)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["created", "rejected"]
        assert results[1]["errors"][0]["field"] == "given_name"
        # an interaction batch likewise (its fast path skips the check for bodies without \u0000)
        person_id = results[0]["person_id"]
        interactions = [
            {
                "person_id": person_id,
                "kind": "visit",
                "occurred_at": "2026-11-02T10:00:00Z",
                "external_id": f"N{i}",
            }
            for i in range(3)
        ]
        interactions[1]["attributes"] = {"note\u0000": "x"}
        logged = await client.post("/v1/interactions/batch", json=interactions, headers=headers)
        assert logged.status_code == 200, logged.text
        assert [e["index"] for e in logged.json()["rejected"]] == [1], logged.text
        assert logged.json()["rejected"][0]["errors"][0]["field"] == "attributes"

    async def test_in_a_query_parameter(self, client, platform):
        _, headers = await org_with_token(platform, SCOPES)
        response = await client.get("/v1/people?external_ref=A%00B", headers=headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"][0] | {"message": ""} == {
            "field": "external_ref",
            "in": "query",
            "message": "",
            "type": "value_error",
        }
        # a percent sign followed by 00, encoded, is not a NUL
        assert (await client.get("/v1/people?external_ref=A%2500B", headers=headers)).status_code == 200


class TestPagination:
    async def test_pages_cover_everything_once(self, client, platform):
        admin = await platform.admin_headers()
        for _ in range(5):
            await platform.make_org()
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
            page = (await client.get("/v1/admin/organisations", params=params, headers=admin)).json()
            assert len(page["items"]) <= 3
            seen.extend(o["id"] for o in page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) >= 6


class TestRateLimit:
    async def test_over_the_limit_is_429_with_retry_after(self, database_url, data_dir):
        import httpx

        from tests.factories import Platform

        settings = make_settings(database_url, data_dir, rate_limit="3/minute")
        async with running_app(settings) as app:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as c:
                headers = await Platform(app, c).admin_headers()
                statuses = [
                    (await c.get("/v1/admin/organisations", headers=headers)).status_code for _ in range(4)
                ]
                limited = await c.get("/v1/admin/organisations", headers=headers)
        assert statuses[:3] == [200, 200, 200]
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["content-type"] == PROBLEM

    async def test_token_endpoint_is_limited_per_address(self, database_url, data_dir):
        import httpx

        settings = make_settings(database_url, data_dir, token_rate_limit="2/minute")
        async with running_app(settings) as app:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as c:
                statuses = [
                    (
                        await c.post(
                            "/oauth/token",
                            data={"grant_type": "client_credentials"},
                            auth=("kc_guess", "ks_guess"),
                        )
                    ).status_code
                    for _ in range(3)
                ]
        assert statuses == [401, 401, 429]


class TestServerErrors:
    async def test_unexpected_error_is_problem_json_without_internals(self, database_url, data_dir):
        import httpx

        settings = make_settings(database_url, data_dir)
        async with running_app(settings) as app:

            @app.get("/boom")
            async def boom():
                raise RuntimeError("secret internals: SELECT * FROM api_clients")

            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                response = await c.get("/boom")
        assert response.status_code == 500
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "internal_error"
        assert "SELECT" not in response.text and "Traceback" not in response.text
        assert response.headers["x-request-id"]

    async def test_statement_timeout_applies_to_the_services_queries(self, app):
        from sqlalchemy import text

        async with app.state.db.session() as session:
            assert await session.scalar(text("SHOW statement_timeout")) == "5s"
            assert await session.scalar(text("SELECT current_user")) == "kith_app"
