"""Consent over HTTP: the purposes catalogue, grants, receipts; and, for the platform, a resident's
access log, export and erasure (answering requests made in writing)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.auth.deps import Context, tenant
from app.consent import rights, service
from app.consent.schemas import (
    AccessLogPage,
    Catalogue,
    ErasureOut,
    GrantIn,
    GrantList,
    GrantOut,
    ReceiptOut,
)
from app.core.pagination import PageRequest, page_request

router = APIRouter(tags=["consent"])
admin = APIRouter(prefix="/admin/people", tags=["admin"])


@router.get("/purposes", response_model=Catalogue, operation_id="listPurposes")
async def list_purposes(_: Context = tenant(None)):
    """The purposes a read may state and the data categories a grant may cover."""
    return service.catalogue()


@router.post(
    "/people/{person_id}/consents",
    response_model=GrantOut,
    status_code=201,
    operation_id="grantConsent",
    responses={200: {"model": GrantOut, "description": "The same active grant already existed"}},
)
async def grant_consent(person_id: uuid.UUID, body: GrantIn, ctx: Context = tenant("consent:write")):
    """Record a consent grant the resident gave the organisation; a signed receipt is issued."""
    view, created = await service.grant_by_org(ctx.session, ctx.principal, person_id, body)
    return JSONResponse(GrantOut(**view).model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/people/{person_id}/consents", response_model=GrantList, operation_id="listConsents")
async def list_consents(person_id: uuid.UUID, ctx: Context = tenant("consent:read")):
    """The grants the person made to the organisation (active, withdrawn and expired)."""
    return GrantList(items=await service.grants_for_org(ctx.session, ctx.principal, person_id))


@router.delete(
    "/people/{person_id}/consents/{consent_id}", response_model=GrantOut, operation_id="withdrawConsent"
)
async def withdraw_consent(
    person_id: uuid.UUID, consent_id: uuid.UUID, ctx: Context = tenant("consent:write")
):
    """Withdraw a grant (idempotent); it stops applying on the next request."""
    return await service.withdraw_by_org(ctx.session, ctx.principal, person_id, consent_id)


@router.get("/consent-receipts/{receipt_id}", response_model=ReceiptOut, operation_id="getConsentReceipt")
async def get_receipt(receipt_id: uuid.UUID, ctx: Context = tenant("consent:read")):
    """A consent receipt (Kantara v1.1 fields) with its JWS, verifiable against the JWKS."""
    return await service.receipt(ctx.session, ctx.principal, receipt_id)


@admin.get("/{person_id}/access-log", response_model=AccessLogPage, operation_id="getPersonAccessLog")
async def person_access_log(
    person_id: uuid.UUID, page: PageRequest = Depends(page_request), ctx: Context = tenant("admin")
):
    """Who read a person's data, newest first (the resident's "who looked")."""
    items, next_cursor = await rights.access_log(ctx.session, ctx.principal.on_behalf_of(person_id), page)
    return AccessLogPage(items=items, next_cursor=next_cursor)


@admin.get("/{person_id}/export", operation_id="exportPerson")
async def export_person(person_id: uuid.UUID, ctx: Context = tenant("admin")):
    """Everything held about a person as one JSON document (a subject-access answer)."""
    document = await rights.export(ctx.session, ctx.principal.on_behalf_of(person_id))
    return JSONResponse(jsonable_encoder(document))


@admin.post("/{person_id}/erase", response_model=ErasureOut, operation_id="erasePerson")
async def erase_person(person_id: uuid.UUID, ctx: Context = tenant("admin")):
    """Erase a person: identifying values deleted, grants withdrawn, organisations told."""
    return await rights.erase(ctx.session, ctx.principal.on_behalf_of(person_id))
