"""Platform administration of organisations and API clients; and the OAuth 2 token endpoint those
clients call (beside the table of clients it looks up; ``app.auth`` issues the token)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from app.auth.deps import Context, tenant
from app.auth.tokens import check_unknown_client_secret
from app.core.pagination import PageRequest, page_request
from app.organisations import service
from app.organisations.schemas import (
    ClientCreated,
    ClientIn,
    ClientOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationPage,
    TrustIn,
)

router = APIRouter(prefix="/admin", tags=["admin"])
token = APIRouter(tags=["auth"])  # mounted at the root, beside app.auth's discovery documents

ClientId = Path(pattern=r"^kc_[A-Za-z0-9_-]{1,60}$", description="An API client id")


@router.post(
    "/organisations", status_code=201, response_model=OrganisationOut, operation_id="createOrganisation"
)
async def create_organisation(body: OrganisationIn, ctx: Context = tenant("admin")):
    """Register an organisation."""
    return await service.create_organisation(ctx.session, ctx.principal, **body.model_dump())


@router.get("/organisations", response_model=OrganisationPage, operation_id="listOrganisations")
async def list_organisations(page: PageRequest = Depends(page_request), ctx: Context = tenant("admin")):
    """List organisations, oldest first, with cursor pagination."""
    items, next_cursor = await service.list_organisations(ctx.session, page)
    return OrganisationPage(items=items, next_cursor=next_cursor)


@router.get("/organisations/{org_id}", response_model=OrganisationOut, operation_id="getOrganisation")
async def get_organisation(org_id: uuid.UUID, ctx: Context = tenant("admin")):
    """Read one organisation."""
    return await service.get_organisation(ctx.session, org_id)


@router.post(
    "/organisations/{org_id}/trust", response_model=OrganisationOut, operation_id="setOrganisationTrust"
)
async def set_trust(org_id: uuid.UUID, body: TrustIn, ctx: Context = tenant("admin")):
    """Trust an organisation to record consent or to verify identity, or stop (platform only; audited)."""
    return await service.set_trust(ctx.session, ctx.principal, org_id, **body.model_dump())


@router.post(
    "/organisations/{org_id}/clients",
    status_code=201,
    response_model=ClientCreated,
    operation_id="createClient",
)
async def create_client(org_id: uuid.UUID, body: ClientIn, ctx: Context = tenant("admin")):
    """Create an API client for an organisation; the secret is shown only in this response."""
    client, secret = await service.create_client(ctx.session, ctx.principal, org_id, **body.model_dump())
    return ClientCreated(**ClientOut.model_validate(client).model_dump(), client_secret=secret)


@router.get("/organisations/{org_id}/clients", response_model=list[ClientOut], operation_id="listClients")
async def list_clients(org_id: uuid.UUID, ctx: Context = tenant("admin")):
    """List an organisation's API clients (secrets are never shown again)."""
    return await service.list_clients(ctx.session, org_id)


@router.post("/clients/{client_id}/disable", response_model=ClientOut, operation_id="disableClient")
async def disable_client(client_id: str = ClientId, ctx: Context = tenant("admin")):
    """Disable an API client; its tokens stop working on their next request."""
    return await service.disable_client(ctx.session, ctx.principal, client_id)


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


@token.post("/oauth/token", operation_id="issueToken", openapi_extra=_TOKEN_FORM)
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
            record = await service.client_for_token(session, client_id)
    if record is None:
        # An unknown client's secret is checked too, against a hash no secret has, so that the
        # answer takes as long as a wrong secret's (the answers themselves are identical).
        check_unknown_client_secret(secret)
    status, body, response_headers = state.issuer.issue(form, headers, record)
    return JSONResponse(body, status, headers=dict(response_headers))
