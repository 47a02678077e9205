"""What every console page works with: the staff member's session (found in a platform
transaction, as sign-in comes before any organisation), the CSRF token, and the organisation's
transaction a page's work runs in, as the staff member."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent.catalogue import CATEGORIES, PURPOSES
from app.console import service
from app.console.service import StaffSession
from app.core.errors import Forbidden
from app.web.pages import PageBase, Redirect, check_csrf, csrf_token, templates

TEMPLATES = templates(Path(__file__).parent / "templates")
TEMPLATES.env.globals.update(purposes=PURPOSES, categories=CATEGORIES)
SESSION_COOKIE = "kith_console"
SIGNIN_COOKIE = "kith_console_signin"
VISITOR_COOKIE = "kith_console_visitor"
SSO_COOKIE = "kith_console_sso"  # the state of a single sign-on under way
ROLE_NAMES = {
    "viewer": "Viewer",
    "caseworker": "Caseworker",
    "org_admin": "Organisation admin",
    "analyst": "Analyst",
    "reviewer": "Platform reviewer",
}


class RoleForbids(Forbidden):
    code = "role_forbids"


@dataclass
class Page(PageBase):
    """One console request."""

    staff: StaffSession | None = None

    TEMPLATES = TEMPLATES
    COOKIE_PATH = "/console"
    SESSION_COOKIE = SESSION_COOKIE

    def context(self) -> dict[str, Any]:
        return {"csrf": self.csrf, "staff": self.staff, "role_names": ROLE_NAMES}

    def session_seconds(self) -> int:
        return int(self.request.app.state.settings.console_session_hours * 3600)

    @property
    def principal(self) -> Principal:
        assert self.staff is not None
        return self.staff.principal

    def may(self, scope: str) -> bool:
        return self.staff is not None and scope in self.principal.scopes

    def require(self, scope: str) -> None:
        """403 unless the staff member's role carries ``scope``."""
        if not self.may(scope):
            raise RoleForbids(
                f"Your role ({ROLE_NAMES.get(self.staff.role if self.staff else '', '')}) cannot do this."
            )

    @asynccontextmanager
    async def as_staff(self) -> AsyncIterator[AsyncSession]:
        """A transaction in the organisation's context as the staff member: row-level security shows
        it only the organisation's rows, and it opens only while they are enabled in their role."""
        async with self.request.app.state.db.session(
            org_id=self.principal.org_id, client_id=self.principal.client_id
        ) as session:
            yield session


async def count_sign_in_attempt(request: Request) -> None:
    """Count a sign-in attempt against the address's limit (429 beyond it)."""
    address = request.client.host if request.client else "-"
    await request.app.state.limiter.hit(request.app.state.settings.portal_address_limit, f"console:{address}")


async def transaction(request: Request) -> AsyncIterator[AsyncSession]:
    """The platform transaction a console request finds its session in (and signs in with). Depend
    on it with ``scope="function"``, so that it commits before the response leaves."""
    async with request.app.state.db.session(platform=True) as session:
        yield session


async def visitor(request: Request, session: AsyncSession = Depends(transaction, scope="function")) -> Page:
    """Anyone on a console page. Every POST must carry the CSRF token of the session (or, before
    sign-in, of the visitor cookie)."""
    staff = await service.current(session, request.cookies.get(SESSION_COOKIE))
    cookies: dict[str, str | None] = {}
    if staff is not None:
        bound = f"session:{staff.id}"
    else:
        if request.cookies.get(SESSION_COOKIE):
            cookies[SESSION_COOKIE] = None
        anonymous = request.cookies.get(VISITOR_COOKIE)
        if not anonymous:
            anonymous = secrets.token_urlsafe(16)
            cookies[VISITOR_COOKIE] = anonymous
        bound = f"visitor:{anonymous}"
    page = Page(request, session, csrf_token(request, "console-csrf", bound), cookies=cookies, staff=staff)
    await check_csrf(page)
    return page


async def signed_in(page: Page = Depends(visitor)) -> Page:
    """A signed-in staff member; others are sent to sign in."""
    if page.staff is None:
        raise Redirect("/console/sign-in")
    return page
