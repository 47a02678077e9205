"""What the analysts' pages show, from the published indicators: a level's table, an area's
picture and an indicator's ranking. Only published figures (``indicators.service``) reach here."""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.errors import NotFound, ValidationFailed
from app.indicators import service as indicators
from app.indicators.catalogue import BY_CODE, CATALOGUE
from app.indicators.periods import Period

LEVELS = {"ward": "Wards", "lsoa": "LSOAs (neighbourhoods)", "msoa": "MSOAs"}
SERIES_MONTHS = 13


class NothingPublished(NotFound):
    code = "nothing_published"


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field}: {message}.", errors=[{"field": field, "in": "query", "message": message}]
    )


def level_of(text: str | None) -> str:
    level = (text or "ward").strip().lower()
    if level not in LEVELS:
        raise _invalid("level", "must be ward, lsoa or msoa")
    return level


async def status(session: AsyncSession, period: str | None) -> dict[str, Any]:
    """What is published, and the period to show: the one asked for, else the latest month."""
    found = await indicators.publication_status(session)
    if not found["periods"]:
        raise NothingPublished(
            "No indicators are published yet: a period is published once it has ended and the "
            "roll-up has run (kith indicators refresh)."
        )
    months = [p for p in found["periods"] if Period.parse(p).kind == "month"]
    chosen = period or (months[0] if months else found["periods"][0])
    if chosen not in found["periods"]:
        raise _invalid("period", f"{chosen} is not published; published: {', '.join(found['periods'][:6])}…")
    return {**found, "period": chosen, "months": months}


def _headlines(items: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The headline rows, by (area, period, indicator)."""
    return {(r["area"], r["period"], r["indicator"]): r for r in items if r["headline"]}


def _sort_key(row: dict[str, Any], code: str, descending: bool) -> tuple:
    cell = row["cells"][code]
    value = cell["value"] if cell["value"] is not None else (sum(cell["band"]) / 2 if cell["band"] else None)
    if value is None:
        return (1, 0.0, row["name"])
    return (0, -value if descending else value, row["name"])


async def overview(
    session: AsyncSession, settings: Settings, level: str, period: str, sort: str | None, order: str | None
) -> dict[str, Any]:
    """Every area of a level × the ten headlines for a period."""
    values = await indicators.level_values(session, settings, level, [period])
    heads = _headlines(values["items"])
    areas: dict[str, dict[str, Any]] = {}
    for r in values["items"]:
        areas.setdefault(r["area"], {"code": r["area"], "name": r["area_name"] or r["area"], "cells": {}})
    for (area, _, code), r in heads.items():
        areas[area]["cells"][code] = r
    rows = list(areas.values())
    if sort in BY_CODE:
        rows.sort(key=lambda row: _sort_key(row, sort, order != "asc"))
    else:
        rows.sort(key=lambda row: row["name"], reverse=order == "desc")
    return {"rows": rows, "revision": values["revision"], "revised_at": values["revised_at"]}


def _months_to(period: str) -> list[str]:
    p = Period.parse(period)
    last = Period(p.end, "month").previous  # the period's last month
    return [last.shifted(-k).label for k in range(SERIES_MONTHS - 1, -1, -1)]


async def area(session: AsyncSession, settings: Settings, code: str, period: str) -> dict[str, Any]:
    """An area's ten indicators for a period, and each one's last 13 months beside the median of
    the areas of its level."""
    values = await indicators.values(session, None, settings, code, period)
    months = _months_to(period)
    published = set((await indicators.publication_status(session))["periods"])
    level = await indicators.level_values(
        session, settings, values["area"]["level"], [m for m in months if m in published]
    )
    heads = _headlines(level["items"])
    series = {}
    for indicator in CATALOGUE:
        points, median = [], []
        for month in months:
            row = heads.get((code, month, indicator.code))
            points.append(
                {
                    "period": month,
                    "value": row["value"] if row else None,
                    "suppressed": bool(row and row["suppressed"]),
                    "suppressed_reason": row["suppressed_reason"] if row else None,
                    "band": row["band"] if row else None,
                }
            )
            published = [
                r["value"]
                for (_, m, c), r in heads.items()
                if m == month and c == indicator.code and r["value"] is not None
            ]
            median.append(round(statistics.median(published), 4) if published else None)
        series[indicator.code] = {"points": points, "median": median}
    return {"values": values, "series": series, "months": months}


async def indicator(
    session: AsyncSession, settings: Settings, code: str, level: str, period: str
) -> dict[str, Any]:
    """One indicator for every area of a level, best first (those not published last)."""
    if code not in BY_CODE:
        raise NotFound(f"No indicator {code!r}.")
    values = await indicators.level_values(session, settings, level, [period])
    rows = [
        {**r, "name": r["area_name"] or r["area"], "code": r["area"]}
        for r in values["items"]
        if r["headline"] and r["indicator"] == code
    ]
    best_high = BY_CODE[code].higher_is_better

    def rank(r: dict[str, Any]) -> tuple:
        value = r["value"] if r["value"] is not None else (sum(r["band"]) / 2 if r["band"] else None)
        if value is None:
            return (1, 0.0, r["name"])
        return (0, -value if best_high else value, r["name"])

    rows.sort(key=rank)
    measure = next((r["measure"] for r in rows), None)
    return {"rows": rows, "measure": measure}
