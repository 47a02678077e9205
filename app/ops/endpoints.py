"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from app.core.errors import Forbidden
from app.ops import service

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/healthz", operation_id="getHealth")
async def healthz():
    """Liveness: the process is serving requests."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="getReadiness",
    responses={503: {"description": "Not ready: the database cannot be reached or is not migrated"}},
)
async def readyz(request: Request):
    """Readiness: the database answers and its schema is at the latest migration."""
    head = request.app.state.head_revision
    try:
        current = await service.migration_state(request.app.state.db.engine)
    except Exception as exc:  # any failure to reach the database means not ready
        log.warning("readiness check failed: %s", type(exc).__name__)
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
    if current != head:
        return JSONResponse(
            {"status": "unavailable", "database": "ok", "migration": current, "expected": head}, 503
        )
    return {"status": "ok", "database": "ok", "migration": current}


def may_scrape(request: Request) -> bool:
    """Metrics name routes, volumes and failures: only the scrapers the deployment names see them,
    by address (KITH_METRICS_ALLOW) or by bearer token (KITH_METRICS_TOKEN)."""
    settings = request.app.state.settings
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if token and hmac.compare_digest(request.headers.get("authorization", ""), f"Bearer {token}"):
        return True
    peer = request.client.host if request.client else None
    try:
        address = ipaddress.ip_address(peer) if peer else None
    except ValueError:
        return False
    networks = (n.strip() for n in settings.metrics_allow.split(",") if n.strip())
    return address is not None and any(address in ipaddress.ip_network(n, strict=False) for n in networks)


@router.get(
    "/metrics",
    operation_id="getMetrics",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "The Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        403: {"description": "Not a scraper this deployment names"},
    },
)
async def metrics(request: Request):
    """Prometheus metrics (aggregated across worker processes when there are several); only for
    the addresses in KITH_METRICS_ALLOW or a bearer of KITH_METRICS_TOKEN."""
    if not may_scrape(request):
        raise Forbidden(
            "Metrics are for the scrapers this deployment names (KITH_METRICS_ALLOW, KITH_METRICS_TOKEN)."
        )
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
