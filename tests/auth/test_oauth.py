"""OAuth 2 client credentials, exercised by a real OAuth client (Authlib's AsyncOAuth2Client)."""

from __future__ import annotations

import base64
import time
from urllib.parse import quote

import httpx
import pytest
from authlib.integrations.base_client import OAuthError
from joserfc import jwt
from joserfc.jwk import KeySet

from app.console.oidc import (
    AsyncOAuth2Client,  # Authlib's client, imported where its fallback warning is handled
)

TOKEN_URL = "http://testserver/oauth/token"


def oauth_client(
    app, creds, method: str = "client_secret_basic", scope: str | None = None
) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=creds.client_id,
        client_secret=creds.client_secret,
        token_endpoint_auth_method=method,
        scope=scope,
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
    )


@pytest.fixture
async def admin_creds(platform):
    org = await platform.make_org(kind="partnership")
    return await platform.make_client(org.id, ["people:read"], admin=True)


class TestTokenEndpoint:
    @pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
    async def test_real_client_gets_token_and_calls_api(self, app, admin_creds, method):
        async with oauth_client(app, admin_creds, method) as oauth:
            token = await oauth.fetch_token(TOKEN_URL, grant_type="client_credentials")
            assert token["token_type"].lower() == "bearer"
            assert token["expires_in"] == 900
            assert set(token["scope"].split()) == {"admin", "people:read"}
            response = await oauth.get(f"/v1/admin/organisations/{admin_creds.org_id}")
        # (By id: the test database is shared, so the first page of the list may not hold it.)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == str(admin_creds.org_id)

    async def test_token_is_rfc9068_and_verifies_against_jwks(self, app, client, platform, admin_creds):
        access = await platform.token(admin_creds)
        jwks = (await client.get("/.well-known/jwks.json")).json()
        decoded = jwt.decode(access, KeySet.import_key_set(jwks), algorithms=["ES256"])
        assert decoded.header["typ"] == "at+jwt"
        assert decoded.header["alg"] == "ES256"
        assert decoded.header["kid"] == jwks["keys"][0]["kid"]
        claims = decoded.claims
        assert claims["sub"] == claims["client_id"] == admin_creds.client_id
        assert claims["org"] == str(admin_creds.org_id)
        assert claims["iss"] == "http://testserver" and claims["aud"] == "http://testserver"
        assert claims["exp"] - claims["iat"] == 900
        assert claims["jti"]

    async def test_metadata_document(self, client):
        meta = (await client.get("/.well-known/oauth-authorization-server")).json()
        assert meta["issuer"] == "http://testserver"
        assert meta["token_endpoint"] == "http://testserver/oauth/token"
        assert meta["grant_types_supported"] == ["client_credentials"]
        assert set(meta["token_endpoint_auth_methods_supported"]) == {
            "client_secret_basic",
            "client_secret_post",
        }
        assert "people:read" in meta["scopes_supported"]

    async def test_wrong_secret_is_invalid_client(self, app, admin_creds):
        admin_creds.client_secret = "ks_wrong"
        async with oauth_client(app, admin_creds) as oauth:
            with pytest.raises(OAuthError) as err:
                await oauth.fetch_token(TOKEN_URL, grant_type="client_credentials")
        assert err.value.error == "invalid_client"

    async def test_wrong_secret_status_and_body(self, client, admin_creds):
        response = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(admin_creds.client_id, "nope")
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["cache-control"] == "no-store"

    async def test_unknown_client(self, client):
        response = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("kc_nobody", "ks_x")
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_unknown_client_and_wrong_secret_answer_alike(self, client, admin_creds):
        """No id oracle: the answers differ in nothing a caller could read."""
        answers = []
        for client_id in ("kc_nobody", admin_creds.client_id):
            for how in ("basic", "post"):
                form = {"grant_type": "client_credentials"}
                if how == "post":
                    form |= {"client_id": client_id, "client_secret": "ks_wrong"}
                r = await client.post(
                    "/oauth/token", data=form, auth=(client_id, "ks_wrong") if how == "basic" else None
                )
                headers = {k: v for k, v in r.headers.items() if k not in ("x-request-id", "date")}
                answers.append((how, r.status_code, r.content, headers))
        assert answers[0][1:] == answers[2][1:] and answers[1][1:] == answers[3][1:]
        assert {a[1] for a in answers} == {401}

    async def test_unknown_client_secret_is_hashed_as_a_wrong_one_is(self, client, admin_creds, monkeypatch):
        """No timing oracle either: an unknown client's secret costs the same hashing as a known one's."""
        from app.core import ids

        hashed: list[str] = []
        real = ids.hash_secret
        monkeypatch.setattr(ids, "hash_secret", lambda secret: hashed.append(secret) or real(secret))
        for client_id in ("kc_nobody", admin_creds.client_id):
            hashed.clear()
            r = await client.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "ks_wrong")
            )
            assert r.status_code == 401
            assert hashed == ["ks_wrong"], client_id

    async def test_unknown_scope(self, app, admin_creds):
        async with oauth_client(app, admin_creds, scope="people:read telepathy") as oauth:
            with pytest.raises(OAuthError) as err:
                await oauth.fetch_token(TOKEN_URL, grant_type="client_credentials")
        assert err.value.error == "invalid_scope"

    async def test_scope_the_client_lacks(self, client, platform):
        org = await platform.make_org()
        creds = await platform.make_client(org.id, ["people:read"])
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "people:read ledger:write"},
            auth=(creds.client_id, creds.client_secret),
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"

    async def test_narrower_scope_is_honoured(self, client, platform):
        org = await platform.make_org()
        creds = await platform.make_client(org.id, ["people:read", "people:write"])
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "people:read"},
            auth=(creds.client_id, creds.client_secret),
        )
        assert response.status_code == 200
        assert response.json()["scope"] == "people:read"

    async def test_unsupported_grant_type(self, client, admin_creds):
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "password"},
            auth=(admin_creds.client_id, admin_creds.client_secret),
        )
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"

    async def test_json_body_is_invalid_request(self, client, admin_creds):
        response = await client.post(
            "/oauth/token",
            json={"grant_type": "client_credentials"},
            auth=(admin_creds.client_id, admin_creds.client_secret),
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_disabled_client_loses_access_at_once(self, client, platform, admin_creds):
        access = await platform.token(admin_creds)
        headers = {"Authorization": f"Bearer {access}"}
        assert (await client.get("/v1/admin/organisations", headers=headers)).status_code == 200
        other_admin = await platform.admin_headers()
        disabled = await client.post(
            f"/v1/admin/clients/{admin_creds.client_id}/disable", headers=other_admin
        )
        assert disabled.status_code == 200 and disabled.json()["disabled_at"]
        again = await client.get("/v1/admin/organisations", headers=headers)
        assert again.status_code == 401
        assert "disabled" in again.json()["detail"]
        # Everywhere: the catalogue, which needs no scope, too.
        assert (await client.get("/v1/purposes", headers=headers)).status_code == 401
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(admin_creds.client_id, admin_creds.client_secret),
        )
        assert response.status_code == 401


class TestBearerTokens:
    async def test_missing_token(self, client):
        response = await client.get("/v1/admin/organisations")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")

    async def test_not_a_bearer_header(self, client):
        response = await client.get("/v1/admin/organisations", headers={"Authorization": "Basic abc"})
        assert response.status_code == 401

    async def test_expired_token(self, app, client, admin_creds):
        now = int(time.time())
        expired = _admin_token(app, admin_creds, "x", now - 3600, now - 1800)
        response = await client.get("/v1/admin/organisations", headers={"Authorization": f"Bearer {expired}"})
        assert response.status_code == 401
        assert "expired" in response.json()["detail"]
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    async def test_token_expires_even_once_verified(self, app, client, admin_creds, monkeypatch):
        # The verifier remembers tokens it has checked; expiry must still end them.
        now = int(time.time())
        token = _admin_token(app, admin_creds, "remembered", now, now + 60)
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/v1/admin/organisations", headers=headers)).status_code == 200
        assert (await client.get("/v1/admin/organisations", headers=headers)).status_code == 200
        monkeypatch.setattr(time, "time", lambda: now + 60 + 31)  # past exp and the 30 s leeway
        response = await client.get("/v1/admin/organisations", headers=headers)
        assert response.status_code == 401
        assert "expired" in response.json()["detail"]

    async def test_tampered_token(self, client, platform):
        org = await platform.make_org()
        creds = await platform.make_client(org.id, ["people:read"])
        access = await platform.token(creds)
        header, payload, signature = access.split(".")
        import base64
        import json

        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["scope"] = "admin"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        response = await client.get(
            "/v1/admin/organisations", headers={"Authorization": f"Bearer {header}.{forged}.{signature}"}
        )
        assert response.status_code == 401

    async def test_token_signed_by_another_key(self, client, admin_creds):
        from joserfc.jwk import ECKey

        now = int(time.time())
        claims = {
            "iss": "http://testserver",
            "aud": "http://testserver",
            "sub": admin_creds.client_id,
            "client_id": admin_creds.client_id,
            "org": str(admin_creds.org_id),
            "scope": "admin",
            "jti": "x",
            "iat": now,
            "exp": now + 600,
        }
        foreign = jwt.encode({"alg": "ES256", "typ": "at+jwt"}, claims, ECKey.generate_key("P-256"))
        response = await client.get("/v1/admin/organisations", headers={"Authorization": f"Bearer {foreign}"})
        assert response.status_code == 401

    async def test_insufficient_scope(self, client, platform):
        org = await platform.make_org()
        creds = await platform.make_client(org.id, ["people:read"])
        access = await platform.token(creds)
        response = await client.get("/v1/admin/organisations", headers={"Authorization": f"Bearer {access}"})
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "insufficient_scope"
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
        assert 'scope="admin"' in response.headers["www-authenticate"]


def _admin_token(app, creds, jti: str, iat: int, exp: int) -> str:
    """An access token for ``creds`` signed with the platform key, with the given times."""
    claims = {
        "iss": "http://testserver",
        "aud": "http://testserver",
        "sub": creds.client_id,
        "client_id": creds.client_id,
        "org": str(creds.org_id),
        "scope": "admin",
        "jti": jti,
        "iat": iat,
        "exp": exp,
    }
    key = app.state.signing_key
    return jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": key.kid}, claims, key.key)


class TestMalformedCredentials:
    """Credentials no client could have are an invalid client (401), never a server error."""

    @pytest.mark.parametrize("client_id", ["kc_x\x00y", "kc_\udfff"])
    async def test_a_client_id_with_a_nul_or_a_lone_surrogate(self, client, client_id):
        r = await client.post(
            "/oauth/token",
            content=f"grant_type=client_credentials&client_id={quote(client_id, errors='surrogatepass')}"
            "&client_secret=s",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code in (400, 401), r.text
        assert r.json()["error"] in ("invalid_client", "invalid_request")

    async def test_a_basic_header_that_is_not_utf8(self, client):
        credentials = base64.b64encode(b"kc_\xff\xfe:secret").decode()
        r = await client.post(
            "/oauth/token",
            content="grant_type=client_credentials",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": f"Basic {credentials}",
            },
        )
        assert r.status_code == 401, r.text
        assert r.json()["error"] == "invalid_client"
