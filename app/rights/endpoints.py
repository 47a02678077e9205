"""For the platform: a resident's access log, export and erasure over HTTP (answering requests made
in writing)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.auth.deps import Context, tenant
from app.core.pagination import PageRequest, page_request
from app.rights import service as rights
from app.rights.schemas import AccessLogPage, ErasureOut

admin = APIRouter(prefix="/admin/people", tags=["admin"])


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
