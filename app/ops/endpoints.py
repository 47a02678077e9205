"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import logging
import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from app.ops import service

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/healthz", operation_id="getHealth")
async def healthz():
    """Liveness: the process is serving requests."""
    return {"status": "ok"}


@router.get("/readyz", operation_id="getReadiness")
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


@router.get("/metrics", operation_id="getMetrics")
async def metrics():
    """Prometheus metrics (aggregated across worker processes when there are several)."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
