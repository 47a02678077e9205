"""FastAPI dependencies: the bearer token, the scope each route names, and the request's
transaction under the caller's organisation context."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Depends, Header, Request, Response, Security
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.routing import APIRoute
from fastapi.security import OAuth2, SecurityScopes
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import SCOPES, Principal
from app.core.errors import Forbidden, Unauthorized
from app.db import idempotency
from app.db.session import Database


class _BearerToken(OAuth2):
    """Reads ``Authorization: Bearer …``; documents the client-credentials flow in OpenAPI."""

    def __init__(self) -> None:
        super().__init__(
            flows=OAuthFlows(
                clientCredentials=OAuthFlowClientCredentials(tokenUrl="/oauth/token", scopes=SCOPES)
            ),
            scheme_name="oauth2",
            auto_error=False,
        )

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("The Authorization header must be 'Bearer <access token>'.")
        return token.strip()


bearer_token = _BearerToken()


async def authenticated(
    request: Request, security_scopes: SecurityScopes, token: str | None = Depends(bearer_token)
) -> Principal:
    """The caller, once its token is valid, it holds every scope the route names, and it is within
    its rate limit."""
    return await authenticate(request, token, security_scopes.scopes)


async def authenticate(request: Request, token: str | None, scopes: Sequence[str]) -> Principal:
    """:func:`authenticated`'s work, for callers outside FastAPI's dependencies."""
    if token is None:
        raise Unauthorized("An access token is required: get one from POST /oauth/token.")
    state = request.app.state
    principal = state.verifier.verify(token)
    missing = [s for s in scopes if s not in principal.scopes]
    if missing:
        raise InsufficientScope(missing)
    await state.limiter.hit(state.settings.rate_limit, f"client:{principal.client_id}")
    request.state.principal = principal
    if "admin" in scopes:
        principal = principal.as_platform()
    return principal


class InsufficientScope(Forbidden):
    code, title = "insufficient_scope", "Insufficient scope"

    def __init__(self, missing: list[str]) -> None:
        scope = " ".join(missing)
        super().__init__(
            f"This endpoint needs the scope '{scope}', which the access token does not carry.",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
        )


@dataclass
class Context:
    """What an endpoint works with: the caller and its transaction (and, on an idempotent route,
    the Idempotency-Key the request holds)."""

    principal: Principal
    session: AsyncSession
    idempotency: idempotency.Claim | None = None

    def respond(self, content: BaseModel | Any, status_code: int = 200) -> Response:
        """A JSON response of ``content`` (a model, or JSON-ready data); on an idempotent route,
        also the response kept for the request's key."""
        if isinstance(content, BaseModel):
            content = content.model_dump(mode="json")
        body = orjson.dumps(content)
        if self.idempotency is not None:
            self.idempotency.answer(status_code, body)
        return Response(body, status_code=status_code, media_type="application/json")


_IDEMPOTENCY_KEY = Header(
    None,
    alias=idempotency.HEADER,
    pattern=idempotency.KEY_PATTERN,
    description="Any unique value of 1 to 255 printable characters (a UUID, say): a retry with the same "
    "key and the same body is answered the first response again (with Idempotent-Replayed: true) "
    "instead of being done twice; the same key with another body is a 409. Keys are the client's own "
    "and kept for 24 hours.",
)


def tenant(scope: str | None, *, idempotent: bool = False) -> Any:
    """Depend on this in every /v1 route: ``ctx: Context = tenant("people:read")``. It authenticates
    the caller, checks ``scope`` (None: any valid token), and opens the transaction under the
    caller's organisation (committed when the route returns, before the response is sent; rolled
    back when it raises) — which is also where a disabled client is refused.

    ``idempotent``: the route takes an ``Idempotency-Key`` header (app/db/idempotency.py) and must
    answer with :meth:`Context.respond`, whose response is kept for the key in the transaction."""
    scopes = [scope] if scope else []

    async def context(
        request: Request, principal: Principal = Security(authenticated, scopes=scopes)
    ) -> AsyncIterator[Context]:
        async with request.app.state.db.session(
            org_id=principal.org_id, platform=principal.platform, client_id=principal.client_id
        ) as session:
            yield Context(principal, session)

    async def idempotent_context(
        request: Request,
        principal: Principal = Security(authenticated, scopes=scopes),
        key: str | None = _IDEMPOTENCY_KEY,
    ) -> AsyncIterator[Context]:
        async with request.app.state.db.session(
            org_id=principal.org_id, platform=principal.platform, client_id=principal.client_id
        ) as session:
            held = None
            if key is not None:
                fingerprint = idempotency.fingerprint(request.method, request.url.path, await request.body())
                held = await idempotency.claim(
                    session, principal.org_id, principal.client_id, key, fingerprint
                )
            yield Context(principal, session, held)
            if held is not None:
                await idempotency.keep(session, held)

    return Depends(idempotent_context if idempotent else context, scope="function")


@dataclass
class DirectContext:
    """What a route whose whole work is one self-contained statement works with (see
    ``Database.direct``): the caller and the database, and no session."""

    principal: Principal
    db: Database


def direct(scope: str) -> Any:
    """Like :func:`tenant`, for such routes: ``ctx: DirectContext = direct("ledger:write")``. On a
    :class:`DirectRoute` it marks the parameter and documents the security scheme and scope (the
    route's handler authenticates itself); on any other route it works as an ordinary dependency.
    The statement itself opens the organisation context and checks that the client is still
    enabled, as a session would."""

    async def context(
        request: Request, principal: Principal = Security(authenticated, scopes=[scope])
    ) -> DirectContext:
        return DirectContext(principal, request.app.state.db)

    context.direct_scope = scope  # type: ignore[attr-defined]
    return Depends(context)


class DirectRoute(APIRoute):
    """The route class (``APIRouter(route_class=DirectRoute)``) of hot endpoints of one shape: UUID
    path parameters, query parameters, at most one JSON body model and a ``direct(scope)``
    context. Declared, documented and answered like any route — the same validation errors and
    problems — but its handler resolves those itself: FastAPI's dependency machinery cost more per
    request than the ledger's whole database statement (py-spy profiles of the ledger bench).
    Query parameters are validated by FastAPI's own function for them (``request_params_to_args``,
    as its dependency machinery does), so their errors are FastAPI's too. Other dependencies may
    be plain functions of query parameters only (``page: PageRequest = Depends(page_request)``):
    their parameters are validated the same way and the function called with them."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint
        (context,) = [d for d in self.dependant.dependencies if hasattr(d.call, "direct_scope")]
        scopes = [context.call.direct_scope]
        body = (self.body_field.name, self.body_field.field_info.annotation) if self.body_field else None
        path_names = [p.name for p in self.dependant.path_params]
        query_fields = self.dependant.query_params
        query_dependencies = [_query_dependency(d) for d in self.dependant.dependencies if d is not context]

        async def handler(request: Request) -> Response:
            principal = await authenticate(request, await bearer_token(request), scopes)
            arguments: dict[str, Any] = {context.name: DirectContext(principal, request.app.state.db)}
            errors = _path_ids(request, path_names, arguments)
            if query_fields:
                values, query_errors = request_params_to_args(query_fields, request.query_params)
                arguments.update(values)
                errors += query_errors
            for name, call, fields in query_dependencies:
                values, query_errors = request_params_to_args(fields, request.query_params)
                errors += query_errors
                if not query_errors:
                    arguments[name] = call(**values)
            if body is not None:
                errors += await _json_body(request, *body, arguments)
            if errors:
                raise RequestValidationError(errors)
            return await endpoint(**arguments)

        return handler


def _query_dependency(dependant: Any) -> tuple[str, Callable[..., Any], list[Any]]:
    """A DirectRoute's dependency other than its context: a plain function of query parameters."""
    if (
        dependant.dependencies
        or dependant.path_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or inspect.iscoroutinefunction(dependant.call)
        or inspect.isgeneratorfunction(dependant.call)
    ):
        raise TypeError(f"A DirectRoute's dependency {dependant.call!r} may take query parameters only")
    return dependant.name, dependant.call, dependant.query_params


def _path_ids(request: Request, names: list[str], into: dict[str, Any]) -> list[dict[str, Any]]:
    """The UUID path parameters, into ``into``; FastAPI's errors for those that are not UUIDs."""
    errors = []
    for name in names:
        raw = request.path_params[name]
        try:
            into[name] = uuid.UUID(raw)
        except ValueError:
            errors.append(
                {
                    "type": "uuid_parsing",
                    "loc": ("path", name),
                    "msg": "Input should be a valid UUID",
                    "input": raw,
                }
            )
    return errors


async def _json_body(request: Request, name: str, model: Any, into: dict[str, Any]) -> list[dict[str, Any]]:
    """The body validated as FastAPI validates it (parsed JSON, then the model with
    from_attributes), into ``into``; FastAPI's errors otherwise (malformed JSON raises at once)."""
    raw = await request.body()
    if not raw:
        return [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        error = {"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error", "input": {}}
        raise RequestValidationError([error]) from None
    try:
        into[name] = model.model_validate(data, from_attributes=True)
    except ValidationError as exc:
        return [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
    return []
