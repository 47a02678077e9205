"""What every portal page works with: its transaction, the resident's session, the CSRF token,
and rendering."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import resident_scope
from app.portal import forms, service
from app.portal.service import PortalSession
from app.web.pages import PageBase, Redirect, check_csrf, csrf_token, templates

TEMPLATES = templates(Path(__file__).parent / "templates")
TEMPLATES.env.filters.update(labels=forms.labels)
TEMPLATES.env.globals.update(contact_kinds=forms.CONTACT_KINDS)
SESSION_COOKIE = "kith_session"
SIGNIN_COOKIE = "kith_signin"
VISITOR_COOKIE = "kith_visitor"


@dataclass
class Page(PageBase):
    """One portal request: its transaction, the session (if signed in) and the form it posted."""

    portal: PortalSession | None = None

    TEMPLATES = TEMPLATES
    COOKIE_PATH = "/portal"
    SESSION_COOKIE = SESSION_COOKIE

    def context(self) -> dict[str, Any]:
        return {"csrf": self.csrf, "signed_in": bool(self.portal and self.portal.person_id)}

    def session_seconds(self) -> int:
        return int(self.request.app.state.settings.portal_session_hours * 3600)


async def transaction(request: Request) -> AsyncIterator[AsyncSession]:
    """The page's transaction: it opens in the platform scope to find the visitor's session (and,
    before sign-in, for the sign-in itself), and a signed-in resident's page then narrows it to
    that resident (:func:`resident`). Depend on it with ``scope="function"``, so that it commits before the response leaves: the
    browser's next request (after a redirect) must see what this one wrote."""
    async with request.app.state.db.session(platform=True) as session:
        yield session


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
    page = Page(request, session, csrf_token(request, "portal-csrf", bound), cookies=cookies, portal=portal)
    await check_csrf(page)
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
