"""ASGI middleware: request ids, structured request logs, Prometheus metrics, body limits and
content types. Plain ASGI (not BaseHTTPMiddleware) to keep the hot path cheap."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from urllib.parse import parse_qsl

import orjson
from prometheus_client import Counter, Histogram

from app.core.errors import PROBLEM_CONTENT_TYPE, PayloadTooLarge, problem_body
from app.core.logging import request_id_var
from app.core.schemas import NUL_MESSAGE

log = logging.getLogger("kith.http")

REQUESTS = Counter("kith_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "kith_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_WRITE_METHODS = {b"POST", b"PUT", b"PATCH"}


async def send_problem(send, status: int, code: str, title: str, detail: str, headers=()) -> None:
    body = orjson.dumps(problem_body(status, code, title, detail))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def route_template(scope) -> str:
    """The matched route's path template (``/v1/admin/organisations/{org_id}``), so metrics are
    labelled by route, not by every distinct URL."""
    # FastAPI keeps included routers nested; the effective context holds the full template.
    effective = (scope.get("fastapi") or {}).get("effective_route_context")
    return getattr(effective, "path", None) or getattr(scope.get("route"), "path", None) or "unmatched"


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-ID`` in and out), logs it as one JSON line and counts
    it in the metrics by route template. A query parameter holding the NUL character (``%00``) is
    refused here, naming it: no text PostgreSQL stores may hold one (bodies: app/core/schemas.py)."""

    def __init__(
        self, app, unavailable: Callable[[BaseException], bool] = lambda exc: False, hsts: bool = False
    ) -> None:
        self.app = app
        self.unavailable = unavailable  # whether an error means the database cannot be reached
        # On every response: no content sniffing; outside development, HTTPS only from here on.
        self.security_headers = [(b"x-content-type-options", b"nosniff")]
        if hsts:
            self.security_headers.append(
                (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
            )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_holder = [500]
        started_response = False

        async def send_with_id(message) -> None:
            nonlocal started_response
            if message["type"] == "http.response.start":
                started_response = True
                status_holder[0] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    *self.security_headers,
                ]
            await send(message)

        try:
            query = scope.get("query_string", b"")
            holding_nul = _holding_nul(query) if b"%00" in query else None
            if holding_nul:
                await _refuse_nul(holding_nul, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if self.unavailable(exc) and not started_response:
                # Not a bug: the database is down or restarting. Tell the client when to try again.
                log.warning("database unavailable: %r", exc, extra={"path": scope["path"]})
                status_holder[0] = 503
                await send_problem(
                    send,
                    503,
                    "database_unavailable",
                    "Service unavailable",
                    "Kith cannot reach its database just now; nothing was changed. Try again shortly.",
                    headers=[
                        (b"retry-after", b"5"),
                        (b"x-request-id", request_id.encode()),
                        *self.security_headers,
                    ],
                )
                return
            # A bug: log it with the request id, answer 500 without internals.
            log.exception("unhandled error", extra={"path": scope["path"]})
            if started_response:
                raise
            status_holder[0] = 500
            await send_problem(
                send,
                500,
                "internal_error",
                "Internal server error",
                "Something went wrong on our side; quote the X-Request-ID header when reporting it.",
                headers=[(b"x-request-id", request_id.encode()), *self.security_headers],
            )
        finally:
            elapsed = time.perf_counter() - started
            template = route_template(scope)
            method = scope["method"]
            REQUESTS.labels(method, template, str(status_holder[0])).inc()
            LATENCY.labels(method, template).observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "route": template,
                        "status": status_holder[0],
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)


def _holding_nul(query: bytes) -> list[str]:
    """The query parameters whose name or value holds NUL once decoded."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return sorted({name.replace("\x00", "\\u0000") for name, value in pairs if "\x00" in name + value})


async def _refuse_nul(names: list[str], send) -> None:
    """422, as a validation error of FastAPI's would name them, for query parameters holding NUL."""
    errors = [{"field": n, "in": "query", "message": NUL_MESSAGE, "type": "value_error"} for n in names]
    body = orjson.dumps(
        problem_body(
            422,
            "validation_error",
            "The request is not valid",
            f"Invalid or missing: {', '.join(names)}.",
            errors,
        )
    )
    headers = [(b"content-type", PROBLEM_CONTENT_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuses bodies over the limit (413) before or while they are read, and write requests to the
    API whose body is not JSON (415). Batch endpoints take a larger limit and NDJSON."""

    def __init__(self, app, max_body: int, max_batch_body: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_batch_body = max_batch_body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"].encode() not in _WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_batch = path.endswith("/batch") or path == "/console/import"  # a case system's file
        limit = self.max_batch_body if is_batch else self.max_body
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await send_problem(send, 400, "bad_request", "Bad request", "Content-Length is not a number.")
                return
            if declared > limit:
                await send_problem(
                    send,
                    413,
                    "payload_too_large",
                    "Request body too large",
                    f"The body is {declared} bytes; this endpoint accepts at most {limit}.",
                )
                return
        if path.startswith("/v1/") and (length is None or length != b"0"):
            media_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            allowed = (b"application/json", b"application/x-ndjson") if is_batch else (b"application/json",)
            if media_type not in allowed:
                shown = media_type.decode("latin-1") or "none"
                await send_problem(
                    send,
                    415,
                    "unsupported_media_type",
                    "Unsupported media type",
                    f"Content-Type {shown} is not accepted here; send {' or '.join(a.decode() for a in allowed)}.",
                )
                return

        received = 0
        exceeded = False
        answered = False
        too_large = f"The body is larger than this endpoint's limit of {limit} bytes."

        async def limited_receive():
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise PayloadTooLarge(too_large)
            return message

        async def guarded_send(message) -> None:
            # The framework turns errors while reading a body into its own 400; once the limit is
            # exceeded, that response is replaced by the 413 that says what happened.
            nonlocal answered
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.body" and not message.get("more_body") and not answered:
                answered = True
                await send_problem(send, 413, "payload_too_large", "Request body too large", too_large)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except PayloadTooLarge:
            if not answered:
                answered = True
                await send_problem(send, 413, "payload_too_large", "Request body too large", too_large)
