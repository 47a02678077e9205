"""The organisation's review queue: possible matches among its own records, one pair at a time,
side by side with each attribute's comparison and weight; "same person" merges them, "different
people" keeps them apart for good, "not sure" moves on. One keystroke each (M, D, S) where
JavaScript runs; plain buttons where it does not. Decisions are the matcher's training labels."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from app.consent import access
from app.console.deps import Page, signed_in
from app.identity import merges

router = APIRouter(prefix="/console/reviews", include_in_schema=False)
NOTICES = {
    "match": "Recorded: the same person.",
    "distinct": "Recorded: different people. This pair will not be proposed again.",
    "skip": "Skipped for now: it stays in the queue.",
}
DECISIONS = {"match", "distinct", "skip"}


def _after(raw: str) -> tuple[datetime, uuid.UUID] | None:
    """The (created_at, id) of the review skipped last, from the page's ``after`` field."""
    try:
        at, review_id = raw.split("|", 1)
        moment = datetime.fromisoformat(at)
        return (moment, uuid.UUID(review_id)) if moment.tzinfo is not None else None
    except ValueError:
        return None


def _render_queue(page: Page, template: str, active: str, pairs: list) -> Response:
    """The first of ``pairs`` (the next one prefetched when there is more), with the decision's notice."""
    pair = pairs[0] if pairs else None
    return page.render(
        template,
        active=active,
        pair=pair,
        skip_to=f"{pair['created_at'].isoformat()}|{pair['id']}" if pair else "",
        more=len(pairs) > 1,
        notice=NOTICES.get(page.request.query_params.get("notice", "")),
    )


async def _decide(page: Page, base: str, review_id: uuid.UUID, decide: Callable) -> Response:
    """A decision from either queue's page: skipped (the pair stays queued, behind this visit) or
    decided by ``decide(session, principal, review_id, decision)``; then on to the next pair."""
    decision = page.field("decision")
    if decision not in DECISIONS:
        return page.redirect(base)
    if decision == "skip":
        return page.redirect(f"{base}?notice=skip&after={quote(page.field('after'), safe='')}")
    async with page.as_staff() as session:
        await decide(session, page.principal, review_id, decision)
    return page.redirect(f"{base}?notice={decision}")


@router.get("")
async def queue(after: str = "", page: Page = Depends(signed_in)):
    page.require("people:write")
    async with page.as_staff() as session:
        pairs = await merges.organisation_queue(session, page.principal, _after(after) if after else None)
    return _render_queue(page, "reviews.html", "reviews", pairs)


@router.post("/{review_id}")
async def decide(review_id: uuid.UUID, page: Page = Depends(signed_in)):
    """Decide a pair of the organisation's queue. Answered alike when the pair went to the
    platform's reviewers instead (another organisation has come to know one of them): the
    organisation is not told that anyone else knows its person."""
    page.require("people:write")
    return await _decide(page, "/console/reviews", review_id, merges.decide_for_organisation)


platform_router = APIRouter(prefix="/console/platform-reviews", include_in_schema=False)


@platform_router.get("")
async def platform_queue(after: str = "", page: Page = Depends(signed_in)):
    """The platform's queue, for its reviewers: possible matches across organisations."""
    page.require(merges.REVIEW_SCOPE)
    async with page.as_staff() as session:
        pairs = await merges.platform_queue(session, page.principal, _after(after) if after else None)
        # Both sides' records, every organisation's, go to the reviewer: each resident sees the read.
        await access.log_review(session, page.principal, [p for pair in pairs for p in pair["people"]])
    return _render_queue(page, "platform_reviews.html", "platform-reviews", pairs)


@platform_router.post("/{review_id}")
async def platform_decide(review_id: uuid.UUID, page: Page = Depends(signed_in)):
    page.require(merges.REVIEW_SCOPE)
    return await _decide(page, "/console/platform-reviews", review_id, merges.decide_for_platform)
