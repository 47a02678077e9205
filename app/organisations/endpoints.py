"""Platform administration of organisations and API clients."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Path

from app.auth.deps import Context, tenant
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
