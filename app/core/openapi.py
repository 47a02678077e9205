"""The OpenAPI document as the service answers it: every error an operation can return is
documented, as ``application/problem+json`` (RFC 9457) with its schema, beside what FastAPI
derives from the routes.

FastAPI documents a 422 as ``application/json`` of its own ``HTTPValidationError`` and no other
error; the service answers every error as problem+json (``core/errors.py``), and client generators
build on this file. The errors an operation can meet follow from its shape, so they are added here
in one place rather than on each route: a route may still document a status itself (its
description is kept, the content becomes the problem's).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.core.errors import PROBLEM_CONTENT_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
OAUTH_ERROR_REF = {"$ref": "#/components/schemas/OAuthError"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem: what went wrong, for a program (`code`) and for a person (`detail`).",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong with this request"},
        "code": {
            "type": "string",
            "description": "The kind of problem, for programs (e.g. validation_error)",
        },
        "instance": {"type": "string", "description": "The request's path"},
        "errors": {
            "type": "array",
            "description": "Each invalid part of the request",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "in": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                    "index": {"type": "integer"},
                },
            },
        },
    },
}

OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "title": "OAuthError",
    "description": "An RFC 6749 §5.2 error response.",
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}

_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "string"}}
}

# Status -> (description, headers), for the problems an operation of a given shape can meet.
_DESCRIPTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "400": ("Malformed request (a body that does not parse, a cursor this API did not issue)", {}),
    "401": ("Missing, invalid or expired token, or a disabled client", {}),
    "403": ("The token lacks the scope, or the person has not granted what the read needs", {}),
    "404": ("No such object visible to the caller", {}),
    "409": ("Conflicts with the current state (a replayed id with other content, a state change)", {}),
    "413": ("Request body too large", {}),
    "415": ("Unsupported content type", {}),
    "422": ("The request is not valid: each invalid field is named", {}),
    "429": ("Too many requests", _RETRY_AFTER),
    "503": ("The database cannot be reached; try again", _RETRY_AFTER),
}
_WRITES = {"post", "put", "patch", "delete"}


def _problems(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses an operation of this shape can answer."""
    statuses = {"503"}
    if operation.get("security"):
        statuses |= {"401", "403", "429"}
    if "{" in path or any(
        p.get("required") and p.get("schema", {}).get("format") == "uuid"
        for p in operation.get("parameters", [])
    ):
        statuses.add("404")  # an id in the path, or one a query names
    if operation.get("parameters") or operation.get("requestBody"):
        statuses |= {"400", "422"}
    if operation.get("requestBody"):
        statuses |= {"413", "415"}
    if method in _WRITES:
        statuses |= {"404", "409"}
    return sorted(statuses)


def _document_errors(path: str, method: str, operation: dict[str, Any], schema: dict[str, Any]) -> None:
    """The problems the operation's shape can meet, and any error status its route names without
    a body, as problem+json; an error a route documents with its own body is left as it is."""
    responses = operation.setdefault("responses", {})
    named = {s for s, r in responses.items() if s[0] in "45" and "content" not in r}
    fastapis = {"422"} if responses.get("422", {}).get("description") == "Validation Error" else set()
    for status in sorted(set(_problems(path, method, operation)) | named | fastapis):
        description, headers = _DESCRIPTIONS.get(status, ("", {}))
        response = responses.setdefault(status, {"description": description})
        if "content" in response and status not in fastapis:
            continue
        if status in fastapis:
            response["description"] = description
        response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": schema}}
        if headers:
            response["headers"] = headers


def _document_token_endpoint(operation: dict[str, Any]) -> None:
    """The token endpoint answers RFC 6749's errors, not problems (its clients are OAuth libraries)."""
    responses = operation.setdefault("responses", {})
    for status, description in (
        ("400", "invalid_request, unsupported_grant_type, invalid_scope"),
        ("401", "invalid_client: unknown client, wrong secret or disabled client (one answer for each)"),
    ):
        responses[status] = {
            "description": description,
            "content": {"application/json": {"schema": OAUTH_ERROR_REF}},
        }
    for status in ("413", "415", "429", "503"):
        description, headers = _DESCRIPTIONS[status]
        responses[status] = {
            "description": description,
            "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}},
        }
        if headers:
            responses[status]["headers"] = headers


def document(app: FastAPI) -> dict[str, Any]:
    """``app.openapi``: FastAPI's document, once, with every operation's errors documented."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["OAuthError"] = OAUTH_ERROR_SCHEMA
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if path == "/oauth/token":
                _document_token_endpoint(operation)
            else:
                _document_errors(path, method, operation, PROBLEM_REF)
    # Nothing refers to FastAPI's own validation error shapes any more.
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    app.openapi_schema = spec
    return spec


def install(app: FastAPI) -> None:
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
