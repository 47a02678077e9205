"""The console's import: upload a CSV file exported from any case system, choose which column
holds which of Kith's fields (guessed from the headers, with a preview of the first rows) and how
it writes dates, then follow its progress (the page reloads itself; reloading it by hand loses
nothing) and download the report, a line per row. The worker runs it as the member of staff who
started it (``app/imports``)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from app.console.deps import Page, signed_in
from app.core.errors import AppError, ValidationFailed
from app.imports import mapping as mappings
from app.imports import service as imports

router = APIRouter(prefix="/console/import", include_in_schema=False)
INTERACTION_LABELS = {
    "person_ref": "Your reference for the person",
    "external_id": "Your id for the contact",
    "kind": "What happened (visit, call, volunteering, event, referral, purchase)",
    "occurred_at": "When (a date, or a date and a time)",
    "duration_minutes": "Minutes",
    "note": "Note",
}
FIELD_LABELS = {
    "external_ref": "Your reference",
    "given_name": "First name",
    "family_name": "Last name",
    "preferred_name": "Name they like to be called",
    "date_of_birth": "Date of birth",
    "email": "Email address",
    "phone": "Phone number",
    "address.line1": "Address line 1",
    "address.line2": "Address line 2",
    "address.town": "Town",
    "address.postcode": "Postcode",
    "uprn": "Property reference (UPRN)",
}


def _errors(exc: AppError) -> list[dict[str, str]]:
    raw = getattr(exc, "errors", None) or [{"field": "file", "message": exc.detail}]
    return [{"field": e["field"], "id": e["field"], "message": exc.detail} for e in raw[:1]]


@router.get("")
async def start_page(page: Page = Depends(signed_in)):
    page.require("people:write")
    async with page.as_staff() as session:
        recent = await imports.recent(session)
    return page.render("import.html", active="import", recent=recent)


@router.post("")
async def upload(page: Page = Depends(signed_in)):
    """Keep the file as a draft import, and go on to choose its columns."""
    page.require("people:write")
    upload = page.form.get("file") if page.form is not None else None
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed(
                "Choose a CSV file to import.", errors=[{"field": "file", "message": "no file"}]
            )
        content = await upload.read(imports.MAX_FILE_BYTES + 1)
        async with page.as_staff() as session:
            kind = page.field("kind") or "people"
            if kind == "interactions":
                page.require("interactions:write")
            import_id = await imports.upload(session, page.principal, upload.filename, content, kind)
    except ValidationFailed as exc:
        async with page.as_staff() as session:
            recent = await imports.recent(session)
        return page.render("import.html", status=422, active="import", recent=recent, errors=_errors(exc))
    return page.redirect(f"/console/import/{import_id}")


@router.get("/{import_id}")
async def one(import_id: uuid.UUID, page: Page = Depends(signed_in)):
    page.require("people:write")
    async with page.as_staff() as session:
        row = await imports.get(session, import_id)
    return _render(page, row)


def _render(page: Page, row, status: int = 200, **extra):
    labels = FIELD_LABELS if row.kind == "people" else INTERACTION_LABELS
    context = {"row": row, "labels": labels, "date_formats": mappings.DATE_FORMATS, **extra}
    if row.status == "draft":
        preview = imports.preview(
            row.content,
            extra.get("mapping") or dict(row.mapping),
            extra.get("date_format") or row.date_format,
            kind=row.kind,
        )
        context["preview"], context["mapping"] = preview, preview["mapping"]  # the file's own columns only
    return page.render("import_one.html", status=status, active="import", **context)


@router.post("/{import_id}")
async def start(import_id: uuid.UUID, page: Page = Depends(signed_in)):
    """Start the import with the columns and date format chosen, or show the preview again with
    them (``preview``)."""
    page.require("people:write")
    date_format = page.field("date_format") or "dmy"
    async with page.as_staff() as session:
        row = await imports.get(session, import_id)
        fields = mappings.FIELDS[row.kind]
        mapping = {f: page.field(f"map.{f}") for f in fields if page.field(f"map.{f}")}
        if page.field("action") == "preview":
            return _render(page, row, mapping=mapping, date_format=date_format)
        try:
            await imports.start(session, page.principal, import_id, mapping, date_format)
        except ValidationFailed as exc:
            return _render(
                page, row, status=422, mapping=mapping, date_format=date_format, errors=_errors(exc)
            )
    return page.redirect(f"/console/import/{import_id}")


@router.get("/{import_id}/report.csv")
async def report(import_id: uuid.UUID, page: Page = Depends(signed_in)):
    page.require("people:write")
    async with page.as_staff() as session:
        body, filename = await imports.report(session, import_id)
    safe = "".join(c for c in filename.rsplit(".", 1)[0] if c.isalnum() or c in "-_") or "import"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}-report.csv"'},
    )
