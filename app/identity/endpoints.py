"""Platform administration of identity: merges, unmerges, reviews, explanations."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends, Query

from app.auth.deps import Context, tenant
from app.core.pagination import PageRequest, make_page, page_request
from app.identity import merges
from app.identity.schemas import (
    DecisionOut,
    MergeIn,
    MergeOut,
    ReviewDecisionIn,
    ReviewOut,
    ReviewPage,
    ReviewQueue,
    UnmergeOut,
)

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/people/merge", response_model=MergeOut, operation_id="mergePeople")
async def merge_people(body: MergeIn, ctx: Context = tenant("admin")):
    """Merge one person into another (reversible; provenance kept)."""
    merge_id = await merges.merge(ctx.session, ctx.principal, body.keep, body.merge)
    return MergeOut(merge_id=merge_id, keep=body.keep, merged=body.merge)


@router.post("/people/{person_id}/unmerge", response_model=UnmergeOut, operation_id="unmergePerson")
async def unmerge_person(person_id: uuid.UUID, ctx: Context = tenant("admin")):
    """Undo a person's merge, restoring it exactly as it was."""
    was = await merges.unmerge(ctx.session, ctx.principal, person_id)
    return UnmergeOut(person_id=person_id, was_merged_into=was)


@router.get("/identity/reviews", response_model=ReviewPage, operation_id="listIdentityReviews")
async def list_reviews(
    page: PageRequest = Depends(page_request),
    queue: ReviewQueue | None = Query(None, description="Only the organisations' reviews, or the platform's"),
    ctx: Context = tenant("admin"),
):
    """Records held for review, oldest first (platform administration only)."""
    after = page.position(datetime.fromisoformat, uuid.UUID)
    rows = await merges.pending_reviews(ctx.session, page.limit, after, queue)
    rows, cursor = make_page(rows, page.limit, lambda r: (r.created_at.isoformat(), str(r.id)))
    return ReviewPage(items=[ReviewOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/identity/reviews/{review_id}", response_model=DecisionOut, operation_id="decideIdentityReview")
async def decide_review(review_id: uuid.UUID, body: ReviewDecisionIn, ctx: Context = tenant("admin")):
    """Decide a review: match (merge into the candidate) or distinct."""
    await merges.decide_review(ctx.session, ctx.principal, review_id, body.decision)
    return await merges.explain(ctx.session, review_id)


@router.get("/identity/explain", response_model=DecisionOut, operation_id="explainIdentityDecision")
async def explain(decision_id: uuid.UUID, ctx: Context = tenant("admin")):
    """How a record was resolved: method, score and per-attribute weights."""
    return await merges.explain(ctx.session, decision_id)
