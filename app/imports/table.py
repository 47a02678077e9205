"""A CSV file as a case system exports it: UTF-8 (with or without a byte-order mark) or
Windows-1252, comma- or semicolon-separated, a header row first."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from app.core.errors import ValidationFailed


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]  # each as long as the headers (short rows padded, long ones cut)
    encoding: str
    delimiter: str
    # No cell holds U+0000 (the only character a decoded file can hold that no text column can
    # store: strict UTF-8 and Windows-1252 decoding never make a lone surrogate).
    nul_free: bool = False


def _decoded(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "windows-1252"


MAX_COLUMNS = 200
MAX_ROWS = 200_000
MAX_CELL = 10_000  # characters: a note, not a document


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": "file", "message": message}])


def read_table(data: bytes, first: int | None = None) -> Table:
    """The file's header and rows (only the ``first`` rows, for a preview). 422 for a file with no
    header row, more than MAX_COLUMNS columns or MAX_ROWS rows, a cell over MAX_CELL characters,
    or no CSV at all."""
    content, encoding = _decoded(data)
    header_line = content.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader, [])]
        if not any(headers):
            raise _refused("The file is empty: its first line must name the columns.")
        width = len(headers)
        if width > MAX_COLUMNS:
            raise _refused(f"The file has {width} columns; at most {MAX_COLUMNS} can be imported.")
        rows: list[list[str]] = []
        for row in reader:
            if first is not None and len(rows) == first:
                break
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) == MAX_ROWS:
                raise _refused(f"The file has more than {MAX_ROWS:,} rows: split it, and import each part.")
            rows.append((row + [""] * width)[:width])
    except csv.Error as exc:
        raise _refused(f"This is not a CSV file Kith can read ({exc}).") from exc
    return Table(headers, rows, encoding, delimiter, nul_free="\x00" not in content)
