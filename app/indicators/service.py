"""The indicators' rules: keeping the roll-ups current, and publishing values safely.

Indicators are aggregates over every organisation's data, so their queries run in the platform
scope (``platform_scope``); what leaves this module has passed disclosure control (``_publish``),
which is the only way out of it: no organisation is ever named, and no count of 1–7 people or any
unrounded figure is ever returned.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.config import Settings
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.pagination import PageRequest, make_page
from app.db.session import driver_connection, platform_scope
from app.indicators import publication
from app.indicators import repository as repo
from app.indicators.catalogue import BY_CODE, CATALOGUE
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


def required(field: str, value: str | None) -> str:
    """A query parameter that must be given (422 naming it when it is not)."""
    if value is None or not value.strip():
        raise _invalid(field, "is required (or give level= for every area of a level)")
    return value


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
    revision: int | None = None  # the scheduled revision this run made, if any

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
    """Bring the roll-ups up to date with what arrived since the last run (``full``: rebuild all),
    then publish what is due (``_publish``). Runs take turns; ``wait=False``: None at once if another
    run is under way (it will see what this one would have)."""
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
        revised = await _publish(conn, settings, level_of, periods)
    return RefreshReport(full, len(changed_areas), len(cells), started, revised)


def complete(period: Period) -> bool:
    """Whether a period has ended (only complete periods are published)."""
    return period.end <= today()


def _revision_due(settings: Settings, last: datetime | None, now: datetime) -> bool:
    if last is None:
        return True
    if settings.indicator_revision == "manual":
        return False
    a, b = last.astimezone(ZoneInfo(TZ)).date(), now.astimezone(ZoneInfo(TZ)).date()
    if settings.indicator_revision == "daily":
        return a != b
    if settings.indicator_revision == "weekly":
        return a.isocalendar()[:2] != b.isocalendar()[:2]
    return (a.year, a.month) != (b.year, b.month)


async def _publish(
    conn: Any, settings: Settings, level_of: dict[str, str], periods: list[Period], *, force: bool = False
) -> int | None:
    """A revision, when one is due (``KITH_INDICATOR_REVISION``) or ``force``d: every complete
    period's cells published anew from the roll-up — the periods that ended since the last one for
    the first time, the others revised, each changed cell marked ``revised_at``. Between revisions
    nothing published changes, not even for an area new to a period (its first figures would be
    fresher than its neighbours'), so two downloads between revisions are the same. An area left
    with no residents is revised too (to nothing). Returns the revision's number, if one ran."""
    done = [p for p in periods if complete(p)]
    last, revision = await repo.publication_state(conn)
    now = await conn.fetchval("SELECT now()")
    if not done or not (force or _revision_due(settings, last, now)):
        return None
    labels = [p.label for p in done]
    parts = await repo.stored_parts(conn, labels)
    # A quiet area's cell of a period that began after the last full run was never stored: compute it.
    gaps = [(a, level, p) for a, level in level_of.items() for p in done if (a, p.label) not in parts]
    for i in range(0, len(gaps), CHUNK):
        computed = await repo.figures(conn, gaps[i : i + CHUNK], **_figure_settings(settings))
        await repo.store_values(conn, computed)
        parts |= computed
    existing = await repo.published(conn, labels)
    areas = set(level_of) | {a for a, _ in existing}  # and those that had residents once
    cells = {(a, label): parts.get((a, label)) for a in areas for label in labels}
    nesting, salt = await repo.nesting(conn), await repo.record_key_salt(conn)
    # pure Python and seconds long on a large place (disclosure control over every figure at once):
    # off the event loop, which may be the server's
    known = {cell: repo.decoded(row["figures"]) for cell, row in existing.items()}
    figures = await asyncio.to_thread(publication.publish_cells, cells, nesting, salt, known)
    revision += 1
    changed = [(a, p, f) for (a, p), f in figures.items() if (a, p) in existing]
    changed = [(a, p, f) for a, p, f in changed if known[(a, p)] != f]
    await repo.write_published(conn, changed, revision, revised=True)
    new = [(a, p, f) for (a, p), f in figures.items() if (a, p) not in existing]
    await repo.write_published(conn, new, revision, revised=False)
    await repo.save_publication_state(conn, now, revision)
    return revision


async def revise(session: AsyncSession, settings: Settings) -> int | None:
    """A revision now, whatever the schedule (``kith indicators revise``): the roll-ups brought up
    to date first, then every complete period published anew."""
    await refresh(session, settings)
    conn = await driver_connection(session)
    async with platform_scope(session):
        await repo.lock_rollup(conn)
        level_of = dict(await repo.resident_areas(conn))
        first = await repo.first_month(conn)
        periods = every_period(first, today()) if first else []
        return await _publish(conn, settings, level_of, periods, force=True)


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


class PeriodNotPublished(Conflict):
    code = "period_not_published"


def _published_period(period: Period) -> None:
    if not complete(period):
        raise PeriodNotPublished(
            f"{period.label} is still under way: its figures are published once it has ended "
            f"(from {period.end.isoformat()}). The latest complete month is {Period.containing(today(), 'month').previous.label}."
        )


async def _published(
    session: AsyncSession, areas: list[str] | None, periods: list[Period]
) -> tuple[dict[tuple[str, str], Any], set[str]]:
    """Published cells of the areas' (all, when None) periods, and which of the periods are
    published at all (a complete period not published yet: the job has not run since it ended)."""
    conn = await driver_connection(session)
    async with platform_scope(session):
        rows = await repo.published(conn, [p.label for p in periods], areas)
        labels = await repo.published_periods(conn)
    return rows, labels


def _area_ref(found: Any) -> dict[str, Any]:
    return {"code": found["code"], "level": found["level"], "name": found["name"]}


async def values(
    session: AsyncSession, principal: Principal | None, settings: Settings, area: str, period: str
) -> dict:
    """The ten indicators of an area for a complete period, with the previous period, as published."""
    p = parse_period(period)
    _published_period(p)
    found = await _area(session, area)
    rows, labels = await _published(session, [found["code"]], [p, p.previous])
    if p.label not in labels:
        raise PeriodNotPublished(
            f"{p.label} is not published: a period is published at the first scheduled revision after it "
            "ends (KITH_INDICATOR_REVISION), and none is before the data begins."
        )
    now, before = rows.get((found["code"], p.label)), rows.get((found["code"], p.previous.label))
    figures = repo.decoded(now["figures"]) if now else None
    residents, indicators = publication.assemble(
        settings, figures, repo.decoded(before["figures"]) if before else None, p.previous.label
    )
    return {
        "area": _area_ref(found),
        "period": p.label,
        "previous_period": p.previous.label,
        "published_at": now["published_at"] if now else None,
        "revised_at": now["revised_at"] if now else None,
        "residents": {"value": residents.value, "suppressed": residents.suppressed},
        "indicators": indicators,
    }


async def series(
    session: AsyncSession,
    principal: Principal | None,
    settings: Settings,
    area: str,
    code: str,
    first: str,
    last: str,
) -> dict:
    """One indicator's headline over consecutive periods of one kind, as published (a period not
    yet complete shows as unpublished)."""
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
    rows, labels = await _published(session, [found["code"]], [periods[0].previous, *periods])
    return {
        "area": _area_ref(found),
        "code": code,
        "measure": next(i for i in publication.assemble(settings, None, None, "")[1] if i["code"] == code)[
            "measure"
        ],
        "points": _points(settings, code, found["code"], periods, rows, labels),
    }


def _points(
    settings: Settings, code: str, area: str, periods: list[Period], rows: dict, labels: set[str]
) -> list[dict[str, Any]]:
    points = []
    previous = rows.get((area, periods[0].previous.label))
    for p in periods:
        row = rows.get((area, p.label))
        figures = repo.decoded(row["figures"]) if row else None
        _, indicators = publication.assemble(
            settings, figures, repo.decoded(previous["figures"]) if previous else None, p.previous.label
        )
        head = next(i for i in indicators if i["code"] == code)
        points.append(
            {
                "period": p.label,
                "published": p.label in labels,
                "value": head["value"],
                "band": head["band"],
                "numerator": head["numerator"],
                "denominator": head["denominator"],
                "suppressed": head["suppressed"],
                "suppressed_reason": head["suppressed_reason"],
                "rag": head["rag"],
                "revised_at": row["revised_at"] if row else None,
            }
        )
        previous = row
    return points


async def publication_status(session: AsyncSession) -> dict[str, Any]:
    """What is published: its periods (newest first), the revision and when it ran."""
    conn = await driver_connection(session)
    async with platform_scope(session):
        labels = await repo.published_periods(conn)
        revised_at, revision = await repo.publication_state(conn)
    return {
        "periods": sorted(labels, key=lambda x: Period.parse(x), reverse=True),
        "revision": revision,
        "revised_at": revised_at,
    }


async def level_values(
    session: AsyncSession, settings: Settings, level: str, periods: list[str] | None = None
) -> dict[str, Any]:
    """Every area of a level × indicator × published period (or the periods named), tidy: one row
    per area, period, indicator and measure."""
    if level not in ("ward", "lsoa", "msoa"):
        raise _invalid("level", "must be ward, lsoa or msoa")
    if periods is not None:
        named = [parse_period(x) for x in periods]
        for p in named:
            _published_period(p)
        periods = [p.label for p in named]
    conn = await driver_connection(session)
    async with platform_scope(session):
        last_revision, revision = await repo.publication_state(conn)
        if periods is not None:
            unknown = [x for x in periods if x not in await repo.published_periods(conn)]
            if unknown:
                raise PeriodNotPublished(
                    f"{unknown[0]} is not published: a period is published at the first scheduled revision "
                    "after it ends, and none is before the data begins."
                )
        # What is published changes only at a revision: a whole level's answer is kept until the
        # next (a public download is otherwise every area × period worked out again, per request).
        key = (
            settings.database_url,
            str(settings.data_dir),
            level,
            tuple(periods or ()),
            revision,
            last_revision,
            tuple(sorted(publication.thresholds(settings).items())),  # the ratings depend on them
        )
        if key in _LEVEL_CACHE:
            return _LEVEL_CACHE[key]
        areas = await repo.areas_of_level(conn, level)
        labels = await repo.published_periods(conn)
        chosen = sorted(labels) if periods is None else [x for x in periods if x in labels]
        wanted = {Period.parse(x) for x in chosen}
        rows = await repo.published(
            conn, sorted({*chosen, *(p.previous.label for p in wanted)}), [a["code"] for a in areas]
        )
    answer = _level_items(settings, level, areas, wanted, rows, revision, last_revision)
    _LEVEL_CACHE[key] = answer
    while len(_LEVEL_CACHE) > LEVEL_CACHE_SIZE:
        _LEVEL_CACHE.pop(next(iter(_LEVEL_CACHE)))
    return answer


LEVEL_CACHE_SIZE = 32
_LEVEL_CACHE: dict[tuple, dict[str, Any]] = {}


def _level_items(
    settings: Settings,
    level: str,
    areas: list[Any],
    wanted: set[Period],
    rows: dict,
    revision: int,
    last_revision: Any,
) -> dict[str, Any]:
    items = []
    for period in sorted(wanted):
        for a in areas:
            row, before = rows.get((a["code"], period.label)), rows.get((a["code"], period.previous.label))
            _, indicators = publication.assemble(
                settings,
                repo.decoded(row["figures"]) if row else None,
                repo.decoded(before["figures"]) if before else None,
                period.previous.label,
            )
            for i in indicators:
                for m in [{**i, "name": i["measure"]}, *i["components"]]:
                    items.append(
                        {
                            "area": a["code"],
                            "area_name": a["name"],
                            "level": level,
                            "period": period.label,
                            "indicator": i["code"],
                            "measure": m["name"],
                            "value": m["value"],
                            "band": m["band"],
                            "numerator": m["numerator"],
                            "denominator": m["denominator"],
                            "suppressed": m["suppressed"],
                            "suppressed_reason": m["suppressed_reason"],
                            "rounded": True,
                            "rag": i["rag"] if m["name"] == i["measure"] else None,
                            "headline": m["name"] == i["measure"],
                            "trend": i["trend"] if m["name"] == i["measure"] else None,
                            "published_at": row["published_at"] if row else None,
                            "revised_at": row["revised_at"] if row else None,
                        }
                    )
    return {
        "level": level,
        "periods": [p.label for p in sorted(wanted)],
        "revision": revision,
        "revised_at": last_revision,
        "items": items,
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
    """Areas known from the postcode lookup, with their residents as published for the latest
    published month."""
    if level is not None and level not in ("ward", "lsoa", "msoa"):
        raise _invalid("level", "must be ward, lsoa or msoa")
    after = page.position(str)
    conn = await driver_connection(session)
    async with platform_scope(session):
        rows = await repo.list_areas(conn, level, after[0] if after else None, page.limit + 1)
    found, next_cursor = make_page(list(rows), page.limit, lambda r: (r["code"],))
    items = []
    for r in found:
        residents = publication.published_figure(repo.decoded(r["residents"]) if r["residents"] else None)
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
