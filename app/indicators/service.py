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
from app.indicators import repository as repo
from app.indicators.catalogue import BY_CODE, CATALOGUE, DEFAULT_THRESHOLDS, normalised, rag
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


async def refresh(session: AsyncSession, settings: Settings, *, full: bool = False) -> RefreshReport:
    """Bring the roll-ups up to date with what arrived since the last run (``full``: rebuild all)."""
    conn = await driver_connection(session)
    async with platform_scope(session):
        await repo.lock_rollup(conn)
        started = await conn.fetchval("SELECT now()")
        mark, fingerprint = await repo.state(conn)
        print_now = await repo.relationships_fingerprint(conn)
        changed_areas = await repo.refresh_residents(conn)
        # Ties only added since the last run dirty the areas of the people they join; a tie that
        # run saw and that has since ended or gone (an erasure) may touch any area: all are redone.
        full = full or mark is None or fingerprint != await repo.relationships_fingerprint(conn, mark)
        pairs: list[tuple[str, date]] = []
        if not full:
            since = mark - timedelta(seconds=settings.indicator_rollup_overlap_seconds)
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


# ---------------------------------------------------------------------------------------------
# Publication (disclosure control)


def _minutes_to_hours(part: dict[str, Any]) -> dc.Figure:
    return dc.total(n=part["n"], largest=part["largest"] / 60, sum_=part["sum"] / 60)


def _measure(name: str, value: dc.Figure, numerator: dc.Figure, denominator: dc.Figure) -> dict[str, Any]:
    return {
        "name": name,
        "value": value.value,
        "numerator": numerator.value,
        "denominator": denominator.value,
        "suppressed": value.suppressed or numerator.suppressed or denominator.suppressed,
    }


def _rate(name: str, numerator: dc.Figure, denominator: dc.Figure, scale: float = 1.0) -> dict[str, Any]:
    return _measure(name, dc.ratio(numerator, denominator, scale), numerator, denominator)


def _hhi(loads: list[int]) -> dc.Figure:
    """HHI from rounded per-organisation loads; suppressed when the number of organisations is (so
    a handful of organisations' shares are never implied)."""
    if not loads:
        return dc.Figure(None)
    if dc.count(len(loads)).suppressed:
        return dc.SUPPRESSED
    rounded = [dc.round5(n) for n in loads]
    whole = sum(rounded)
    if not whole:
        return dc.SUPPRESSED
    return dc.Figure(round(sum(n * n for n in rounded) / whole / whole * 10000, 1))


def _lm3(r1: dc.Figure, r2: dc.Figure, r3: dc.Figure) -> dict[str, Any]:
    if r1.suppressed or r2.suppressed or r3.suppressed:
        head = _measure("lm3", dc.SUPPRESSED, dc.SUPPRESSED, r1)
    elif not r1.value:
        head = _measure("lm3", dc.Figure(None), dc.Figure(None), r1)
    else:
        top = dc.Figure(r1.value + r2.value + r3.value)
        head = _measure("lm3", dc.ratio(top, r1), top, r1)
    return head


def publish(parts: dict[str, Any] | None) -> tuple[dc.Figure, dict[str, list[dict[str, Any]]]]:
    """The published residents count and, per indicator, its measures (headline first), every
    figure through disclosure control."""
    p = parts or {}

    def n(key: str) -> dc.Figure:
        return dc.count(p.get(key, 0))

    empty = {"n": 0, "sum": 0, "largest": 0}
    residents, active = n("residents"), n("active")
    pub, soc, com = n("orgs_public"), n("orgs_social"), n("orgs_commercial")
    orgs = dc.count(p.get("orgs_public", 0) + p.get("orgs_social", 0) + p.get("orgs_commercial", 0))
    external, internal = n("ei_external"), n("ei_internal")
    ties = dc.count(p.get("ei_external", 0) + p.get("ei_internal", 0))
    if external.suppressed or ties.suppressed:
        bridging = _measure("e_i_index", dc.SUPPRESSED, external, ties)
    elif not ties.value:
        bridging = _measure("e_i_index", dc.Figure(None), external, ties)
    else:
        bridging = _measure(
            "e_i_index", dc.Figure(round(2 * external.value / ties.value - 1, 4)), external, ties
        )
    r1, r2, r3 = (dc.total(**_sum_args(p.get(k, empty))) for k in ("lm_r1", "lm_r2", "lm_r3"))
    loads = list(p.get("org_interactions", []))
    hhi = _hhi(loads)
    hours = _minutes_to_hours(p.get("volunteer_minutes", empty))
    measures = {
        "sector_mix": [
            _rate("social_share", soc, orgs),
            _rate("public_per_1000", pub, residents, 1000),
            _rate("social_per_1000", soc, residents, 1000),
            _rate("commercial_per_1000", com, residents, 1000),
        ],
        "cross_sector_ties": [_rate("cross_sector_share", n("ties_cross"), n("ties_total"))],
        "multi_sector_reach": [
            _rate("multi_sector_share", n("multi_sector"), active),
            _rate("public_contact_share", n("public_contact"), residents),
        ],
        "bridging": [
            bridging,
            _measure("external_ties", external, external, dc.Figure(None)),
            _measure("internal_ties", internal, internal, dc.Figure(None)),
        ],
        "isolation": [_rate("isolated_share", n("isolated"), residents)],
        "reciprocity": [_rate("both_share", n("gave_and_received"), n("gave_or_received"))],
        "volunteering": [
            _rate("volunteer_share", n("volunteers"), residents),
            _rate("every_month_share", n("volunteers_every_month"), residents),
            _rate("hours_per_1000", hours, residents, 1000),
        ],
        "repeat_engagement": [
            _rate("three_days_share", n("repeat3"), active),
            _rate("retention", n("retained"), n("prev_active")),
        ],
        "local_multiplier": [
            _lm3(r1, r2, r3),
            _measure("r1", r1, r1, dc.Figure(None)),
            _measure("r2", r2, r2, dc.Figure(None)),
            _measure("r3", r3, r3, dc.Figure(None)),
        ],
        "concentration": [
            _measure("hhi", hhi, dc.Figure(None), dc.count(len(loads))),
            _rate("single_organisation_share", n("single_org"), active),
        ],
    }
    return residents, measures


def _sum_args(part: dict[str, Any]) -> dict[str, Any]:
    return {"n": part["n"], "largest": part["largest"], "sum_": part["sum"]}


def thresholds(settings: Settings) -> dict[str, tuple[float, float]]:
    return {**DEFAULT_THRESHOLDS, **{k: tuple(v) for k, v in settings.indicator_thresholds.items()}}


def _trend(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    return "up" if now > before else "down" if now < before else "same"


def _assemble(
    settings: Settings, parts: dict[str, Any] | None, previous: dict[str, Any] | None, prev_label: str
) -> tuple[dc.Figure, list[dict[str, Any]]]:
    residents, now = publish(parts)
    _, before = publish(previous)
    limits = thresholds(settings)
    out = []
    for indicator in CATALOGUE:
        measures = now[indicator.code]
        earlier = {m["name"]: m for m in before[indicator.code]}
        for m in measures:
            m["previous_value"] = earlier[m["name"]]["value"]
        head, prev_head = measures[0], before[indicator.code][0]
        out.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "measure": head["name"],
                "value": head["value"],
                "numerator": head["numerator"],
                "denominator": head["denominator"],
                "suppressed": head["suppressed"],
                "rag": rag(indicator.code, head["value"], limits),
                "normalised": normalised(indicator.code, head["value"]),
                "previous": {
                    "period": prev_label,
                    "value": prev_head["value"],
                    "numerator": prev_head["numerator"],
                    "denominator": prev_head["denominator"],
                    "suppressed": prev_head["suppressed"],
                    "normalised": normalised(indicator.code, prev_head["value"]),
                },
                "trend": _trend(head["value"], prev_head["value"]),
                "components": measures[1:],
            }
        )
    return residents, out


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
    residents, indicators = _assemble(settings, now, before, p.previous.label)
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
    limits = thresholds(settings)
    points, previous = [], stored.get(periods[0].previous.label, (None, None))[0]
    for p in periods:
        parts = stored.get(p.label, (None, None))[0]
        _, indicators = _assemble(settings, parts, previous, p.previous.label)
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
    limits = thresholds(settings)
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
