"""The discovery documents (RFC 8414, JWKS). The token endpoint they point at is in
``app.organisations.endpoints``, beside the API clients it looks up."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.auth.principal import SCOPES

router = APIRouter(tags=["auth"])


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
