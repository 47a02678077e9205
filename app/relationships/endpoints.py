"""Relationships: record one; read a person's, or the organisation's own."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from app.auth.deps import Context, tenant
from app.core.pagination import PageRequest, page_request
from app.relationships import service
from app.relationships.schemas import RelationshipIn, RelationshipList, RelationshipOut

router = APIRouter(tags=["relationships"])


@router.post(
    "/relationships", response_model=RelationshipOut, status_code=201, operation_id="recordRelationship"
)
async def record_relationship(body: RelationshipIn, ctx: Context = tenant("relationships:write")):
    """Record a person↔organisation, person↔person or organisation↔organisation relationship."""
    return await service.record(ctx.session, ctx.principal, body)


@router.get(
    "/people/{person_id}/relationships",
    response_model=RelationshipList,
    operation_id="listPersonRelationships",
)
async def person_relationships(
    person_id: uuid.UUID,
    purpose: str = Query(description="Why the relationships are read"),
    page: PageRequest = Depends(page_request),
    ctx: Context = tenant("relationships:read"),
):
    """A person's relationships: the organisation's own records and, where every person in them consented, others'."""
    items, next_cursor = await service.of_person(ctx.session, ctx.principal, person_id, purpose, page)
    return RelationshipList(items=items, next_cursor=next_cursor)


@router.get(
    "/organisations/me/relationships", response_model=RelationshipList, operation_id="listMyRelationships"
)
async def my_relationships(
    page: PageRequest = Depends(page_request), ctx: Context = tenant("relationships:read")
):
    """The relationships the organisation recorded, and those with other organisations involving it."""
    items, next_cursor = await service.of_organisation(ctx.session, ctx.principal, page)
    return RelationshipList(items=items, next_cursor=next_cursor)
