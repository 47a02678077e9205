"""Single sign-on to the console against a real OpenID Connect provider running in the test
(oidc-provider-mock, Authlib's authorization server on werkzeug, on a free port): discovery, the
authorization code flow with PKCE, the ID token's signature, issuer, audience and nonce, and who
may come in — an invited, enabled staff member of the organisation whose provider it is, with an
address the provider says is verified; no one else.

The provider is run as its README describes, with clients registered (RFC 7591) so that it checks
each client's secret and redirect URI, and with PKCE enforced (``RequirePkce``), as a real
provider does and the mock alone does not."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import oidc_provider_mock
import pytest
import werkzeug.serving
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from app.auth.principal import Principal
from app.console import oidc
from app.console.service import SSO_CALLBACK
from app.core.errors import ValidationFailed
from app.organisations import service as organisations
from tests.console.conftest import invite
from tests.portal.conftest import BASE, csrf_of, free_port

CALLBACK = BASE + SSO_CALLBACK


class RequirePkce:
    """The mock provider, made to enforce PKCE (S256): it remembers each code's challenge from the
    authorization request and refuses a token request whose verifier does not answer it."""

    def __init__(self, app) -> None:
        self.app = app
        self.challenges: dict[str, tuple[str, str]] = {}
        self.verified: list[str] = []

    def __call__(self, environ, start_response):
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        if path == "/oauth2/authorize" and method == "POST":
            query = parse_qs(environ["QUERY_STRING"])
            wanted = (query.get("code_challenge", [""])[0], query.get("code_challenge_method", [""])[0])

            def remember(status, headers, exc_info=None):
                code = parse_qs(urlsplit(dict(headers).get("Location", "")).query).get("code")
                if code:
                    self.challenges[code[0]] = wanted
                return start_response(status, headers, exc_info)

            return self.app(environ, remember)
        if path == "/oauth2/token" and method == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            form = parse_qs(body.decode())
            if form.get("grant_type") == ["authorization_code"]:
                challenge, how = self.challenges.get(form.get("code", [""])[0], ("", ""))
                verifier = form.get("code_verifier", [""])[0].encode()
                answer = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
                if how != "S256" or not challenge or answer != challenge:
                    start_response("400 BAD REQUEST", [("Content-Type", "application/json")])
                    return [b'{"error": "invalid_grant", "error_description": "PKCE verification failed"}']
                self.verified.append(challenge)
        return self.app(environ, start_response)


class Provider:
    def __init__(self, url: str, pkce: RequirePkce) -> None:
        self.url, self.pkce = url, pkce

    async def register(self, redirect_uri: str = CALLBACK) -> tuple[str, str]:
        """A client of Kith's at the provider: (client id, secret)."""
        async with httpx.AsyncClient() as http:
            made = await http.post(f"{self.url}/oauth2/clients", json={"redirect_uris": [redirect_uri]})
        assert made.status_code == 201, made.text
        return made.json()["client_id"], made.json()["client_secret"]

    async def person(self, sub: str, **claims) -> None:
        """Someone with an account at the provider, with these claims."""
        async with httpx.AsyncClient() as http:
            put = await http.put(f"{self.url}/users/{quote(sub, safe='')}", json=claims)
        assert put.status_code == 204, put.text

    async def authorize(self, url: str, sub: str) -> str:
        """Sign in at the provider's form as ``sub``; the URL it sends the browser back to."""
        async with httpx.AsyncClient() as http:
            answered = await http.post(url, data={"sub": sub})
        assert answered.status_code == 302, answered.text
        return answered.headers["location"]


def run_provider(port: int = 0) -> Iterator[Provider]:
    pkce = RequirePkce(oidc_provider_mock.app(require_client_registration=True, require_nonce=True))
    server = werkzeug.serving.make_server("localhost", port, pkce, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield Provider(f"http://localhost:{server.server_port}", pkce)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from run_provider()


async def with_sso(app, org_id: uuid.UUID, issuer: str, client_id: str, secret: str) -> None:
    async with app.state.db.session(platform=True) as session:
        await organisations.set_sso(
            session, Principal.operator(), org_id, issuer=issuer, client_id=client_id, client_secret=secret
        )


@pytest.fixture
async def council(portal_app, platform, provider):
    """A council whose staff sign in with its own provider, and an invited caseworker (who has an
    account there with a verified address, written in another case)."""
    org = await platform.make_org(name=f"Riverside Council {uuid.uuid4().hex[:4]}")
    client_id, secret = await provider.register()
    await with_sso(portal_app, org.id, provider.url, client_id, secret)
    staff_id, email = await invite(portal_app, org.id, "caseworker")
    sub = f"u-{uuid.uuid4().hex[:8]}"
    await provider.person(sub, email=email.upper(), email_verified=True)
    return {"org": org, "client_id": client_id, "staff_id": staff_id, "email": email, "sub": sub}


async def start(web: httpx.AsyncClient, email: str) -> httpx.Response:
    form = await web.get("/console/sign-in")
    return await web.post("/console/sso", data={"email": email, "csrf_token": csrf_of(form.text)})


async def to_provider(web: httpx.AsyncClient, email: str) -> str:
    """Where the sign-in page sends the browser on: a page that goes on to the provider (a redirect
    would be stopped by the form's Content-Security-Policy), its link the provider's URL."""
    sent = await start(web, email)
    assert sent.status_code == 200 and 'http-equiv="refresh"' in sent.text, sent.text
    return html.unescape(re.search(r'<a id="continue" href="([^"]+)"', sent.text).group(1))


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


def signed_in(response: httpx.Response) -> bool:
    return response.status_code == 303 and "kith_console=" in response.headers.get("set-cookie", "")


class TestSignIn:
    async def test_an_invited_staff_member_signs_in_with_their_organisations_account(
        self, web, council, provider, owner_conn
    ):
        location = await to_provider(web, council["email"])
        asked = parse_qs(urlsplit(location).query)
        assert location.startswith(f"{provider.url}/oauth2/authorize?")
        assert asked["client_id"] == [council["client_id"]] and asked["redirect_uri"] == [CALLBACK]
        assert asked["response_type"] == ["code"] and set(asked["scope"][0].split()) >= {"openid", "email"}
        assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) == 43
        assert asked["state"][0] and asked["nonce"][0] and asked["login_hint"] == [council["email"]]
        back = await provider.authorize(location, council["sub"])
        assert back.startswith(CALLBACK + "?")
        answered = await web.get(back)
        assert signed_in(answered) and answered.headers["location"] == "/console", answered.text
        cookie = answered.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Secure" in cookie and "samesite=lax" in cookie.lower()
        assert asked["code_challenge"][0] in provider.pkce.verified  # the provider checked the verifier
        page = await web.get("/console")
        assert page.status_code == 200 and council["email"] in page.text and "Caseworker" in page.text
        entry = await owner_conn.fetchrow(
            "SELECT actor, detail FROM audit_log WHERE action = 'staff.signed_in' AND subject_id = $1",
            str(council["staff_id"]),
        )
        assert entry["actor"].startswith("staff:caseworker:") and entry["detail"] == '{"method": "sso"}'

    async def test_someone_the_organisation_never_invited_is_refused(self, web, council, provider):
        # The form finds the council by its caseworker's address; at the provider, someone else.
        stranger = f"u-{uuid.uuid4().hex[:8]}"
        await provider.person(stranger, email=f"{stranger}@example.org", email_verified=True)
        location = await to_provider(web, council["email"])
        refused = await web.get(await provider.authorize(location, stranger))
        assert refused.status_code == 403 and "has no access to the Kith console" in refused.text
        assert "Ask your organisation" in refused.text and "kith_console=" not in refused.headers.get(
            "set-cookie", ""
        )
        assert (await web.get("/console")).headers["location"] == "/console/sign-in"

    async def test_a_member_of_another_organisation_is_refused(
        self, web, council, provider, platform, portal_app
    ):
        other = await platform.make_org()
        _, theirs = await invite(portal_app, other.id, "org_admin")
        sub = f"u-{uuid.uuid4().hex[:8]}"
        await provider.person(sub, email=theirs, email_verified=True)
        location = await to_provider(web, council["email"])
        refused = await web.get(await provider.authorize(location, sub))
        assert refused.status_code == 403 and council["org"].name in refused.text
        assert not signed_in(refused)

    async def test_an_address_the_provider_has_not_verified_is_refused(self, web, council, provider):
        await provider.person(council["sub"], email=council["email"], email_verified=False)
        location = await to_provider(web, council["email"])
        refused = await web.get(await provider.authorize(location, council["sub"]))
        assert refused.status_code == 403 and "verified email address" in refused.text
        assert not signed_in(refused)

    async def test_an_address_with_no_provider_is_sent_to_the_code(self, web, platform, portal_app):
        org = await platform.make_org()
        _, email = await invite(portal_app, org.id, "viewer")
        for address in (email, f"nobody.{uuid.uuid4().hex[:6]}@example.org"):
            answered = await start(web, address)
            assert answered.status_code == 422 and "Ask for an emailed code instead" in answered.text


class TestRefusals:
    async def test_a_state_this_browser_was_not_given_is_refused(self, web, council, provider):
        location = await to_provider(web, council["email"])
        back = await provider.authorize(location, council["sub"])
        forged = with_query(back, state="not-the-one-this-browser-was-given")
        refused = await web.get(forged)
        assert refused.status_code == 400 and "did not begin in this browser" in refused.text
        assert not signed_in(refused)

    async def test_a_callback_replayed_is_refused(self, web, council, provider, portal_app):
        location = await to_provider(web, council["email"])
        back = await provider.authorize(location, council["sub"])
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=portal_app), base_url=BASE, cookies=web.cookies
        ) as copy:  # the same browser's cookies, kept by someone who saw the callback
            assert signed_in(await web.get(back))
            replayed = await copy.get(back)
        assert replayed.status_code == 400 and "already been used" in replayed.text
        assert not signed_in(replayed)

    async def test_a_code_issued_for_another_nonce_is_refused(self, web, council, provider):
        # A code injected into this browser's sign-in: asked for with this sign-in's PKCE challenge
        # (so the provider redeems it) but another nonce, so the ID token is not this sign-in's.
        location = await to_provider(web, council["email"])
        injected = await provider.authorize(with_query(location, nonce="someone-elses"), council["sub"])
        refused = await web.get(injected)
        assert refused.status_code == 400 and "not issued for this sign-in" in refused.text
        assert not signed_in(refused)

    async def test_a_code_issued_to_another_client_is_refused(self, web, council, provider):
        other_client, _ = await provider.register()
        location = await to_provider(web, council["email"])
        theirs = await provider.authorize(with_query(location, client_id=other_client), council["sub"])
        refused = await web.get(theirs)
        assert refused.status_code == 400 and "did not accept the sign-in code" in refused.text
        assert not signed_in(refused)

    async def test_a_code_redeemed_without_this_browsers_verifier_is_refused(self, web, council, provider):
        location = await to_provider(web, council["email"])
        attacker = base64.urlsafe_b64encode(hashlib.sha256(b"attacker").digest()).rstrip(b"=").decode()
        theirs = await provider.authorize(with_query(location, code_challenge=attacker), council["sub"])
        refused = await web.get(theirs)
        assert refused.status_code == 400 and "did not accept the sign-in code" in refused.text
        assert attacker not in provider.pkce.verified and not signed_in(refused)

    async def test_a_refusal_at_the_provider_is_explained(self, web, council, provider):
        location = await to_provider(web, council["email"])
        async with httpx.AsyncClient() as http:
            denied = await http.post(location, data={"action": "deny"})
        refused = await web.get(denied.headers["location"])
        assert refused.status_code == 400 and "did not sign you in" in refused.text

    async def test_a_provider_that_cannot_be_reached_is_explained(self, web, platform, portal_app):
        org = await platform.make_org()
        await with_sso(portal_app, org.id, f"http://127.0.0.1:{free_port()}", "kith", "secret")
        _, email = await invite(portal_app, org.id, "caseworker")
        answered = await start(web, email)
        assert answered.status_code == 502 and "could not be reached" in answered.text

    async def test_a_discovery_document_of_another_issuer_is_refused(
        self, web, platform, portal_app, provider
    ):
        org = await platform.make_org()
        client_id, secret = await provider.register()
        await with_sso(portal_app, org.id, provider.url + "/", client_id, secret)  # not what it says it is
        _, email = await invite(portal_app, org.id, "caseworker")
        answered = await start(web, email)
        assert answered.status_code == 502 and "Try again in a few minutes" in answered.text


class TestConfiguration:
    async def test_the_secret_is_kept_sealed_to_its_organisation(self, portal_app, platform, owner_conn):
        org, other = await platform.make_org(), await platform.make_org()
        await with_sso(portal_app, org.id, "https://login.example.org", "kith", "the-client-secret")
        sealed = await owner_conn.fetchval(
            "SELECT client_secret_sealed FROM organisation_sso WHERE org_id = $1", org.id
        )
        assert "the-client-secret" not in sealed
        key = portal_app.state.signing_key
        assert key.unseal(organisations.SSO_SEAL, sealed, str(org.id)) == "the-client-secret"
        with pytest.raises(ValueError):
            key.unseal(organisations.SSO_SEAL, sealed, str(other.id))  # copied to another organisation

    async def test_only_an_https_issuer_is_taken(self, portal_app, platform):
        org = await platform.make_org()
        for issuer in ("http://login.example.org", "login.example.org", "https://login.example.org/?x=1"):
            with pytest.raises(ValidationFailed):
                await with_sso(portal_app, org.id, issuer, "kith", "secret")


@pytest.fixture(scope="module")
def key() -> RSAKey:
    """The provider's signing key, for tokens made here."""
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


def id_token(key, **claims) -> str:
    now = int(time.time())
    body = {"iss": "https://login.example.org", "aud": "kith", "sub": "u-1", "iat": now, "exp": now + 300}
    body |= {"nonce": "n-1", **claims}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, {k: v for k, v in body.items() if v is not None}, key)


class TestIdTokenChecks:
    """The checks on an ID token the provider's own tests cannot make it send: tokens signed here."""

    def check(self, token: str, key) -> dict:
        jwks = KeySet([key]).as_dict(private=False)
        return oidc.verify_id_token(
            token, jwks, issuer="https://login.example.org", client_id="kith", nonce="n-1"
        )

    def test_a_good_token_passes(self, key):
        assert self.check(id_token(key), key)["sub"] == "u-1"

    @pytest.mark.parametrize(
        ("claims", "reason"),
        [
            ({"iss": "https://evil.example.org"}, "issuer"),
            ({"aud": "another-app"}, "audience"),
            ({"aud": ["kith", "another-app"]}, "audience"),  # several audiences and no azp naming Kith
            ({"exp": int(time.time()) - 3600}, "expiry"),
            ({"exp": None}, "expiry"),
            ({"nonce": "another-sign-in"}, "nonce"),
            ({"nonce": None}, "nonce"),
        ],
    )
    def test_a_token_failing_a_check_is_refused(self, key, claims, reason):
        with pytest.raises(oidc.TokenRefused) as refused:
            self.check(id_token(key, **claims), key)
        assert refused.value.reason == reason

    def test_several_audiences_pass_when_kith_is_the_authorized_party(self, key):
        assert self.check(id_token(key, aud=["kith", "another-app"], azp="kith"), key)

    def test_a_token_signed_with_a_key_not_the_providers_is_refused(self, key):
        stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        with pytest.raises(oidc.TokenRefused) as refused:
            self.check(id_token(stranger), key)
        assert refused.value.reason == "signature"

    def test_an_unsigned_or_symmetric_token_is_refused(self, key):
        header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
        payload = id_token(key).split(".")[1]
        secret = OctKey.import_key(b"the-client-secret-the-client-secret!")
        for token in (
            f"{header}.{payload}.",
            jwt.encode({"alg": "HS256"}, jwt.decode(id_token(key), key).claims, secret),
        ):
            with pytest.raises(oidc.TokenRefused):
                self.check(token, key)
