"""FastAPI dependencies: the bearer token, the scope each route names, and the request's
transaction under the caller's organisation context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import SCOPES, Principal
from app.core.errors import Forbidden, Unauthorized
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
    if token is None:
        raise Unauthorized("An access token is required: get one from POST /oauth/token.")
    state = request.app.state
    principal = state.verifier.verify(token)
    missing = [s for s in security_scopes.scopes if s not in principal.scopes]
    if missing:
        raise InsufficientScope(missing)
    await state.limiter.hit(state.settings.rate_limit, f"client:{principal.client_id}")
    request.state.principal = principal
    if "admin" in security_scopes.scopes:
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
    """What an endpoint works with: the caller and its transaction."""

    principal: Principal
    session: AsyncSession


def tenant(scope: str) -> Any:
    """Depend on this in every /v1 route: ``ctx: Context = tenant("people:read")``. It authenticates
    the caller, checks ``scope``, and opens the transaction under the caller's organisation
    (committed when the route returns, before the response is sent; rolled back when it raises)."""

    async def context(
        request: Request, principal: Principal = Security(authenticated, scopes=[scope])
    ) -> AsyncIterator[Context]:
        async with request.app.state.db.session(
            org_id=principal.org_id, platform=principal.platform, client_id=principal.client_id
        ) as session:
            yield Context(principal, session)

    return Depends(context, scope="function")


@dataclass
class DirectContext:
    """What a route whose whole work is one self-contained statement works with (see
    ``Database.direct``): the caller and the database, and no session."""

    principal: Principal
    db: Database


def direct(scope: str) -> Any:
    """Like :func:`tenant`, for such routes: ``ctx: DirectContext = direct("ledger:write")``. The
    caller is authenticated and its scope checked here; the statement itself opens the
    organisation context (and checks that the client is still enabled), as a session would."""

    async def context(
        request: Request, principal: Principal = Security(authenticated, scopes=[scope])
    ) -> DirectContext:
        return DirectContext(principal, request.app.state.db)

    return Depends(context)
