"""Downloads of a whole level: every area × indicator × period as published, in one tidy file (one
row per area, period, indicator and measure), so that an analyst can load it straight into a
spreadsheet, R or pandas."""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = (
    "area", "area_name", "level", "period", "indicator", "measure", "value", "band_low", "band_high",
    "numerator", "denominator", "suppressed", "suppressed_reason", "rounded", "headline", "rag", "trend",
    "published_at", "revised_at",
)  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def level_csv(values: dict[str, Any]) -> str:
    """The rows of ``service.level_values`` as CSV (UTF-8, CRLF, a header row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in values["items"]:
        band = row["band"] or (None, None)
        flat = {**row, "band_low": band[0], "band_high": band[1]}
        writer.writerow([_cell(flat[c]) for c in COLUMNS])
    return buffer.getvalue()
