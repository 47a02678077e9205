"""Importing an organisation's people from a CSV file: each row made into a record (``mapping.py``)
and resolved through the people service's batch, 5,000 at a time, each batch in a transaction of
the organisation's; one result per row, as the batch API answers it, with the row's line in the
file. A file imported again creates no one twice: a record with the organisation's reference is
its person again, and one without matches the person it made the first time."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.auth.principal import Principal
from app.db.session import Database
from app.imports import mapping as mappings
from app.imports.table import Table
from app.people import service as people_service

CHUNK = people_service.MAX_BATCH


@dataclass
class Report:
    """What an import did, row by row: ``rows`` hold each row's line in the file, its status
    (created, matched, review, rejected), the organisation's id for the person and, when rejected,
    why; warnings name values left out."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ("created", "matched", "review", "rejected")}
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
                    row.get("reason", ""),
                    row.get("warnings", ""),
                ]
            )
        return buffer.getvalue()


def _reason(errors: list[dict[str, Any]] | None) -> str:
    return "; ".join(f"{e.get('field') or 'record'}: {e.get('message')}" for e in errors or [])


async def import_people(
    db: Database,
    principal: Principal,
    table: Table,
    mapping: dict[str, str],
    date_format: str = "dmy",
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Resolve every row of ``table`` as the organisation's record (``principal``: the
    organisation, with people:write); ``progress`` is told how many rows each batch did."""
    report = Report()
    for start in range(0, len(table.rows), CHUNK):
        chunk = table.rows[start : start + CHUNK]
        items = [mappings.record(row, table.headers, mapping, date_format) for row in chunk]
        async with db.session(org_id=principal.org_id, client_id=principal.client_id) as session:
            results = await people_service.register_batch(session, principal, items)
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
    return report


def people_principal(org_id: uuid.UUID) -> Principal:
    """The platform operator importing an organisation's records at the command line: in the
    organisation's context with people:write only, audited as ``job:import``."""
    return Principal(org_id=org_id, client_id=None, scopes=frozenset({"people:write"}), job="import")
