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


def _decoded(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "windows-1252"


def read_table(data: bytes) -> Table:
    """The file's header and rows. 422 for a file with no header row."""
    content, encoding = _decoded(data)
    first = content.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        headers = []
    if not any(headers):
        raise ValidationFailed(
            "The file is empty: its first line must name the columns.",
            errors=[{"field": "file", "message": "no header row"}],
        )
    width = len(headers)
    rows = [(row + [""] * width)[:width] for row in reader if any(cell.strip() for cell in row)]
    return Table(headers, rows, encoding, delimiter)
