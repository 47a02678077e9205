"""Health, readiness, metrics and request ids."""

from __future__ import annotations

import httpx

from tests.conftest import make_settings, running_app


class TestOperations:
    async def test_healthz(self, client):
        assert (await client.get("/healthz")).json() == {"status": "ok"}

    async def test_readyz_reports_migration_head(self, client):
        from app.db.migrate import head_revision

        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["migration"] == head_revision()

    async def test_readyz_unready_when_schema_is_behind(self, app, client, monkeypatch):
        monkeypatch.setattr(app.state, "head_revision", "9999_future")
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["expected"] == "9999_future"

    async def test_metrics_count_requests_by_route(self, client):
        await client.get("/healthz")
        text = (await client.get("/metrics")).text
        assert 'kith_http_requests_total{method="GET",route="/healthz",status="200"}' in text
        assert "kith_http_request_duration_seconds_bucket" in text

    async def test_metrics_label_v1_routes_by_full_template(self, client, platform):
        headers = await platform.admin_headers()
        await client.get("/v1/admin/organisations/00000000-0000-0000-0000-000000000000", headers=headers)
        text = (await client.get("/metrics")).text
        assert 'route="/v1/admin/organisations/{org_id}",status="404"' in text

    async def test_request_id_is_echoed_or_made(self, client):
        response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert response.headers["x-request-id"] == "abc-123"
        made = (await client.get("/healthz")).headers["x-request-id"]
        assert len(made) == 32

    async def test_unsafe_request_id_is_replaced(self, client):
        response = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
        assert response.headers["x-request-id"] != "bad id\twith spaces"


class TestSecurityHeaders:
    async def test_nosniff_everywhere_and_hsts_outside_dev(self, client, database_url, data_dir):
        for path in ("/healthz", "/v1/people/x", "/portal/", "/nowhere"):
            r = await client.get(path)
            assert r.headers["x-content-type-options"] == "nosniff", path
            assert r.headers["strict-transport-security"].startswith("max-age="), path
        async with running_app(make_settings(database_url, data_dir, env="dev")) as dev:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=dev), base_url="http://testserver"
            ) as c:
                r = await c.get("/healthz")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in r.headers


class TestMetricsAccess:
    async def test_only_named_scrapers(self, database_url, data_dir):
        settings = make_settings(
            database_url, data_dir, metrics_allow="10.9.8.0/24", metrics_token="s3cret-scrape"
        )
        async with running_app(settings) as app:
            for peer, headers, status in [
                (("127.0.0.1", 5000), {}, 403),  # loopback is no longer named
                (("10.9.8.7", 5000), {}, 200),
                (("192.0.2.1", 5000), {"Authorization": "Bearer s3cret-scrape"}, 200),
                (("192.0.2.1", 5000), {"Authorization": "Bearer wrong"}, 403),
            ]:
                transport = httpx.ASGITransport(app=app, client=peer)
                async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                    r = await c.get("/metrics", headers=headers)
                assert r.status_code == status, (peer, headers, r.text)
