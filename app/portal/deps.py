"""What every portal page works with: its transaction, the resident's session, the CSRF token,
and rendering."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.core.errors import AppError
from app.db.session import resident_scope
from app.portal import forms, service
from app.portal.service import PortalSession

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters.update(display=forms.display, labels=forms.labels)
SESSION_COOKIE = "kith_session"
SIGNIN_COOKIE = "kith_signin"
VISITOR_COOKIE = "kith_visitor"


class Redirect(Exception):
    """Answer with a redirect to ``location`` (e.g. to sign in first)."""

    def __init__(self, location: str) -> None:
        self.location = location


class CsrfRefused(AppError):
    status, code, title = 403, "csrf_refused", "Form expired"


@dataclass
class Page:
    """One portal request: its transaction, the session (if signed in) and the form it posted."""

    request: Request
    session: AsyncSession
    portal: PortalSession | None
    csrf: str
    form: FormData | None = None
    cookies: dict[str, str | None] = field(default_factory=dict)  # to set (None: delete)

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        response = TEMPLATES.TemplateResponse(
            self.request,
            template,
            {"csrf": self.csrf, "signed_in": bool(self.portal and self.portal.person_id), **context},
            status_code=status,
        )
        return self.finish(response)

    def redirect(self, location: str) -> RedirectResponse:
        return self.finish(RedirectResponse(location, status_code=303))

    def finish(self, response: Response) -> Response:
        settings = self.request.app.state.settings
        for name, value in self.cookies.items():
            if value is None:
                response.delete_cookie(
                    name, path="/portal", secure=settings.portal_secure_cookies, httponly=True
                )
            else:
                response.set_cookie(
                    name,
                    value,
                    path="/portal",
                    secure=settings.portal_secure_cookies,
                    httponly=True,
                    samesite="lax",
                    max_age=int(settings.portal_session_hours * 3600) if name == SESSION_COOKIE else None,
                )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        return response

    def field(self, name: str) -> str:
        return str((self.form or {}).get(name) or "").strip()


async def transaction(request: Request) -> AsyncIterator[AsyncSession]:
    """The page's transaction: it opens in the platform scope to find the visitor's session (and,
    before sign-in, for the sign-in itself), and a signed-in resident's page then narrows it to
    that resident (:func:`resident`). Depend on it with ``scope="function"``, so that it commits before the response leaves: the
    browser's next request (after a redirect) must see what this one wrote."""
    async with request.app.state.db.session(platform=True) as session:
        yield session


def _csrf_token(request: Request, bound_to: str) -> str:
    secret = request.app.state.signing_key.derive("portal-csrf")
    return hmac.new(secret, bound_to.encode(), hashlib.sha256).hexdigest()


async def visitor(request: Request, session: AsyncSession = Depends(transaction, scope="function")) -> Page:
    """Anyone on a portal page. Every POST must carry the CSRF token of this visitor's session (or,
    before sign-in, of their visitor cookie): a form posted from another site is refused."""
    portal = await service.current(session, request.cookies.get(SESSION_COOKIE))
    cookies: dict[str, str | None] = {}
    if portal is not None:
        bound = f"session:{portal.id}"
    else:
        if request.cookies.get(SESSION_COOKIE):
            cookies[SESSION_COOKIE] = None  # expired or ended: forget it
        anonymous = request.cookies.get(VISITOR_COOKIE)
        if not anonymous:
            anonymous = secrets.token_urlsafe(16)
            cookies[VISITOR_COOKIE] = anonymous
        bound = f"visitor:{anonymous}"
    page = Page(request, session, portal, _csrf_token(request, bound), cookies=cookies)
    if request.method == "POST":
        page.form = await request.form()
        sent = str(page.form.get("csrf_token") or "")
        if not hmac.compare_digest(sent, page.csrf):
            raise CsrfRefused(
                "This form has expired or did not come from this site. Go back, reload the page and try again."
            )
    return page


async def resident(page: Page = Depends(visitor)) -> Page:
    """A signed-in resident, whose page from here on runs in their own scope: row-level security
    shows it only their rows (``resident_scope``). Others are sent to sign in (or to finish
    registering)."""
    if page.portal is None:
        raise Redirect("/portal/sign-in")
    if page.portal.person_id is None:
        raise Redirect(
            "/portal/choose"
            if await service.people_to_choose(page.session, page.portal)
            else "/portal/register"
        )
    await resident_scope(page.session, page.portal.person_id)
    return page


async def proven_email(page: Page = Depends(visitor)) -> Page:
    """Someone who proved their email address but is not yet signed in as a person."""
    if page.portal is None:
        raise Redirect("/portal/sign-in")
    if page.portal.person_id is not None:
        raise Redirect("/portal")
    return page
