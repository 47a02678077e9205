"""The console's OpenID Connect relying party: the protocol alone, no database.

Authorization code flow with PKCE (S256) through Authlib's client: the provider's discovery
document (whose ``issuer`` must be the one configured), the authorization URL with ``state``,
``nonce`` and the code challenge, the code exchanged at the token endpoint with the client secret
and the code verifier, and the ID token checked: its signature against the provider's JWKS (an
asymmetric algorithm only), ``iss``, ``aud`` (and ``azp`` when there are several audiences),
``exp``, ``iat`` and ``nonce``. Any failure raises :class:`ProviderUnavailable` (the provider could
not be reached, or answered what Kith cannot use) or :class:`TokenRefused` (an answer that fails a
check); nothing else escapes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.integrations.base_client.errors import OAuthError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.organisations.service import provider_url_acceptable

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 package and warns, at every start, when it falls back to
    # httpx, the HTTP client Kith uses everywhere else; the client itself is unchanged. (When a
    # later Authlib drops the fallback, Kith's pin on it will say so.)
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

SCOPE = "openid email"
TIMEOUT = httpx.Timeout(10.0)
LEEWAY_SECONDS = 60
# Asymmetric signatures only: never "none", nor an HMAC keyed with the client secret.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


class ProviderUnavailable(Exception):
    """The provider could not be reached, or answered something Kith cannot use."""


class TokenRefused(Exception):
    """The provider's answer fails a check (``reason``: code, signature, issuer, audience, expiry,
    nonce, subject)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Client:
    """Kith as a client of one organisation's provider."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str


def _client(client: Client) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=client.client_id,
        client_secret=client.client_secret,
        scope=SCOPE,
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT,
        follow_redirects=False,
    )


async def _json(http: AsyncOAuth2Client, url: str) -> dict[str, Any]:
    response = await http.request("GET", url, headers={"Accept": "application/json"}, withhold_token=True)
    response.raise_for_status()
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return body


async def _discover(http: AsyncOAuth2Client, issuer: str) -> dict[str, Any]:
    """The provider's discovery document, checked to be the configured issuer's."""
    document = await _json(http, issuer.rstrip("/") + "/.well-known/openid-configuration")
    if document.get("issuer") != issuer:
        raise ValueError("the discovery document names another issuer")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(name), str) or not provider_url_acceptable(
            document[name].split("?")[0]
        ):
            raise ValueError(f"the discovery document has no usable {name}")
    return document


def _auth_method(document: dict[str, Any]) -> str:
    supported = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    for method in ("client_secret_basic", "client_secret_post"):
        if method in supported:
            return method
    raise ValueError("the provider takes no client secret at its token endpoint")


async def authorization_url(client: Client, *, state: str, nonce: str, verifier: str, login_hint: str) -> str:
    """Where to send the browser: the provider's authorization endpoint with this sign-in's
    ``state``, ``nonce`` and PKCE challenge (S256 of ``verifier``)."""
    try:
        async with _client(client) as http:
            document = await _discover(http, client.issuer)
            url, _ = http.create_authorization_url(
                document["authorization_endpoint"],
                state=state,
                nonce=nonce,
                code_verifier=verifier,
                login_hint=login_hint,
            )
    except (httpx.HTTPError, AuthlibBaseError, ValueError, KeyError) as exc:
        raise ProviderUnavailable(str(exc) or type(exc).__name__) from exc
    return url


async def sign_in(client: Client, *, code: str, nonce: str, verifier: str) -> dict[str, Any]:
    """Exchange the authorization code (with the PKCE verifier) for tokens, and return the claims of
    the ID token once every check has passed."""
    try:
        async with _client(client) as http:
            document = await _discover(http, client.issuer)
            http.token_endpoint_auth_method = _auth_method(document)
            token = await http.fetch_token(document["token_endpoint"], code=code, code_verifier=verifier)
            jwks = await _json(http, document["jwks_uri"])
    except OAuthError as exc:  # the token endpoint's answer: the code, verifier or client refused
        raise TokenRefused("code", "the service did not accept the sign-in code") from exc
    except (httpx.HTTPError, AuthlibBaseError, ValueError, KeyError) as exc:
        raise ProviderUnavailable(str(exc) or type(exc).__name__) from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise ProviderUnavailable("the token endpoint answered no ID token")
    return verify_id_token(id_token, jwks, issuer=client.issuer, client_id=client.client_id, nonce=nonce)


def verify_id_token(
    id_token: str,
    jwks: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: int | None = None,
) -> dict[str, Any]:
    """The ID token's claims, if it is signed by a key of the provider's JWKS with an asymmetric
    algorithm, names the issuer, is for this client, has not expired and carries this sign-in's
    nonce; else :class:`TokenRefused`."""
    try:
        claims = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=ALGORITHMS).claims
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenRefused("signature", "the ID token was not signed with the service's key") from exc
    if claims.get("iss") != issuer:
        raise TokenRefused("issuer", "the ID token was issued by another service")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != client_id):
        raise TokenRefused("audience", "the ID token is for another application")
    times = jwt.JWTClaimsRegistry(
        now=now, leeway=LEEWAY_SECONDS, exp={"essential": True}, iat={"essential": True}
    )
    try:
        times.validate({k: claims.get(k) for k in ("exp", "iat", "nbf") if k in claims})
    except JoseError as exc:
        raise TokenRefused("expiry", "the ID token has expired or is not yet valid") from exc
    if not isinstance(claims.get("nonce"), str) or claims["nonce"] != nonce:
        raise TokenRefused("nonce", "the ID token was not issued for this sign-in")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise TokenRefused("subject", "the ID token names no one")
    return claims
