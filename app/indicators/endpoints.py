"""Indicators over HTTP: the catalogue, values (JSON and CSV), series, the radar chart, areas."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.auth.deps import Context, tenant
from app.core.pagination import PageRequest, page_request
from app.indicators import charts, service
from app.indicators.schemas import AreaPage, IndicatorCatalogue, IndicatorSeries, IndicatorValues

router = APIRouter(tags=["indicators"])

AREA = Query(description="Area code (ward, LSOA or MSOA), from GET /v1/areas")
PERIOD = Query(description="YYYY-MM, YYYY-Qn or YYYY")


@router.get("/indicators", response_model=IndicatorCatalogue, operation_id="listIndicators")
async def list_indicators(request: Request, ctx: Context = tenant("indicators:read")):
    """The ten community indicators: definitions, units and RAG thresholds."""
    return {"items": service.catalogue(request.app.state.settings)}


@router.get("/indicators/values", response_model=IndicatorValues, operation_id="getIndicatorValues")
async def get_values(
    request: Request, area: str = AREA, period: str = PERIOD, ctx: Context = tenant("indicators:read")
):
    """All ten indicators for an area and period, with the previous period, disclosure-controlled."""
    return await service.values(ctx.session, ctx.principal, request.app.state.settings, area, period)


@router.get(
    "/indicators/values.csv",
    operation_id="getIndicatorValuesCsv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per measure"}},
)
async def get_values_csv(
    request: Request, area: str = AREA, period: str = PERIOD, ctx: Context = tenant("indicators:read")
):
    """The same values as CSV, one row per measure (headline and components)."""
    values = await service.values(ctx.session, ctx.principal, request.app.state.settings, area, period)
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
    ctx: Context = tenant("indicators:read"),
):
    """One indicator's headline value over consecutive periods."""
    return await service.series(ctx.session, ctx.principal, request.app.state.settings, area, code, from_, to)


@router.get(
    "/indicators/dna.svg",
    operation_id="getIndicatorRadar",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The radar chart"}},
)
async def get_radar(
    request: Request, area: str = AREA, period: str = PERIOD, ctx: Context = tenant("indicators:read")
):
    """A radar chart of the ten normalised indicators, this period against the last (SVG)."""
    values = await service.values(ctx.session, ctx.principal, request.app.state.settings, area, period)
    return Response(charts.radar_svg(values), media_type="image/svg+xml")


@router.get("/areas", response_model=AreaPage, operation_id="listAreas")
async def list_areas(
    level: str | None = Query(None, description="ward, lsoa or msoa"),
    page: PageRequest = Depends(page_request),
    ctx: Context = tenant("indicators:read"),
):
    """Areas from the postcode lookup, with how many residents each counts (rounded)."""
    return await service.list_areas(ctx.session, level, page)
