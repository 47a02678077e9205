"""A server-rendered page: its request, transaction, CSRF token, the form it posted and the cookies
it sets, rendered with one set of security headers."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.core.errors import AppError
from app.web import formats

SHARED_TEMPLATES = Path(__file__).parent / "templates"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'"
)


def templates(directory: Path) -> Jinja2Templates:
    """Templates from ``directory``, which may import the shared macros (``macros.html``)."""
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(directory), jinja2.FileSystemLoader(SHARED_TEMPLATES)]
    )
    env = jinja2.Environment(loader=loader, autoescape=True)
    env.filters["display"] = formats.display
    return Jinja2Templates(env=env)


class Redirect(Exception):
    """Answer with a redirect to ``location`` (e.g. to sign in first)."""

    def __init__(self, location: str) -> None:
        self.location = location


class CsrfRefused(AppError):
    status, code, title = 403, "csrf_refused", "Form expired"


def csrf_token(request: Request, purpose: str, bound_to: str) -> str:
    """The CSRF token of a session (or visitor), keyed with the server's signing key."""
    secret = request.app.state.signing_key.derive(purpose)
    return hmac.new(secret, bound_to.encode(), hashlib.sha256).hexdigest()


async def check_csrf(page: PageBase) -> None:
    """Read a POST's form; refuse it unless it carries the page's CSRF token."""
    if page.request.method != "POST":
        return
    page.form = await page.request.form()
    sent = str(page.form.get("csrf_token") or "")
    if not hmac.compare_digest(sent, page.csrf):
        raise CsrfRefused(
            "This form has expired or did not come from this site. Go back, reload the page and try again."
        )


@dataclass
class PageBase:
    """One page request. Subclasses name their templates, their cookies' path and the session
    cookie's lifetime."""

    request: Request
    session: AsyncSession
    csrf: str
    form: FormData | None = None
    cookies: dict[str, str | None] = field(default_factory=dict)  # to set (None: delete)

    TEMPLATES: ClassVar[Any] = None
    COOKIE_PATH: ClassVar[str] = "/"
    SESSION_COOKIE: ClassVar[str] = ""

    def context(self) -> dict[str, Any]:
        return {"csrf": self.csrf}

    def session_seconds(self) -> int | None:
        return None

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        response = self.TEMPLATES.TemplateResponse(
            self.request, template, {**self.context(), **context}, status_code=status
        )
        return self.finish(response)

    def redirect(self, location: str) -> RedirectResponse:
        return self.finish(RedirectResponse(location, status_code=303))

    def finish(self, response: Response) -> Response:
        secure = self.request.app.state.settings.portal_secure_cookies
        for name, value in self.cookies.items():
            if value is None:
                response.delete_cookie(name, path=self.COOKIE_PATH, secure=secure, httponly=True)
            else:
                response.set_cookie(
                    name,
                    value,
                    path=self.COOKIE_PATH,
                    secure=secure,
                    httponly=True,
                    samesite="lax",
                    max_age=self.session_seconds() if name == self.SESSION_COOKIE else None,
                )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    def field(self, name: str) -> str:
        return str((self.form or {}).get(name) or "").strip()
