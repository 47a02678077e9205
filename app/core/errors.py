"""The AppError family and RFC 9457 problem+json rendering.

Every error that leaves the service is `application/problem+json` with `type`, `title`, `status`,
`detail` and, for validation failures, `errors` naming each field. Nothing else (no stack traces,
no SQL) is ever put in a response.
"""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://kith.example/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


class AppError(Exception):
    """A failure the client can act on; rendered as problem+json with this status and code."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        if title is not None:
            self.title = title
        self.errors = errors
        self.headers = headers or {}

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        return problem_body(self.status, self.code, self.title, self.detail, self.errors, instance)


class NotFound(AppError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"


class ValidationFailed(AppError):
    status, code, title = 422, "validation_error", "The request is not valid"


class Unauthorized(AppError):
    status, code, title = 401, "invalid_token", "Authentication required"


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Forbidden"


class RateLimited(AppError):
    status, code, title = 429, "rate_limited", "Too many requests"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Request body too large"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


def problem_body(
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    instance: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body
