"""Cursor pagination: opaque cursors over a (sort key, id) position, and a capped page size.

A cursor is base64url JSON of the last row's sort key. It carries no rights: every query that uses
it still runs under the caller's organisation context, so a forged cursor can only move within the
caller's own rows. A cursor that does not decode is a 400 naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel

from app.core.errors import AppError

T = TypeVar("T")


class InvalidCursor(AppError):
    status, code, title = 400, "invalid_cursor", "Invalid page cursor"


def encode_cursor(position: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(position), default=str)).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int | None = None) -> list[Any] | None:
    """The position a cursor names, or None for the first page; InvalidCursor if it is malformed."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise invalid_cursor() from exc
    if not isinstance(position, list) or (arity is not None and len(position) != arity):
        raise invalid_cursor()
    return position


MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: list[Any] | None

    def position(self, *parsers) -> tuple[Any, ...] | None:
        """The cursor's position parsed field by field (``datetime.fromisoformat``, ``uuid.UUID``,
        ``int`` or ``str``), or InvalidCursor if it does not fit: a cursor is client input, so each
        value must be of the JSON type this API writes for that field, a time must carry its zone
        and a number must fit PostgreSQL's bigint."""
        if self.after is None:
            return None
        if len(self.after) != len(parsers):
            raise invalid_cursor()
        return tuple(_field(parse, value) for parse, value in zip(parsers, self.after, strict=True))


_BIGINT = 2**63


def _field(parse, value: Any) -> Any:
    if parse is int:
        if type(value) is not int or not -_BIGINT <= value < _BIGINT:
            raise invalid_cursor()
        return value
    if not isinstance(value, str):
        raise invalid_cursor()
    try:
        parsed = parse(value)
    except ValueError as exc:
        raise invalid_cursor() from exc
    if isinstance(parsed, datetime) and parsed.utcoffset() is None:
        raise invalid_cursor()
    return parsed


def invalid_cursor() -> InvalidCursor:
    return InvalidCursor(
        "The 'cursor' parameter is not a cursor this API issued.",
        errors=[{"field": "cursor", "message": "malformed cursor"}],
    )


def page_request(
    limit: int = Query(50, ge=1, le=MAX_PAGE_SIZE, description=f"Page size (at most {MAX_PAGE_SIZE})"),
    cursor: str | None = Query(None, description="next_cursor from the previous page"),
) -> PageRequest:
    """FastAPI dependency for a paginated list's query parameters."""
    return PageRequest(limit=limit, after=decode_cursor(cursor))


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def make_page(rows: list[T], limit: int, position_of) -> tuple[list[T], str | None]:
    """Trim a result fetched with ``limit + 1`` rows and give the cursor to the next page."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(position_of(rows[-1]))
    return rows, None
