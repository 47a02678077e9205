"""Areas from an ONS postcode lookup (NSPL / ONSPD CSV): ``kith areas import FILE.csv``.

The columns read are ``pcds`` (the postcode), ``lsoa21cd``, ``msoa21cd`` and ``osward`` (2011
names ``lsoa11cd``/``lsoa11`` and ``msoa11cd``/``msoa11`` are taken when the 2021 ones are absent);
optional name columns (``osward_name``/``wdnm``, ``lsoa21nm``, ``msoa21nm``) label the areas. A bad
row is reported by its line number and the good ones are imported.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import ValidationFailed
from app.db.session import driver_connection, platform_scope
from app.identity import normalise
from app.indicators import repository as repo

CHUNK = 10_000
# ONS GSS codes: a letter and eight digits (E05… wards, E01… LSOAs, E02… MSOAs; W, S, N likewise).
_GSS = re.compile(r"^[EWSN]\d{8}$")
_COLUMNS = {
    "postcode": ("pcds", "pcd", "pcd7", "pcd8", "postcode"),
    "ward": ("osward", "wd24cd", "wd23cd", "wd22cd", "wd21cd"),
    "lsoa": ("lsoa21cd", "lsoa21", "lsoa11cd", "lsoa11"),
    "msoa": ("msoa21cd", "msoa21", "msoa11cd", "msoa11"),
}
_NAMES = {
    "ward": ("osward_name", "wdnm", "ward_name", "wd24nm", "wd23nm"),
    "lsoa": ("lsoa21nm", "lsoa11nm", "lsoa_name"),
    "msoa": ("msoa21nm", "msoa11nm", "msoa_name"),
}


class BadLookupFile(ValidationFailed):
    code, title = "bad_postcode_lookup", "Not a postcode lookup"


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    areas: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"imported": self.imported, "rejected": self.rejected, "areas": self.areas}


def _pick(header: list[str], choices: tuple[str, ...]) -> str | None:
    lower = {h.strip().lower(): h for h in header}
    return next((lower[c] for c in choices if c in lower), None)


def parse(
    lines: Iterable[str], report: ImportReport
) -> Iterable[tuple[tuple[str, str, str, str], dict[str, str]]]:
    """Yield ((postcode, ward, lsoa, msoa), {code: name}) per good row; bad rows go to ``report``."""
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    columns = {k: _pick(header, v) for k, v in _COLUMNS.items()}
    missing = [_COLUMNS[k][0] for k, v in columns.items() if v is None]
    if missing:
        raise BadLookupFile(
            f"The file has no {', '.join(missing)} column (an ONS NSPL/ONSPD CSV has pcds, lsoa21cd, msoa21cd, osward).",
            errors=[{"field": m, "message": "column missing"} for m in missing],
        )
    names = {k: _pick(header, v) for k, v in _NAMES.items()}
    for row in reader:
        line = reader.line_num
        try:
            pc = normalise.postcode("pcds", (row.get(columns["postcode"]) or "").strip())
        except normalise.FieldError:
            report.rejected.append(
                {"line": line, "error": f"not a UK postcode: {row.get(columns['postcode'])!r}"}
            )
            continue
        codes = []
        for level in ("ward", "lsoa", "msoa"):
            value = (row.get(columns[level]) or "").strip().upper()
            if not _GSS.match(value):
                codes.append(None)
                report.rejected.append(
                    {"line": line, "error": f"{columns[level]}: not an ONS area code: {value!r}"}
                )
                break
            codes.append(value)
        if None in codes:
            continue
        labels = {}
        for level, code in zip(("ward", "lsoa", "msoa"), codes, strict=True):
            if names[level] and (label := (row.get(names[level]) or "").strip()):
                labels[code] = label
        yield (pc, *codes), labels


async def import_lookup(session: AsyncSession, lines: Iterable[str]) -> ImportReport:
    """Load a postcode lookup: good rows upserted, bad ones reported by line; areas rebuilt."""
    report = ImportReport()
    conn = await driver_connection(session)
    names: dict[str, str] = {}
    async with platform_scope(session):
        chunk: list[tuple[str, str, str, str]] = []
        for row, labels in parse(lines, report):
            chunk.append(row)
            names.update(labels)
            if len(chunk) >= CHUNK:
                await repo.import_postcodes(conn, _unique(chunk))
                report.imported += len(chunk)
                chunk = []
        if chunk:
            await repo.import_postcodes(conn, _unique(chunk))
            report.imported += len(chunk)
        report.areas = await repo.rebuild_areas(conn, names)
    return report


def _unique(rows: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    """The last row of each postcode (one statement may not upsert the same key twice)."""
    return list({r[0]: r for r in rows}.values())
