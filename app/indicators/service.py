"""The indicators' rules: keeping the roll-ups current, and publishing values safely.

Indicators are aggregates over every organisation's data, so their queries run in the platform
scope (``platform_scope``); what leaves this module has passed disclosure control (``publish``),
which is the only way out of it: no organisation is ever named, and no count of 1–7 people or any
unrounded figure is ever returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.config import Settings
from app.core.errors import NotFound, ValidationFailed
from app.core.pagination import PageRequest, make_page
from app.db.session import driver_connection, platform_scope
from app.indicators import disclosure as dc
from app.indicators import publication
from app.indicators import repository as repo
from app.indicators.catalogue import BY_CODE, CATALOGUE, rag
from app.indicators.computation import TZ
from app.indicators.periods import Period, every_period

DEGREE_CAP = 20
SHARED_RESIDENTS = 5
MAX_SERIES = 120
CHUNK = 250  # cells per statement


class UnknownArea(NotFound):
    code = "unknown_area"


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field}: {message}.", errors=[{"field": field, "in": "query", "message": message}]
    )


def today() -> date:
    return datetime.now(ZoneInfo(TZ)).date()


def parse_period(text: str, field: str = "period") -> Period:
    """The period named, or 422 naming the parameter; periods after the current one are refused."""
    try:
        period = Period.parse(text)
    except ValueError as exc:
        raise _invalid(field, str(exc)) from exc
    if period.start > today():
        raise _invalid(field, "is in the future")
    return period


# ---------------------------------------------------------------------------------------------
# Roll-ups


@dataclass
class RefreshReport:
    full: bool
    residents_changed_areas: int
    cells: int
    high_water: datetime

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "high_water": self.high_water.isoformat()}


def _periods_touched(month: date, periods: list[Period]) -> list[Period]:
    """Periods a change in ``month`` can move: those holding it, the next ones (retention), the
    twelve months after (isolation looks back a year) and the three before (re-spend looks ahead
    90 days)."""
    low = Period(month, "month").shifted(-3).start
    high = Period(month, "month").shifted(12).start
    return [p for p in periods if p.end > low and p.start <= high]


async def refresh(
    session: AsyncSession, settings: Settings, *, full: bool = False, wait: bool = True
) -> RefreshReport | None:
    """Bring the roll-ups up to date with what arrived since the last run (``full``: rebuild all).
    Runs take turns; ``wait=False``: None at once if another run is under way (it will see what
    this one would have)."""
    conn = await driver_connection(session)
    async with platform_scope(session):
        if not await repo.lock_rollup(conn, wait=wait):
            return None
        started = await conn.fetchval("SELECT now()")
        mark, fingerprint = await repo.state(conn)
        print_now = await repo.relationships_fingerprint(conn)
        # Ties only added since the last run dirty the areas of the people they join; a tie that
        # run saw and that has since ended or gone (an erasure) may touch any area: all are redone.
        full = full or mark is None or fingerprint != await repo.relationships_fingerprint(conn, mark)
        since = None if full else mark - timedelta(seconds=settings.indicator_rollup_overlap_seconds)  # type: ignore[operator]
        # Residents: all of them on a full run; else only those of the people touched since.
        changed_areas = await repo.refresh_residents(conn, since)
        pairs: list[tuple[str, date]] = []
        if since is not None:
            tie_areas, organisation_ties = await repo.new_ties(conn, since)
            full = organisation_ties
            changed_areas |= tie_areas
        if full:
            await repo.rebuild_activity(conn)
        else:
            pairs = await repo.refresh_activity_since(conn, since)
            pairs += await repo.ledger_cells_since(conn, since)
        areas = await repo.resident_areas(conn)
        level_of = dict(areas)
        first = await repo.first_month(conn)
        periods = every_period(first, today()) if first else []
        wanted: set[tuple[str, Period]] = set()
        if full:
            wanted = {(code, p) for code in level_of for p in periods}
        else:
            wanted |= {(code, p) for code in changed_areas if code in level_of for p in periods}
            for code, month in pairs:
                if code in level_of:
                    wanted |= {(code, p) for p in _periods_touched(month, periods)}
        cells = sorted((code, level_of[code], p) for code, p in wanted)
        for i in range(0, len(cells), CHUNK):
            values = await repo.figures(conn, cells[i : i + CHUNK], **_figure_settings(settings))
            await repo.store_values(conn, values)
        await repo.drop_values_outside(conn, list(level_of))
        await repo.save_state(conn, started, print_now)
    return RefreshReport(full, len(changed_areas), len(cells), started)


def _figure_settings(settings: Settings) -> dict[str, int]:
    return {
        "volunteer_cap_minutes": round(settings.indicator_volunteer_cap_hours * 60),
        "degree_cap": DEGREE_CAP,
        "shared_residents": SHARED_RESIDENTS,
    }


async def raw_figures(
    session: AsyncSession, settings: Settings, area: str, periods: list[Period], *, full: bool
) -> dict[str, dict[str, Any]]:
    """Unpublished figures of an area's periods, from the roll-ups' source tables or (``full``) by a
    full computation over the raw tables — for the tests and the benchmark, never for a response."""
    conn = await driver_connection(session)
    async with platform_scope(session):
        found = await repo.area(conn, area)
        if found is None:
            raise UnknownArea(f"No area {area!r}.")
        cells = [(area, found["level"], p) for p in periods]
        rows = await repo.figures(conn, cells, **_figure_settings(settings), full=full)
    return {period: parts for (_, period), parts in rows.items()}


async def _area(session: AsyncSession, code: str) -> Any:
    conn = await driver_connection(session)
    async with platform_scope(session):
        found = await repo.area(conn, code)
    if found is None:
        raise UnknownArea(f"No area {code!r}: GET /v1/areas lists them.")
    return found


async def _stored(
    session: AsyncSession, settings: Settings, found: Any, periods: list[Period]
) -> dict[str, tuple[dict[str, Any] | None, datetime | None]]:
    """The roll-up's figures of an area's periods. A period the job keeps no cell for (before the
    first activity it has seen, or an area with no resident yet) is computed from the roll-ups
    there and then: it holds no activity, so that is cheap."""
    conn = await driver_connection(session)
    async with platform_scope(session):
        stored = await repo.stored_values(conn, found["code"], [p.label for p in periods])
        missing = [(found["code"], found["level"], p) for p in periods if p.label not in stored]
        computed = await repo.figures(conn, missing, **_figure_settings(settings))
    return {**{period: (parts, None) for (_, period), parts in computed.items()}, **stored}


async def values(
    session: AsyncSession, principal: Principal, settings: Settings, area: str, period: str
) -> dict:
    """The ten indicators of an area for a period, with the previous period, safe to publish."""
    p = parse_period(period)
    found = await _area(session, area)
    stored = await _stored(session, settings, found, [p, p.previous])
    now, computed_at = stored.get(p.label, (None, None))
    before = stored.get(p.previous.label, (None, None))[0]
    residents, indicators = publication.assemble(settings, now, before, p.previous.label)
    return {
        "area": {"code": found["code"], "level": found["level"], "name": found["name"]},
        "period": p.label,
        "previous_period": p.previous.label,
        "computed_at": computed_at,
        "residents": {"value": residents.value, "suppressed": residents.suppressed},
        "indicators": indicators,
    }


async def series(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    area: str,
    code: str,
    first: str,
    last: str,
) -> dict:
    """One indicator's headline over consecutive periods of one kind."""
    if code not in BY_CODE:
        raise _invalid("code", f"is not an indicator; one of {', '.join(BY_CODE)}")
    start, end = parse_period(first, "from"), parse_period(last, "to")
    if start.kind != end.kind:
        raise _invalid("to", "must be the same kind of period as 'from'")
    if end < start:
        raise _invalid("to", "must not be before 'from'")
    periods = [start]
    while periods[-1] < end:
        periods.append(periods[-1].shifted(1))
        if len(periods) > MAX_SERIES:
            raise _invalid("to", f"a series holds at most {MAX_SERIES} periods")
    found = await _area(session, area)
    stored = await _stored(session, settings, found, [periods[0].previous, *periods])
    limits = publication.thresholds(settings)
    points, previous = [], stored.get(periods[0].previous.label, (None, None))[0]
    for p in periods:
        parts = stored.get(p.label, (None, None))[0]
        _, indicators = publication.assemble(settings, parts, previous, p.previous.label)
        head = next(i for i in indicators if i["code"] == code)
        points.append(
            {
                "period": p.label,
                "value": head["value"],
                "numerator": head["numerator"],
                "denominator": head["denominator"],
                "suppressed": head["suppressed"],
                "rag": rag(code, head["value"], limits),
            }
        )
        previous = parts
    return {
        "area": {"code": found["code"], "level": found["level"], "name": found["name"]},
        "code": code,
        "measure": head["measure"],
        "points": points,
    }


def catalogue(settings: Settings) -> list[dict[str, Any]]:
    """The ten indicators, their definitions and their RAG thresholds."""
    limits = publication.thresholds(settings)
    return [
        {
            "code": i.code,
            "name": i.name,
            "definition": i.definition,
            "unit": i.unit,
            "higher_is_better": i.higher_is_better,
            "thresholds": {"red": limits[i.code][0], "green": limits[i.code][1]},
        }
        for i in CATALOGUE
    ]


async def list_areas(session: AsyncSession, level: str | None, page: PageRequest) -> dict[str, Any]:
    """Areas known from the postcode lookup, with their (published) resident counts."""
    if level is not None and level not in ("ward", "lsoa", "msoa"):
        raise _invalid("level", "must be ward, lsoa or msoa")
    after = page.position(str)
    conn = await driver_connection(session)
    async with platform_scope(session):
        rows = await repo.list_areas(conn, level, after[0] if after else None, page.limit + 1)
    found, next_cursor = make_page(list(rows), page.limit, lambda r: (r["code"],))
    items = []
    for r in found:
        residents = dc.count(r["residents"])
        items.append(
            {
                "code": r["code"],
                "level": r["level"],
                "name": r["name"],
                "postcodes": r["postcodes"],
                "residents": residents.value,
                "residents_suppressed": residents.suppressed,
            }
        )
    return {"items": items, "next_cursor": next_cursor}
