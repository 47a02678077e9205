"""Interactions: log one or ten thousand; read a person's consented timeline."""

from __future__ import annotations

import uuid

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.auth.deps import Context, DirectContext, DirectRoute, direct, tenant
from app.core.batch import is_ndjson, openapi_body
from app.core.pagination import PageRequest, page_request
from app.interactions import service
from app.interactions.schemas import (
    InteractionBatchItem,
    InteractionBatchOut,
    InteractionIn,
    InteractionOut,
    Timeline,
)

router = APIRouter(tags=["interactions"])
# The timeline read: one statement (see DirectRoute).
reads = APIRouter(tags=["interactions"], route_class=DirectRoute)


@router.post(
    "/interactions",
    response_model=InteractionOut,
    status_code=201,
    operation_id="logInteraction",
    responses={200: {"model": InteractionOut, "description": "A replay: the original interaction"}},
)
async def log_interaction(body: InteractionIn, ctx: Context = tenant("interactions:write", idempotent=True)):
    """Log one interaction with a person linked to the organisation (201; 200 on a replay of its external_id; an Idempotency-Key retry is answered the first response again)."""
    interaction, created = await service.log_one(ctx.session, ctx.principal, body)
    return ctx.respond(InteractionOut(**interaction), 201 if created else 200)


@router.post(
    "/interactions/batch",
    response_model=InteractionBatchOut,
    operation_id="logInteractionsBatch",
    openapi_extra=openapi_body(InteractionBatchItem, service.MAX_BATCH),
)
async def log_interactions(request: Request, ctx: Context = tenant("interactions:write")):
    """Log up to 10,000 interactions (JSON array or NDJSON) in one bulk write."""
    summary, _ = await service.log_json(
        ctx.session, ctx.principal, await request.body(), ndjson=is_ndjson(request)
    )
    return Response(orjson.dumps(summary), media_type="application/json")


@reads.get("/people/{person_id}/timeline", response_model=Timeline, operation_id="getTimeline")
async def get_timeline(
    person_id: uuid.UUID,
    purpose: str = Query(description="Why the timeline is read"),
    page: PageRequest = Depends(page_request),
    ctx: DirectContext = direct("interactions:read"),
):
    """The person's interactions, newest first: the organisation's own and, where consented, others'."""
    body = await service.timeline(ctx.db, ctx.principal, person_id, purpose, page)
    return Response(body, media_type="application/json")
