"""Issuing access tokens (Authlib's authorization server) and checking them on every request."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

from app.auth.keys import SigningKey
from app.auth.principal import SCOPES, Principal
from app.core.errors import Unauthorized
from app.core.ids import hash_secret, secret_matches


@dataclass(frozen=True)
class ClientRecord:
    client_id: str
    org_id: uuid.UUID
    secret_hash: str
    scopes: tuple[str, ...]


class OAuthClient(ClientMixin):
    """An API client as Authlib's grant machinery sees it."""

    def __init__(self, record: ClientRecord) -> None:
        self.record = record

    def get_client_id(self) -> str:
        return self.record.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return " ".join(self.record.scopes)
        return " ".join(s for s in scope_to_list(scope) if s in self.record.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return secret_matches(client_secret, self.record.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class KithClientCredentialsGrant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_requested_scope(self) -> None:
        scope = self.request.payload.scope
        if scope is None:
            return
        requested = scope_to_list(scope) or []
        if not requested:
            raise InvalidScopeError(description="The 'scope' parameter is empty.")
        unknown = [s for s in requested if s not in SCOPES]
        if unknown:
            raise InvalidScopeError(description=f"Unknown scope: {' '.join(unknown)}")
        granted = self.request.client.record.scopes
        refused = [s for s in requested if s not in granted]
        if refused:
            raise InvalidScopeError(description=f"This client may not request: {' '.join(refused)}")


class _TokenGenerator(JWTBearerTokenGenerator):
    def __init__(self, issuer: str, key: SigningKey, ttl: int) -> None:
        super().__init__(issuer=issuer, alg="ES256", expires_generator=ttl)
        self._key = key

    def get_jwks(self):
        return self._key.keyset

    def get_audiences(self, client, user, scope) -> str:
        return self.issuer

    def get_jti(self, client, grant_type, user, scope) -> str:
        return uuid.uuid4().hex

    def get_extra_claims(self, client, grant_type, user, scope) -> dict:
        return {"org": str(client.record.org_id)}


class _FormRequest(OAuth2Request):
    def __init__(self, method: str, uri: str, form: dict[str, str], headers: Mapping[str, str]) -> None:
        super().__init__(method, uri, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def args(self) -> dict:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self._form


class TokenIssuer(AuthorizationServer):
    """Authlib's authorization server with the client-credentials grant.

    Authlib's server is synchronous, while Kith reads clients from PostgreSQL asynchronously; the
    token endpoint therefore loads the one client the request names first and hands it in.
    """

    def __init__(self, issuer: str, key: SigningKey, ttl: int) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.register_grant(KithClientCredentialsGrant)
        self.register_token_generator("default", _TokenGenerator(issuer, key, ttl))
        self._client: OAuthClient | None = None

    def query_client(self, client_id: str) -> OAuthClient | None:
        client = self._client
        return client if client is not None and client.get_client_id() == client_id else None

    def save_token(self, token, request) -> None:
        """Access tokens are self-contained JWTs: nothing to store."""

    def send_signal(self, name, *args, **kwargs) -> None:
        """No signal subscribers."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request  # already built from the form by issue()

    def handle_response(self, status, body, headers):
        return status, body, headers

    def issue(
        self, form: dict[str, str], headers: Mapping[str, str], client: ClientRecord | None
    ) -> tuple[int, dict, list[tuple[str, str]]]:
        """Answer one token request: (status, JSON body, headers), errors per RFC 6749."""
        # Transport security is the deployment's (TLS terminates in front of Kith), so the URI
        # handed to Authlib is the public one.
        request = _FormRequest("POST", "https://kith.invalid/oauth/token", form, headers)
        # Authlib asks query_client() synchronously; nothing awaits between setting the client and
        # the response, so on the event loop no other request can see this one's client.
        self._client = OAuthClient(client) if client else None
        try:
            status, body, response_headers = self.create_token_response(request)
        finally:
            self._client = None
        if body.get("error") == "invalid_client":
            # One answer whether the client id is unknown or the secret wrong: a different message
            # would tell anyone which client ids exist.
            status, body = 401, {"error": "invalid_client", "error_description": INVALID_CLIENT}
            response_headers = [(k, v) for k, v in response_headers if k.lower() != "www-authenticate"]
            response_headers.append(
                ("WWW-Authenticate", f'Basic error="invalid_client", error_description="{INVALID_CLIENT}"')
            )
        return status, body, response_headers


INVALID_CLIENT = "Client authentication failed: the client id or the secret is not right."
# The hash an unknown client's secret is compared with: that of a random secret nobody holds.
_NO_CLIENTS_HASH = hash_secret(secrets.token_urlsafe(32))


def check_unknown_client_secret(secret: str | None) -> bool:
    """Compare the secret presented for a client that does not exist (or is disabled) with a hash
    no secret has, as a known client's would be compared: unknown client ids and wrong secrets
    then cost the same work, and their answers (see :meth:`TokenIssuer.issue`) are identical."""
    return secret_matches(secret or "", _NO_CLIENTS_HASH)


LEEWAY_SECONDS = 30
VERIFIED_CACHE_SIZE = 10_000


class TokenVerifier:
    """Checks an RFC 9068 access token's signature, type and claims without any I/O."""

    def __init__(self, issuer: str, key: SigningKey) -> None:
        self.issuer = issuer
        self.key = key
        self.claims = JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": issuer},
            exp={"essential": True},
            sub={"essential": True},
            client_id={"essential": True},
            jti={"essential": True},
            org={"essential": True},
        )
        # Tokens already verified, with their expiry: a client sends the same token for many
        # requests, and checking an ES256 signature costs more than the rest of the check.
        # Only expiry can change a verified token's answer; disabling a client is checked in the
        # database on every request (kith_begin), so the cache hides nothing.
        self._verified: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            principal, expires = known
            if expires >= time.time() - LEEWAY_SECONDS:
                return principal
            del self._verified[token]
            raise Unauthorized("The access token has expired.")
        principal, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()  # simpler than LRU, and tokens are short-lived anyway
        self._verified[token] = (principal, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            decoded = jwt.decode(token, self.key.keyset, algorithms=["ES256"])
            if decoded.header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
                raise Unauthorized("The token is not an access token.")
            self.claims.validate(decoded.claims)
        except JoseError as exc:
            if "expired" in str(exc).lower() or getattr(exc, "error", "") == "expired_token":
                raise Unauthorized("The access token has expired.") from exc
            raise Unauthorized("The access token is not valid.") from exc
        claims = decoded.claims
        if claims.get("exp", 0) < time.time() - LEEWAY_SECONDS:
            raise Unauthorized("The access token has expired.")
        try:
            org_id = uuid.UUID(claims["org"])
        except (ValueError, TypeError) as exc:
            raise Unauthorized("The access token is not valid.") from exc
        principal = Principal(
            org_id=org_id,
            client_id=claims["client_id"],
            scopes=frozenset(str(claims.get("scope") or "").split()),
            token_id=claims["jti"],
        )
        return principal, float(claims["exp"])
