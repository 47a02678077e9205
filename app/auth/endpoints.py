"""The OAuth 2 token endpoint and the discovery documents (RFC 8414, JWKS)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.auth.principal import SCOPES
from app.auth.tokens import check_unknown_client_secret
from app.organisations import service as organisations_service

router = APIRouter(tags=["auth"])

_TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "scope": {
                            "type": "string",
                            "description": "Space-separated; omitted = all the client's",
                        },
                        "client_id": {"type": "string", "description": "client_secret_post only"},
                        "client_secret": {"type": "string", "description": "client_secret_post only"},
                    },
                }
            }
        },
    }
}


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    """An RFC 6749 §5.2 error response."""
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="kith"'
    return JSONResponse({"error": error, "error_description": description}, status, headers=headers)


@router.post("/oauth/token", operation_id="issueToken", openapi_extra=_TOKEN_FORM)
async def issue_token(request: Request):
    """Issue an access token (client credentials; client_secret_basic or client_secret_post)."""
    state = request.app.state
    address = request.client.host if request.client else "unknown"
    await state.limiter.hit(state.settings.token_rate_limit, f"token:{address}")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        return oauth_error(400, "invalid_request", "The body must be application/x-www-form-urlencoded.")
    try:
        pairs = parse_qsl(
            (await request.body()).decode("utf-8"), keep_blank_values=True, strict_parsing=False
        )
    except UnicodeDecodeError:
        return oauth_error(400, "invalid_request", "The body is not valid UTF-8.")
    form = dict(pairs)
    if len(form) != len(pairs):
        return oauth_error(400, "invalid_request", "A parameter is repeated.")
    headers = request.headers  # case-insensitive, as Authlib expects 'Authorization'
    try:
        client_id, secret = extract_basic_authorization(headers)
    except (UnicodeDecodeError, ValueError):
        return oauth_error(401, "invalid_client", "The Authorization header's credentials are not UTF-8.")
    if not client_id:
        client_id, secret = form.get("client_id"), form.get("client_secret")
    record = None
    # No client id holds a NUL (PostgreSQL text cannot): such a client is simply unknown.
    if client_id and "\x00" not in client_id:
        async with state.db.session(platform=True) as session:
            record = await organisations_service.client_for_token(session, client_id)
    if record is None:
        # An unknown client's secret is checked too, against a hash no secret has, so that the
        # answer takes as long as a wrong secret's (the answers themselves are identical).
        check_unknown_client_secret(secret)
    status, body, response_headers = state.issuer.issue(form, headers, record)
    return JSONResponse(body, status, headers=dict(response_headers))


@router.get("/.well-known/jwks.json", operation_id="getJwks")
async def jwks(request: Request):
    """The public keys that verify Kith's access tokens and consent receipts."""
    return JSONResponse(request.app.state.signing_key.public_jwks(), headers={"Cache-Control": "max-age=300"})


@router.get("/.well-known/oauth-authorization-server", operation_id="getAuthorizationServerMetadata")
async def authorization_server_metadata(request: Request):
    """OAuth 2 authorization server metadata (RFC 8414)."""
    issuer = request.app.state.settings.public_url.rstrip("/")
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": [],
        "scopes_supported": list(SCOPES),
        "service_documentation": f"{issuer}/docs",
    }
