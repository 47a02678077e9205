"""Consent over HTTP: the purposes catalogue, grants, receipts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.auth.deps import Context, tenant
from app.consent import receipts, service
from app.consent.schemas import (
    Catalogue,
    GrantIn,
    GrantList,
    GrantOut,
    ReceiptOut,
)

router = APIRouter(tags=["consent"])


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
    return await receipts.receipt(ctx.session, ctx.principal, receipt_id)
