"""The analysts' pages, ``/insights``: a place's community indicators in a browser, server-rendered
like the portal (no JavaScript needed, no CDN, charts as inline SVG with text alternatives).

Who may read them: with ``KITH_INDICATORS_PUBLIC=true``, anyone (the figures are disclosure
controlled, like open statistics); otherwise staff whose role reads the indicators (an analyst of
any organisation), signed in to the console: the same pages under ``/console/insights``, where the
console's session cookie reaches, and ``/insights`` sends them there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from app.console import service as console_service
from app.console.deps import ROLE_NAMES, SESSION_COOKIE, RoleForbids
from app.console.service import StaffSession
from app.core.errors import AppError
from app.indicators import charts, downloads, publication
from app.indicators import service as indicators
from app.indicators.catalogue import BY_CODE, CATALOGUE, HEADLINE_PARTS
from app.indicators.disclosure import COMMON_RULES, INDICATOR_RULES, REASONS
from app.indicators.schemas import LevelValues
from app.insights import views
from app.web.pages import PageBase, Redirect, templates

PUBLIC = "/insights"
STAFF = "/console/insights"
SCOPE = "indicators:read"

TEMPLATES = templates(Path(__file__).parent / "templates")


def _shown(cell: dict[str, Any] | None, unit: str) -> str:
    """A published headline in words: its value, its band, or why there is none."""
    if not cell:
        return "Not available"
    if cell.get("band"):
        low, high = cell["band"]
        return f"{charts.published(low, unit)}–{charts.published(high, unit)} (band)"
    if cell.get("suppressed"):
        return "Suppressed"
    if cell.get("value") is None:
        return "Not available"
    return charts.published(cell["value"], unit)


def _count(value: Any) -> str:
    return "–" if value is None else f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


TEMPLATES.env.filters.update(shown=_shown, count=_count, shown_plain=charts.published)
TEMPLATES.env.globals.update(
    catalogue=CATALOGUE, by_code=BY_CODE, levels=views.LEVELS, reasons=REASONS, role_names=ROLE_NAMES
)


@dataclass
class InsightsPage(PageBase):
    """One analysts' page, public or a signed-in member of staff's."""

    base: str = PUBLIC
    staff: StaffSession | None = None

    TEMPLATES = TEMPLATES
    COOKIE_PATH = PUBLIC

    def context(self) -> dict[str, Any]:
        return {"base": self.base, "staff": self.staff}


async def opened(request: Request) -> AsyncIterator[InsightsPage]:
    """Whoever may read the page, with a transaction to read in: anyone when the indicators are
    public; else only under /console/insights, a member of staff whose role reads indicators."""
    state = request.app.state
    path = request.url.path
    if path.startswith(STAFF):
        async with state.db.session(platform=True) as session:
            staff = await console_service.current(session, request.cookies.get(SESSION_COOKIE))
            if staff is None:
                raise Redirect("/console/sign-in")
            if SCOPE not in staff.principal.scopes:
                raise RoleForbids(
                    f"Your role ({ROLE_NAMES.get(staff.role, staff.role)}) does not read the indicators: "
                    "the analyst role does."
                )
            yield InsightsPage(request, session, "", base=STAFF, staff=staff)
        return
    if not state.settings.indicators_public:
        query = f"?{request.url.query}" if request.url.query else ""
        raise Redirect(STAFF + quote(path[len(PUBLIC) :]) + query)
    address = request.client.host if request.client else "-"
    await state.limiter.hit(state.settings.rate_limit, f"open-insights:{address}")
    async with state.db.session() as session:
        yield InsightsPage(request, session, "")


page_of = Depends(opened, scope="function")


async def overview(
    page: InsightsPage = page_of,
    level: str | None = None,
    period: str | None = None,
    sort: str | None = None,
    order: str | None = None,
):
    """The place overview: every area of a level × the ten indicators for a period."""
    chosen_level = views.level_of(level)
    status = await views.status(page.session, period)
    settings = page.request.app.state.settings
    table = await views.overview(page.session, settings, chosen_level, status["period"], sort, order)
    return page.render(
        "overview.html",
        level=chosen_level,
        pub=status,
        table=table,
        sort=sort if sort in BY_CODE else None,
        order=order or ("desc" if sort in BY_CODE else "asc"),
    )


async def area_page(code: str, page: InsightsPage = page_of, period: str | None = None):
    """An area: its community DNA, each indicator's last 13 months, and the counts behind them."""
    status = await views.status(page.session, period)
    settings = page.request.app.state.settings
    found = await views.area(page.session, settings, code, status["period"])
    values = found["values"]
    radar = charts.radar_svg(values, inline=True, id_prefix="dna")
    small = {
        i.code: charts.series_svg(
            found["series"][i.code]["points"],
            found["series"][i.code]["median"],
            title=f"{i.name}, {found['months'][0]} to {found['months'][-1]}",
            unit=i.unit,
            id_prefix=f"series-{i.code.replace('_', '-')}",
        )
        for i in CATALOGUE
    }
    return page.render("area.html", values=values, pub=status, radar=radar, small=small)


async def indicator_page(
    code: str, page: InsightsPage = page_of, level: str | None = None, period: str | None = None
):
    """An indicator: what it means, how it is counted and protected, and every area ranked."""
    if code not in BY_CODE:
        raise views.NothingPublished(f"No indicator {code!r}: the ten are listed on {page.base}.")
    chosen_level = views.level_of(level)
    status = await views.status(page.session, period)
    settings = page.request.app.state.settings
    found = await views.indicator(page.session, settings, code, chosen_level, status["period"])
    item = BY_CODE[code]
    chart = charts.ranked_svg(
        found["rows"],
        title=f"{item.name}: {views.LEVELS[chosen_level].lower()} ranked, {status['period']}",
        unit=item.unit,
        id_prefix="ranked",
    )
    return page.render(
        "indicator.html",
        item=item,
        parts=HEADLINE_PARTS[code],
        rules=[*COMMON_RULES, *([INDICATOR_RULES[code]] if code in INDICATOR_RULES else [])],
        limits=publication.thresholds(settings)[code],
        level=chosen_level,
        pub=status,
        rows=found["rows"],
        measure=found["measure"],
        chart=chart,
    )


async def download(level: str, fmt: str, page: InsightsPage = page_of, period: str | None = None):
    """Every area × indicator × published period of a level, tidy, as CSV or JSON."""
    chosen = views.level_of(level)
    settings = page.request.app.state.settings
    values = await indicators.level_values(page.session, settings, chosen, [period] if period else None)
    name = f"kith-indicators-{chosen}" + (f"-{values['periods'][0]}" if period else "")  # the label, parsed
    if fmt == "json":
        body, media = LevelValues.model_validate(values).model_dump_json().encode(), "application/json"
    else:
        body, media = downloads.level_csv(values).encode(), "text/csv; charset=utf-8"
    response = Response(body, media_type=media)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return page.finish(response)


def _router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, include_in_schema=False)
    router.add_api_route("", overview, methods=["GET"])
    router.add_api_route("/areas/{code}", area_page, methods=["GET"])
    router.add_api_route("/indicators/{code}", indicator_page, methods=["GET"])
    router.add_api_route("/download/{level}.csv", _format(download, "csv"), methods=["GET"])
    router.add_api_route("/download/{level}.json", _format(download, "json"), methods=["GET"])
    return router


def _format(handler: Any, fmt: str) -> Any:
    async def formatted(level: str, page: InsightsPage = page_of, period: str | None = None):
        return await handler(level, fmt, page, period)

    formatted.__doc__ = handler.__doc__
    return formatted


def error_page(request: Request, exc: AppError) -> Response:
    """An AppError on an insights page, as a page rather than problem+json."""
    response = TEMPLATES.TemplateResponse(
        request,
        "error.html",
        {"title": exc.title, "detail": exc.detail, "base": PUBLIC, "staff": None},
        status_code=exc.status,
    )
    response.headers.update(exc.headers)
    return response


def install(app: FastAPI) -> None:
    """Mount the analysts' pages on the app, at /insights and /console/insights."""
    app.include_router(_router(PUBLIC))
    app.include_router(_router(STAFF))
    app.mount(
        "/insights/static", StaticFiles(directory=Path(__file__).parent / "static"), name="insights-static"
    )
