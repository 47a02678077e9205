"""The API's interactive documentation, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served whole
by this server: their scripts and styles come from the installed ``fastapi-offline`` package rather
than FastAPI's default CDN, so the pages work on a machine with no internet.

The assets sit under ``/docs/assets/<the package's version>/``: a new version is a new URL, so they
may be cached for good. The pages carry a Content-Security-Policy of their own that allows this
server and nothing else (Swagger UI's inline start-up script by a nonce made for each response).
"""

from __future__ import annotations

import secrets
from importlib.metadata import version
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS_DIRECTORY = Path(fastapi_offline.__file__).parent / "static"
ASSETS_PATH = f"/docs/assets/{version('fastapi-offline')}"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"


def content_security_policy(nonce: str) -> str:
    """What a documentation page may load: from this server only. Styles may be inline (ReDoc
    writes its own <style> elements); scripts only the server's files and the page's own, by nonce;
    ReDoc's search runs in a worker made from a blob."""
    return (
        "default-src 'none'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "worker-src 'self' blob:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class _Assets(StaticFiles):
    """The package's files; their URL names the package's version, so they never change."""

    def file_response(self, *args, **kwargs) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def _page(response: HTMLResponse) -> HTMLResponse:
    """The page, its inline scripts given a fresh nonce, with its security headers."""
    nonce = secrets.token_urlsafe(18)
    html = bytes(response.body).decode().replace("<script>", f'<script nonce="{nonce}">')
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": content_security_policy(nonce),
            "Cache-Control": "no-store",  # the nonce is this response's alone
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
        },
    )


def install(app: FastAPI) -> None:
    """``/docs``, its OAuth2 redirect page and ``/redoc``, in place of FastAPI's own (which load
    their assets from a CDN): the app must be made with ``docs_url=None, redoc_url=None``."""
    if app.docs_url or app.redoc_url:
        raise ValueError("FastAPI's own docs pages are on: make the app with docs_url=None, redoc_url=None")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = app.swagger_ui_oauth2_redirect_url or f"{DOCS_URL}/oauth2-redirect"

    app.mount(ASSETS_PATH, _Assets(directory=ASSETS_DIRECTORY), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _page(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=root + redirect_url,
                init_oauth=app.swagger_ui_init_oauth,
                swagger_ui_parameters=app.swagger_ui_parameters,
                swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            )
        )

    @app.get(redirect_url, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return _page(get_swagger_ui_oauth2_redirect_html())

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _page(
            get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
                with_google_fonts=False,
            )
        )
