"""Indicators over HTTP: the catalogue, values (JSON and CSV, one area or a whole level), series,
the radar chart, areas.

Every figure here has passed disclosure control, so a deployment may publish them like open
statistics: with ``KITH_INDICATORS_PUBLIC=true`` these reads need no token and answer any origin
(CORS); otherwise a token with ``indicators:read``. Nothing here is about a person.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.responses import Response
from fastapi.routing import APIRoute

from app.auth.deps import Context, authenticate, bearer_token
from app.core.pagination import PageRequest, page_request
from app.indicators import charts, downloads, service
from app.indicators.schemas import AreaPage, IndicatorCatalogue, IndicatorSeries, IndicatorValues, LevelValues

SCOPE = "indicators:read"


class OpenReadRoute(APIRoute):
    """A read that, when the indicators are public, any web page may make (CORS, no credentials)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def open_handler(request: Request) -> Response:
            response = await handler(request)
            if request.app.state.settings.indicators_public:
                response.headers["Access-Control-Allow-Origin"] = "*"
                response.headers["Vary"] = "Authorization"
            return response

        return open_handler


router = APIRouter(tags=["indicators"], route_class=OpenReadRoute)

AREA = Query(description="Area code (ward, LSOA or MSOA), from GET /v1/areas")
PERIOD = Query(description="A complete period: YYYY-MM, YYYY-Qn or YYYY")


async def _reader(
    request: Request, token: str | None = Security(bearer_token, scopes=[SCOPE])
) -> AsyncIterator[Context]:
    """The caller: anyone when the indicators are public and no token is given (limited per
    address); else a token holding indicators:read."""
    state = request.app.state
    if token is None and state.settings.indicators_public:
        address = request.client.host if request.client else "-"
        await state.limiter.hit(state.settings.rate_limit, f"open-indicators:{address}")
        async with state.db.session() as session:
            yield Context(None, session)  # type: ignore[arg-type]
        return
    principal = await authenticate(request, token, [SCOPE])
    async with state.db.session(
        org_id=principal.org_id, platform=principal.platform, client_id=principal.client_id
    ) as session:
        yield Context(principal, session)


reader = Depends(_reader, scope="function")


@router.get("/indicators", response_model=IndicatorCatalogue, operation_id="listIndicators")
async def list_indicators(request: Request, ctx: Context = reader):
    """The ten community indicators: definitions, units and RAG thresholds."""
    return {"items": service.catalogue(request.app.state.settings)}


@router.get(
    "/indicators/values",
    response_model=IndicatorValues | LevelValues,
    operation_id="getIndicatorValues",
)
async def get_values(
    request: Request,
    area: str | None = Query(None, description="Area code (ward, LSOA or MSOA), from GET /v1/areas"),
    period: str | None = Query(None, description="A complete period: YYYY-MM, YYYY-Qn or YYYY"),
    level: str | None = Query(
        None, description="ward, lsoa or msoa: every area of the level instead of one (tidy rows)"
    ),
    ctx: Context = reader,
):
    """The ten indicators for an area and period (with the previous period), or — with ``level`` —
    for every area of a level and every published period (or the one named), one row per area,
    period and measure; all as published."""
    settings = request.app.state.settings
    if level is not None:
        return await service.level_values(ctx.session, settings, level, [period] if period else None)
    return await service.values(
        ctx.session,
        ctx.principal,
        settings,
        service.required("area", area),
        service.required("period", period),
    )


@router.get(
    "/indicators/values.csv",
    operation_id="getIndicatorValuesCsv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per measure"}},
)
async def get_values_csv(
    request: Request,
    area: str | None = Query(None, description="Area code (ward, LSOA or MSOA), from GET /v1/areas"),
    period: str | None = Query(None, description="A complete period: YYYY-MM, YYYY-Qn or YYYY"),
    level: str | None = Query(None, description="ward, lsoa or msoa: every area of the level (tidy rows)"),
    ctx: Context = reader,
):
    """The same values as CSV, one row per measure (headline and components)."""
    settings = request.app.state.settings
    if level is not None:
        values = await service.level_values(ctx.session, settings, level, [period] if period else None)
        return Response(
            downloads.level_csv(values),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="indicators-{level}.csv"'},
        )
    values = await service.values(
        ctx.session,
        ctx.principal,
        settings,
        service.required("area", area),
        service.required("period", period),
    )
    return Response(
        charts.values_csv(values),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="indicators-{values["area"]["code"]}-{values["period"]}.csv"'
        },
    )


@router.get("/indicators/series", response_model=IndicatorSeries, operation_id="getIndicatorSeries")
async def get_series(
    request: Request,
    area: str = AREA,
    code: str = Query(description="Indicator code, from GET /v1/indicators"),
    from_: str = Query(alias="from", description="First period (YYYY-MM, YYYY-Qn or YYYY)"),
    to: str = Query(description="Last period, of the same kind"),
    ctx: Context = reader,
):
    """One indicator's headline value over consecutive periods."""
    return await service.series(ctx.session, ctx.principal, request.app.state.settings, area, code, from_, to)


@router.get(
    "/indicators/dna.svg",
    operation_id="getIndicatorRadar",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The radar chart"}},
)
async def get_radar(request: Request, area: str = AREA, period: str = PERIOD, ctx: Context = reader):
    """A radar chart of the ten normalised indicators, this period against the last (SVG)."""
    values = await service.values(ctx.session, ctx.principal, request.app.state.settings, area, period)
    return Response(charts.radar_svg(values), media_type="image/svg+xml")


@router.get("/areas", response_model=AreaPage, operation_id="listAreas")
async def list_areas(
    level: str | None = Query(None, description="ward, lsoa or msoa"),
    page: PageRequest = Depends(page_request),
    ctx: Context = reader,
):
    """Areas from the postcode lookup, with their residents as published for the latest month."""
    return await service.list_areas(ctx.session, level, page)
