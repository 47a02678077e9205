"""The ASGI application: create_app() wires settings, database, keys, middleware and routers."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api import v1
from app.auth.endpoints import router as auth_router
from app.auth.keys import SigningKey
from app.auth.ratelimit import RateLimiter
from app.auth.tokens import TokenIssuer, TokenVerifier
from app.console import endpoints as console
from app.core import apidocs, memory, openapi
from app.core.config import Settings, get_settings
from app.core.errors import PROBLEM_CONTENT_TYPE, AppError, problem_body
from app.core.logging import configure_logging
from app.core.middleware import BodyLimitMiddleware, RequestContextMiddleware
from app.core.periodic import Jobs
from app.db import idempotency, roles
from app.db.embedded import resolve_database
from app.db.migrate import head_revision
from app.db.session import Database, database_unavailable
from app.insights import endpoints as insights
from app.ledger import service as ledger_service
from app.ops.endpoints import router as ops_router
from app.organisations.endpoints import token as token_router
from app.portal import endpoints as portal
from app.worker import server_jobs

log = logging.getLogger("kith")

_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("invalid_token", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    413: ("payload_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("rate_limited", "Too many requests"),
}


def problem(status: int, body: dict, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_CONTENT_TYPE)


def _field(loc: tuple) -> str:
    parts = (
        [str(p) for p in loc[1:]]
        if loc and loc[0] in ("body", "query", "path", "header")
        else list(map(str, loc))
    )
    return ".".join(parts) or str(loc[0] if loc else "body")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError):
        if request.url.path.startswith("/portal"):
            return portal.error_page(request, exc)
        if request.url.path.startswith("/console/insights") or request.url.path.startswith("/insights"):
            return insights.error_page(request, exc)
        if request.url.path.startswith("/console"):
            return console.error_page(request, exc)
        headers = dict(exc.headers)
        if exc.status == 401:
            headers.setdefault(
                "WWW-Authenticate",
                f'Bearer realm="kith", error="invalid_token", error_description="{exc.detail}"',
            )
        return problem(exc.status, exc.problem(request.url.path), headers)

    @app.exception_handler(idempotency.Replayed)
    async def replayed(request: Request, exc: idempotency.Replayed):
        # A retry with the same Idempotency-Key and body: the first response, as it was sent.
        return Response(
            exc.body, exc.status, media_type="application/json", headers={"Idempotent-Replayed": "true"}
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        raw = exc.errors()
        if any(e.get("type") == "json_invalid" for e in raw):
            return problem(
                400,
                problem_body(
                    400,
                    "malformed_json",
                    "Malformed JSON",
                    "The request body is not valid JSON.",
                    instance=request.url.path,
                ),
            )
        errors = [
            {
                "field": _field(tuple(e.get("loc", ()))),
                "in": (e.get("loc") or ("body",))[0],
                "message": e.get("msg", "invalid"),
                "type": e.get("type"),
            }
            for e in raw
        ]
        names = ", ".join(sorted({e["field"] for e in errors}))
        return problem(
            422,
            problem_body(
                422,
                "validation_error",
                "The request is not valid",
                f"Invalid or missing: {names}.",
                errors,
                request.url.path,
            ),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code, title = _HTTP_CODES.get(exc.status_code, ("error", "Error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is no resource at {request.url.path}."
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
        return problem(
            exc.status_code,
            problem_body(exc.status_code, code, title, detail, instance=request.url.path),
            dict(exc.headers or {}),
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        urls = resolve_database(settings)
        db = Database.connect(await roles.service_url(urls.owner, settings), settings)
        key = SigningKey.load_or_create(
            settings.data_dir,
            settings.jwt_private_key.get_secret_value() if settings.jwt_private_key else None,
        )
        issuer_url = settings.public_url.rstrip("/")
        app.state.settings = settings
        app.state.db = db
        app.state.signing_key = key
        app.state.issuer = TokenIssuer(issuer_url, key, settings.access_token_ttl_seconds)
        app.state.verifier = TokenVerifier(issuer_url, key)
        app.state.limiter = RateLimiter(settings.rate_limit_storage)
        app.state.head_revision = head_revision()
        db.services.update(signing_key=key, limiter=app.state.limiter)
        if settings.ledger_lanes:
            requests = ledger_service.requests_coalescer(
                db, lanes=settings.ledger_lanes, most=settings.ledger_most_together
            )
            db.services[ledger_service.REQUESTS] = requests
        # The background jobs (app/worker.py), each on its own schedule in a task of its own.
        worker = Jobs(server_jobs(db, settings, key))
        worker.start()
        app.state.worker = worker
        # Everything made at start-up lives as long as the process; batches collect less often.
        memory.tune_for_batches()
        log.info("kith ready", extra={"embedded_database": urls.embedded})
        try:
            yield
        finally:
            await worker.stop()
            if settings.ledger_lanes:
                await requests.stop()
            await db.dispose()
            log.info("kith stopped")

    app = FastAPI(
        title="Kith",
        version="0.1.0",
        summary="The shared local CRM: one consented same-person profile per resident.",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc: apidocs.install, with their assets served from here, not a CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    app.include_router(v1)  # first: it carries the traffic (see app/api.py)
    app.include_router(token_router)
    app.include_router(auth_router)
    app.include_router(ops_router)
    portal.install(app, settings.env)
    console.install(app)
    insights.install(app)
    openapi.install(app)
    apidocs.install(app)
    app.add_middleware(
        BodyLimitMiddleware, max_body=settings.max_body_bytes, max_batch_body=settings.max_batch_body_bytes
    )
    app.add_middleware(RequestContextMiddleware, unavailable=database_unavailable, hsts=settings.env != "dev")
    return app
