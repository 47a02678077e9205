"""The `kith` command: bootstrap an organisation and client, then use them with a real OAuth client."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

from app.console.oidc import (
    AsyncOAuth2Client,  # Authlib's client, imported where its fallback warning is handled
)


def kith(*args: str, database_url: str, data_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "KITH_DATABASE_URL": database_url, "KITH_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True)


class TestBootstrap:
    async def test_orgs_and_clients_create_then_token(self, app, database_url, data_dir):
        made = kith(
            "orgs",
            "create",
            "--name",
            "Riverside Council",
            "--sector",
            "public",
            "--kind",
            "council",
            "--json",
            database_url=database_url,
            data_dir=data_dir,
        )
        assert made.returncode == 0, made.stderr
        org = json.loads(made.stdout)
        made = kith(
            "clients",
            "create",
            "--org",
            org["id"],
            "--scopes",
            "people:read",
            "--admin",
            "--json",
            database_url=database_url,
            data_dir=data_dir,
        )
        assert made.returncode == 0, made.stderr
        creds = json.loads(made.stdout)
        assert creds["client_secret"].startswith("ks_")
        async with AsyncOAuth2Client(
            client_id=creds["client_id"],
            client_secret=creds["client_secret"],
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
        ) as oauth:
            await oauth.fetch_token("http://testserver/oauth/token", grant_type="client_credentials")
            response = await oauth.get(f"/v1/admin/organisations/{org['id']}")
        assert response.status_code == 200
        assert response.json()["name"] == "Riverside Council"

    def test_secret_is_stored_only_as_a_hash(self, database_url, data_dir):
        org = json.loads(
            kith(
                "orgs",
                "create",
                "--name",
                "Shop",
                "--sector",
                "commercial",
                "--kind",
                "business",
                "--json",
                database_url=database_url,
                data_dir=data_dir,
            ).stdout
        )
        creds = json.loads(
            kith(
                "clients",
                "create",
                "--org",
                org["id"],
                "--scopes",
                "rewards:redeem",
                "--json",
                database_url=database_url,
                data_dir=data_dir,
            ).stdout
        )
        import asyncio

        import asyncpg

        from tests.conftest import _plain

        async def stored():
            conn = await asyncpg.connect(_plain(database_url))
            try:
                return await conn.fetchval(
                    "SELECT secret_hash FROM api_clients WHERE client_id = $1", creds["client_id"]
                )
            finally:
                await conn.close()

        secret_hash = asyncio.run(stored())
        assert creds["client_secret"] not in secret_hash and len(secret_hash) == 64

    def test_bad_arguments_are_explained(self, database_url, data_dir):
        bad = kith(
            "orgs",
            "create",
            "--name",
            "X",
            "--sector",
            "space",
            "--kind",
            "council",
            database_url=database_url,
            data_dir=data_dir,
        )
        assert bad.returncode == 1 and "sector" in bad.stderr
        bad = kith(
            "clients",
            "create",
            "--org",
            "nope",
            "--scopes",
            "people:read",
            database_url=database_url,
            data_dir=data_dir,
        )
        assert bad.returncode == 1 and "--org" in bad.stderr
        bad = kith(
            "clients",
            "create",
            "--org",
            "nope",
            "--scopes",
            "mind:read",
            database_url=database_url,
            data_dir=data_dir,
        )
        assert bad.returncode == 1 and "unknown scope" in bad.stderr


class TestSingleSignOn:
    async def test_orgs_sso_seals_the_secret_for_the_server_and_removes_it(self, app, database_url, data_dir):
        import uuid

        from app.organisations import service as organisations

        def run(*args: str) -> subprocess.CompletedProcess:
            return kith("orgs", *args, database_url=database_url, data_dir=data_dir)

        org = json.loads(
            run(
                "create", "--name", "Riverside Council", "--sector", "public", "--kind", "council", "--json"
            ).stdout
        )
        made = run(
            "sso", "--org", org["id"], "--issuer", "https://login.example.org",
            "--client-id", "kith-console", "--client-secret", "the-secret", "--json",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert json.loads(made.stdout)["redirect_uri"].endswith("/console/sso/callback")
        assert "the-secret" not in made.stdout
        async with app.state.db.session(platform=True) as session:  # the server opens what the command sealed
            provider = await organisations.sso_provider(session, uuid.UUID(org["id"]))
        assert (provider.issuer, provider.client_id, provider.client_secret) == (
            "https://login.example.org",
            "kith-console",
            "the-secret",
        )
        bad = run(
            "sso",
            "--org",
            org["id"],
            "--issuer",
            "http://login.example.org",
            "--client-id",
            "x",
            "--client-secret",
            "y",
        )
        assert bad.returncode == 1 and "issuer" in bad.stderr
        assert run("sso", "--org", org["id"], "--remove").returncode == 0
        async with app.state.db.session(platform=True) as session:
            assert await organisations.sso_provider(session, uuid.UUID(org["id"])) is None
        again = run("sso", "--org", org["id"], "--remove")
        assert again.returncode == 1 and "no single sign-on" in again.stderr


class TestManaging:
    async def test_list_show_rotate_and_disable(self, app, database_url, data_dir):
        def run(*args: str) -> dict | list:
            done = kith(*args, "--json", database_url=database_url, data_dir=data_dir)
            assert done.returncode == 0, (args, done.stderr)
            return json.loads(done.stdout)

        org = run("orgs", "create", "--name", "Mill Lane Café", "--sector", "commercial", "--kind", "cafe")
        creds = run("clients", "create", "--org", org["id"], "--scopes", "rewards:redeem")
        assert org["id"] in {o["id"] for o in run("orgs", "list")}
        shown = run("orgs", "show", org["id"])
        assert shown["name"] == "Mill Lane Café" and [c["client_id"] for c in shown["clients"]] == [
            creds["client_id"]
        ]
        assert creds["client_secret"] not in json.dumps(shown), "never a secret"
        listed = run("clients", "list", "--org", org["id"])
        assert [c["scopes"] for c in listed] == [["rewards:redeem"]]

        async def token(secret: str) -> int:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as c:
                answer = await c.post(
                    "/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(creds["client_id"], secret),
                )
            return answer.status_code

        rotated = run("clients", "rotate-secret", creds["client_id"])
        assert rotated["client_secret"] != creds["client_secret"]
        assert await token(creds["client_secret"]) == 401 and await token(rotated["client_secret"]) == 200
        disabled = run("clients", "disable", creds["client_id"])
        assert disabled["disabled_at"] is not None
        assert await token(rotated["client_secret"]) == 401
        missing = kith("orgs", "show", "not-an-id", database_url=database_url, data_dir=data_dir)
        assert missing.returncode != 0 and "not an organisation id" in missing.stderr


class TestIndicators:
    def test_refresh_then_a_revision_on_demand(self, database_url, data_dir):
        refreshed = kith("indicators", "refresh", "--json", database_url=database_url, data_dir=data_dir)
        assert refreshed.returncode == 0, refreshed.stderr
        assert "cells" in json.loads(refreshed.stdout)
        first = kith("indicators", "revise", "--json", database_url=database_url, data_dir=data_dir)
        second = kith("indicators", "revise", "--json", database_url=database_url, data_dir=data_dir)
        assert first.returncode == 0 and second.returncode == 0, (first.stderr, second.stderr)
        a, b = json.loads(first.stdout)["revision"], json.loads(second.stdout)["revision"]
        assert (
            a is None and b is None
        ) or b == a + 1  # nothing to publish (no activity), or one more each time
