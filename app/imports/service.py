"""Importing an organisation's people from a CSV file: each row made into a record (``mapping.py``)
and resolved through the people service's batch, 5,000 at a time, each batch in a transaction of
the organisation's; one result per row, as the batch API answers it, with the row's line in the
file. A file imported again creates no one twice: a record with the organisation's reference is
its person again, and one without matches the person it made the first time."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.schemas import nul_free_context
from app.db.session import Database
from app.imports import mapping as mappings
from app.imports.table import Table, read_table
from app.interactions import service as interactions_service
from app.people import service as people_service

CHUNK = people_service.MAX_BATCH


@dataclass
class Report:
    """What an import did, row by row: ``rows`` hold each row's line in the file, its status
    (created, matched, review, rejected), the organisation's id for the person and, when rejected,
    why; warnings name values left out."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ("created", "matched", "review", "duplicate", "rejected")}
        for row in self.rows:
            out[row["status"]] += 1
        return out

    def csv(self) -> str:
        """The report as a CSV file: one line per row of the imported file."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["line", "status", "person_id", "reason", "warnings"])
        for row in self.rows:
            writer.writerow(
                [
                    row["line"],
                    row["status"],
                    row.get("person_id") or "",
                    _cell(row.get("reason", "")),
                    _cell(row.get("warnings", "")),
                ]
            )
        return buffer.getvalue()


def _cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _reason(errors: list[dict[str, Any]] | None) -> str:
    return "; ".join(f"{e.get('field') or 'record'}: {e.get('message')}" for e in errors or [])


async def import_people(
    db: Database,
    principal: Principal,
    table: Table,
    mapping: dict[str, str],
    date_format: str = "dmy",
    progress: Callable[[int], None] | None = None,
    beat: Callable[[int], Awaitable[None]] | None = None,
) -> Report:
    """Resolve every row of ``table`` as the organisation's record (``principal``: the
    organisation, with people:write); ``progress`` (or, awaited, ``beat``) is told how many rows
    each batch did."""
    report = Report()
    for start in range(0, len(table.rows), CHUNK):
        chunk = table.rows[start : start + CHUNK]
        items = mappings.records(chunk, table.headers, mapping, date_format)
        async with db.session(org_id=principal.org_id, client_id=principal.client_id) as session:
            results = await people_service.register_batch(
                session, principal, items, nul_free_context() if table.nul_free else None
            )
        for result in results:
            line = start + result["index"] + 2  # the header is line 1
            row: dict[str, Any] = {
                "line": line,
                "status": result["status"],
                "person_id": result.get("person_id"),
            }
            if result["status"] == "rejected":
                row["reason"] = _reason(result.get("errors"))
            if result.get("warnings"):
                row["warnings"] = _reason(result["warnings"])
            report.rows.append(row)
        if progress is not None:
            progress(len(chunk))
        if beat is not None:
            await beat(len(chunk))
    return report


INTERACTION_CHUNK = 10_000


async def import_interactions(
    db: Database,
    principal: Principal,
    table: Table,
    mapping: dict[str, str],
    date_format: str = "dmy",
    progress: Callable[[int], None] | None = None,
    beat: Callable[[int], Awaitable[None]] | None = None,
) -> Report:
    """Log every row of ``table`` as the organisation's interaction with the resident its
    reference names (``principal``: the organisation, with interactions:write); a row's status is
    created, duplicate (stored before: importing a file again stores nothing twice) or rejected."""
    report = Report()
    for start in range(0, len(table.rows), INTERACTION_CHUNK):
        chunk = table.rows[start : start + INTERACTION_CHUNK]
        items = [mappings.interaction(row, table.headers, mapping, date_format) for row in chunk]
        statuses: dict[int, dict[str, Any]] = {}
        async with db.session(org_id=principal.org_id, client_id=principal.client_id) as session:
            refs = [i["person_ref"] for i in items if i.get("person_ref")]
            known = await people_service.ids_by_external_refs(session, principal, refs)
            ready: list[dict[str, Any]] = []
            positions: list[int] = []
            for index, item in enumerate(items):
                ref = item.pop("person_ref", None)
                if ref is None or ref not in known:
                    why = "no person of yours has this reference" if ref else "no reference to a person"
                    statuses[index] = {"status": "rejected", "reason": f"person_ref: {why}"}
                    continue
                ready.append({**item, "person_id": str(known[ref])})
                positions.append(index)
            if ready:
                summary, stored = await interactions_service.log(session, principal, ready)
                for bad in summary["rejected"]:
                    statuses[positions[bad["index"]]] = {
                        "status": "rejected",
                        "reason": _reason(bad["errors"]),
                    }
                for i, index in enumerate(positions):
                    if index not in statuses:
                        statuses[index] = {"status": "created" if i in stored else "duplicate"}
        for index in range(len(chunk)):
            report.rows.append({"line": start + index + 2, **statuses[index]})
        if progress is not None:
            progress(len(chunk))
        if beat is not None:
            await beat(len(chunk))
    return report


def interactions_principal(org_id: uuid.UUID) -> Principal:
    """As :func:`people_principal`, with interactions:write only."""
    return Principal(org_id=org_id, client_id=None, scopes=frozenset({"interactions:write"}), job="import")


def people_principal(org_id: uuid.UUID) -> Principal:
    """The platform operator importing an organisation's records at the command line: in the
    organisation's context with people:write only, audited as ``job:import``."""
    return Principal(org_id=org_id, client_id=None, scopes=frozenset({"people:write"}), job="import")


# ------------------------------------------------------------------ imports from the console
# A file uploaded in the console is kept as an import (``imports``) until the worker has run it:
# a draft until the member of staff has chosen its mapping and started it, then queued, running
# (beating every batch, so that another worker takes it over if this one stops) and done or failed.

MAX_FILE_BYTES = 15 * 1024 * 1024  # within the server's limit on a batch's body (16 MB)
STALE_AFTER_SECONDS = 120  # a running import whose worker has not beaten for this long is taken over


class ImportNotFound(NotFound):
    code = "import_not_found"


async def upload(
    session: AsyncSession, principal: Principal, filename: str, content: bytes, kind: str = "people"
) -> uuid.UUID:
    """Keep an uploaded file as a draft import of the organisation's (``kind``: people or
    interactions), its columns guessed (422 for a file too large or with no header row)."""
    if kind not in mappings.FIELDS:
        raise ValidationFailed(
            "Choose what the file holds.", errors=[{"field": "kind", "message": "choose one"}]
        )
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: split it, and import each part.",
            errors=[{"field": "file", "message": "file too large"}],
        )
    table = read_table(content)
    import_id = uuid.uuid4()
    await session.execute(
        text(
            "INSERT INTO imports (id, org_id, kind, filename, content, mapping, total_rows, created_by) "
            "VALUES (:id, :org, :kind, :name, :content, CAST(:mapping AS jsonb), :rows, :by)"
        ),
        {
            "id": import_id,
            "org": principal.org_id,
            "name": filename[:200] or "upload.csv",
            "content": content,
            "kind": kind,
            "mapping": json.dumps(mappings.guess(table.headers, mappings.FIELDS[kind])),
            "rows": len(table.rows),
            "by": principal.actor,
        },
    )
    audit.record(session, principal, "import.uploaded", "import", import_id, {"rows": len(table.rows)})
    return import_id


async def get(session: AsyncSession, import_id: uuid.UUID) -> Any:
    """One of the organisation's imports (row-level security keeps others out), or 404."""
    row = (
        await session.execute(
            text(
                "SELECT id, kind, filename, content, mapping, date_format, status, total_rows, done_rows, counts, "
                "error, created_by, created_at, finished_at, report IS NOT NULL AS has_report FROM imports WHERE id = :id"
            ),
            {"id": import_id},
        )
    ).first()
    if row is None:
        raise ImportNotFound(f"No import {import_id}.")
    return row


async def recent(session: AsyncSession, limit: int = 10) -> list[Any]:
    """The organisation's latest imports, newest first."""
    return list(
        await session.execute(
            text(
                "SELECT id, filename, status, total_rows, done_rows, counts, created_at FROM imports "
                "ORDER BY created_at DESC LIMIT :limit"
            ),
            {"limit": limit},
        )
    )


def preview(
    content: bytes, mapping: dict[str, str], date_format: str, rows: int = 5, kind: str = "people"
) -> dict[str, Any]:
    """The file's columns, and its first rows as they would be imported with ``mapping`` (its
    columns that the file has: the others are left out)."""
    table = read_table(content, first=rows)
    made = mappings.record if kind == "people" else mappings.interaction
    known = {f: h for f, h in mapping.items() if h in table.headers}
    return {
        "headers": table.headers,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "mapping": known,
        "records": [made(r, table.headers, known, date_format) for r in table.rows],
    }


async def start(
    session: AsyncSession,
    principal: Principal,
    import_id: uuid.UUID,
    mapping: dict[str, str],
    date_format: str,
) -> None:
    """Start a draft import with the mapping and date format chosen: queued for the worker. 422 for
    a mapping naming no column of the file, or none at all."""
    row = await get(session, import_id)
    if row.status != "draft":
        raise Conflict("This import has already started.", code="import_started")
    needed = "people:write" if row.kind == "people" else "interactions:write"
    if needed not in principal.scopes:
        raise Forbidden(f"Your role cannot import {row.kind}.")
    headers = read_table(row.content).headers
    if date_format not in mappings.DATE_FORMATS:
        raise ValidationFailed(
            "Choose how the file writes dates.", errors=[{"field": "date_format", "message": "choose one"}]
        )
    unknown = [f for f, h in mapping.items() if f not in mappings.FIELDS[row.kind] or h not in headers]
    if unknown or not mapping:
        raise ValidationFailed(
            "Choose, for at least one of Kith's fields, the column of the file that holds it.",
            errors=[{"field": "mapping", "message": "no column chosen"}],
        )
    await session.execute(
        text(
            "UPDATE imports SET mapping = CAST(:mapping AS jsonb), date_format = :fmt, status = 'queued', "
            "created_by = :by WHERE id = :id AND status = 'draft'"
        ),
        # The worker runs it as whoever started it (with their role then), not as whoever uploaded it.
        {"id": import_id, "mapping": json.dumps(mapping), "fmt": date_format, "by": principal.actor},
    )
    audit.record(session, principal, "import.started", "import", import_id, {"fields": sorted(mapping)})


async def report(session: AsyncSession, import_id: uuid.UUID) -> tuple[str, str]:
    """A finished import's report (a CSV line per row) and its file's name."""
    row = (
        await session.execute(text("SELECT filename, report FROM imports WHERE id = :id"), {"id": import_id})
    ).first()
    if row is None or row.report is None:
        raise ImportNotFound(f"No report for import {import_id} yet.")
    return row.report, row.filename


async def run_next(db: Database) -> bool:
    """Run the oldest queued import (or one whose worker stopped beating) to its end, as the member
    of staff who started it; whether there was one. Progress is written after every batch."""
    job = Principal.background("imports")
    async with db.session(platform=True) as session:
        # A file never started is not kept: residents' details sit in it outside every record.
        await session.execute(
            text(
                "UPDATE imports SET content = NULL, status = 'failed', error = 'not started within a day', "
                "finished_at = now() WHERE status = 'draft' AND created_at < now() - interval '1 day'"
            )
        )
        claimed = (
            await session.execute(
                text(
                    "UPDATE imports SET status = 'running', done_rows = 0, heartbeat_at = now() WHERE id = ("
                    "SELECT id FROM imports WHERE status = 'queued' OR (status = 'running' AND heartbeat_at < "
                    "now() - make_interval(secs => :stale)) ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
                    "RETURNING id, org_id, kind, content, mapping, date_format, created_by"
                ),
                {"stale": STALE_AFTER_SECONDS},
            )
        ).first()
        if claimed is not None:
            audit.record(session, job, "import.running", "import", claimed.id)
    if claimed is None:
        return False
    _, role, staff_id = claimed.created_by.split(":")
    principal = Principal.staff(claimed.org_id, uuid.UUID(staff_id), role)
    done = 0

    async def beat(rows: int) -> None:
        nonlocal done
        done += rows
        async with db.session(platform=True) as session:
            await session.execute(
                text("UPDATE imports SET done_rows = :done, heartbeat_at = now() WHERE id = :id"),
                {"done": done, "id": claimed.id},
            )

    try:
        table = read_table(claimed.content)
        run = import_people if claimed.kind == "people" else import_interactions
        result = await run(db, principal, table, dict(claimed.mapping), claimed.date_format, beat=beat)
    except Exception as exc:  # the member of staff disabled meanwhile, the database away: told on the page
        async with db.session(platform=True) as session:
            await session.execute(
                text(
                    "UPDATE imports SET status = 'failed', error = :error, finished_at = now(), content = NULL "
                    "WHERE id = :id"
                ),
                {"id": claimed.id, "error": str(getattr(exc, "detail", None) or type(exc).__name__)[:500]},
            )
            audit.record(session, job, "import.failed", "import", claimed.id)
        return True
    async with db.session(platform=True) as session:
        await session.execute(
            text(
                "UPDATE imports SET status = 'done', counts = CAST(:counts AS jsonb), report = :report, "
                "done_rows = total_rows, finished_at = now(), content = NULL WHERE id = :id"
            ),
            {"id": claimed.id, "counts": json.dumps(result.counts()), "report": result.csv()},
        )
        audit.record(session, job, "import.done", "import", claimed.id, result.counts())
    return True
