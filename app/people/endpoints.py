"""People: register, read the consented profile, assert claims, find, batch-resolve."""

from __future__ import annotations

import uuid

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.auth.deps import Context, DirectContext, DirectRoute, direct, tenant
from app.core.batch import is_ndjson, openapi_body, parse_batch
from app.core.schemas import nul_check_context
from app.people import service
from app.people.schemas import (
    AttributesIn,
    PeopleBatchOut,
    PersonCreated,
    PersonIn,
    PersonOut,
    PersonRefList,
    SearchIn,
    SearchOut,
)

router = APIRouter(prefix="/people", tags=["people"])
# The profile read, the read every till and case system makes: one statement (see DirectRoute).
reads = APIRouter(prefix="/people", tags=["people"], route_class=DirectRoute)

_STATUS_CODES = {"created": 201, "matched": 200, "review": 202}
Purpose = Query(
    description="Why the data is read: service_delivery, case_coordination, rewards, offers, research"
)


@router.post(
    "",
    response_model=PersonCreated,
    status_code=201,
    operation_id="registerPerson",
    responses={
        200: {"model": PersonCreated, "description": "One of the organisation's own people"},
        202: {
            "model": PersonCreated,
            "description": "Possibly one of its own people: held for its reviewers",
        },
    },
)
async def register_person(body: PersonIn, ctx: Context = tenant("people:write", idempotent=True)):
    """Register a record of a resident: 201 new to the organisation, 200 one of its own people, 202 possibly one of them or an external_ref naming someone else (held for its reviewers)."""
    r, grant, warnings = await service.register(ctx.session, ctx.principal, body)
    content = PersonCreated(
        person_id=r.person_id,
        resolution={"status": r.status, "reason": r.reason},
        consent=grant,
        warnings=warnings,
    )
    # A reason only where there is one: the answer integrators already parse stays as it was.
    shown = content.model_dump(mode="json", exclude=None if r.reason else {"resolution": {"reason"}})
    return ctx.respond(shown, _STATUS_CODES[r.status])


@router.post(
    "/batch",
    response_model=PeopleBatchOut,
    operation_id="registerPeopleBatch",
    openapi_extra=openapi_body("PersonIn", service.MAX_BATCH),
)
async def register_batch(request: Request, ctx: Context = tenant("people:write")):
    """Resolve up to 5,000 records (JSON array or NDJSON), answered per record in order."""
    body = await request.body()
    items = parse_batch(body, ndjson=is_ndjson(request), max_items=service.MAX_BATCH)
    results = await service.register_batch(ctx.session, ctx.principal, items, nul_check_context(body))
    counts = {
        k: sum(1 for r in results if r["status"] == k) for k in ("created", "matched", "review", "rejected")
    }
    # Serialised directly: re-validating thousands of results against PeopleBatchOut (which documents
    # this shape) would cost more than answering them.
    body = orjson.dumps({"results": results, **counts}, default=str)  # ids straight from asyncpg: str()
    return Response(body, media_type="application/json")


@router.get("", response_model=PersonRefList, operation_id="findPersonByExternalRef")
async def find_person(
    external_ref: str = Query(min_length=1, max_length=100), ctx: Context = tenant("people:read")
):
    """Find the organisation's own person by its own reference."""
    return PersonRefList(items=await service.find_by_external_ref(ctx.session, ctx.principal, external_ref))


@router.post("/search", response_model=SearchOut, operation_id="searchPeople")
async def search_people(body: SearchIn, ctx: Context = tenant("people:read")):
    """Search among the organisation's own people (never the whole platform), best match first."""
    return SearchOut(items=await service.search(ctx.session, ctx.principal, body))


@reads.get("/{person_id}", response_model=PersonOut, operation_id="getPerson")
async def get_person(
    person_id: uuid.UUID, purpose: str = Purpose, ctx: DirectContext = direct("people:read")
):
    """Read the consented view of a person for a stated purpose (the read is in the person's access log)."""
    view = await service.read(ctx.db, ctx.principal, person_id, purpose)
    # Through the response model, as an ordinary route answers (timestamps as it writes them).
    return Response(PersonOut(**view).model_dump_json(), media_type="application/json")


@router.patch("/{person_id}", operation_id="updatePerson")
async def update_person(person_id: uuid.UUID, body: AttributesIn, ctx: Context = tenant("people:write")):
    """Assert new attribute values for a person (the organisation's claims)."""
    changed = await service.assert_claims(ctx.session, ctx.principal, person_id, body)
    return {"person_id": person_id, "updated": changed}
