"""The API docs work offline: /docs (Swagger UI) and /redoc (ReDoc) load every script, style and
icon from this server (app/core/apidocs.py), none from a CDN. Checked in the HTML, and in Debian's
Chromium driven by Playwright against a real Kith server on loopback, with every request that would
leave the machine aborted.

Without a browser the browser tests skip; install one with `apt-get install chromium` (Debian) or
point KITH_TEST_CHROMIUM at a Chromium binary."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from app.core import apidocs
from tests.conftest import make_settings
from tests.portal.conftest import free_port, serving

CHROMIUM = (
    os.environ.get("KITH_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium: install Debian's (apt-get install chromium) or set KITH_TEST_CHROMIUM to a Chromium binary",
)
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
PAGES = ["/docs", "/redoc", "/docs/oauth2-redirect"]
# What a page names: <script src>, <link href>, and the document Swagger UI / ReDoc fetch.
REFERENCE = re.compile(r"""(?:\bsrc|\bhref|\bspec-url)\s*=\s*["']([^"']*)["']|\burl:\s*["']([^"']*)["']""")


def references(html: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(html)]


# --- the HTML, over ASGI ------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_a_docs_page_names_no_url_outside_the_server(client, path):
    response = await client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert not re.search(r"\bhttps?:", html, re.I), f"{path} names an absolute URL:\n{html}"
    for url in references(html):
        assert url.startswith("/") and not url.startswith("//"), f"{path} names {url!r}, not on this server"


async def test_the_pages_assets_are_served_here_and_cached(client):
    assets = set()
    for path in ("/docs", "/redoc"):
        assets |= {url for url in references((await client.get(path)).text) if "/assets/" in url}
    names = {url.rsplit("/", 1)[1] for url in assets}
    assert names == {"swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"}
    for url in assets:
        assert url.startswith(apidocs.ASSETS_PATH + "/")
        response = await client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) > 1000, url
        assert "immutable" in response.headers["cache-control"], url
        again = await client.get(url, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304, url
    assert (await client.get(f"{apidocs.ASSETS_PATH}/nothing.js")).status_code == 404


@pytest.mark.parametrize("path", PAGES)
async def test_a_docs_pages_scripts_are_allowed_by_its_policy_and_nothing_else(client, path):
    """The pages' Content-Security-Policy allows this server alone, and each inline script by the
    response's own nonce."""
    response = await client.get(path)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "https:" not in policy and "*" not in policy
    assert "'unsafe-eval'" not in policy and "script-src 'self' 'nonce-" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    for tag in re.findall(r"<script\b[^>]*>", response.text):
        assert "src=" in tag or f'nonce="{nonce}"' in tag, f"{tag} would not run under {policy}"
    assert response.headers["cache-control"] == "no-store"
    other = (await client.get(path)).headers["content-security-policy"]
    assert re.search(r"'nonce-([^']+)'", other).group(1) != nonce, "a nonce is one response's alone"


async def test_the_docs_pages_are_not_in_the_openapi_document(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc"))]


# --- in a browser, offline ------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def server(database_url, data_dir) -> AsyncIterator[str]:
    """Kith served by uvicorn on loopback."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(database_url, data_dir, public_url=base)
    async with serving(settings, port):
        yield base


@pytest.fixture(scope="module")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        await instance.close()


def local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS


class Offline:
    """A browser tab that can reach this machine and nothing else: every request for another host
    is aborted and noted, as are the page's script errors and what the page's own policy refused."""

    def __init__(self, page) -> None:
        self.page = page
        self.left: list[str] = []  # requests that reached the network for another host (aborted)
        self.requested: list[str] = []  # every request the page made
        self.failed: dict[str, str] = {}  # url -> why it failed
        self.errors: list[str] = []

    async def route(self, route) -> None:
        url = route.request.url
        if local(url):
            await route.continue_()
        else:
            self.left.append(url)
            await route.abort("internetdisconnected")

    async def check(self, may_refuse: frozenset[str] = frozenset()) -> None:
        """Nothing tried to leave the machine, no script failed, and the page's policy refused
        nothing but the URLs ``may_refuse`` (refused in the browser: never sent)."""
        await self.page.wait_for_load_state("networkidle")
        assert not self.left, f"the page tried to leave the machine: {self.left}"
        assert not self.errors, f"script errors: {self.errors}"
        refused = {url for _, url in await self.page.evaluate("window.__refused")}
        assert refused <= may_refuse, f"refused by the page's policy: {refused - may_refuse}"
        assert self.requested, "no request was seen"
        for url in self.requested:
            if not local(url):
                assert url in may_refuse, f"a request for {url}"
                assert self.failed.get(url) in ("csp", "net::ERR_BLOCKED_BY_CSP"), (url, self.failed.get(url))


@pytest.fixture
async def offline(browser, server) -> AsyncIterator[Offline]:
    context = await browser.new_context(base_url=server)
    page = await context.new_page()
    tab = Offline(page)
    await context.route("**/*", tab.route)
    context.on("request", lambda request: tab.requested.append(request.url))
    context.on("requestfailed", lambda request: tab.failed.setdefault(request.url, request.failure))
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    await context.add_init_script(
        "window.__refused = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__refused.push([e.violatedDirective, e.blockedURI]));"
    )
    yield tab
    await context.close()


@pytest.mark.browser
@needs_chromium
class TestOffline:
    async def test_swagger_ui_lists_the_operations_and_opens_one(self, offline):
        page = offline.page
        await page.goto("/docs")
        await page.locator(".opblock").first.wait_for(timeout=30000)
        assert await page.locator(".opblock").count() > 20
        assert await page.locator(".opblock-summary-path", has_text="/v1/people").count() > 0
        assert "Kith" in await page.locator(".information-container .title").inner_text()
        await page.locator(".opblock-summary-control").first.click()
        await page.locator(".opblock-body").first.wait_for()
        await page.locator(".btn.authorize").click()  # the OAuth2 dialog
        await page.locator(".modal-ux").wait_for()
        await offline.check()
        assert any(apidocs.ASSETS_PATH + "/swagger-ui-bundle.js" in url for url in offline.requested)
        assert any(url.endswith("/openapi.json") for url in offline.requested)

    async def test_redoc_shows_its_menu_and_the_operations(self, offline):
        page = offline.page
        await page.goto("/redoc")
        menu = page.locator(".menu-content")
        await menu.wait_for(timeout=30000)
        await page.locator(".api-content h1", has_text="Kith").wait_for()
        assert await menu.locator("li").count() > 20
        assert await page.locator(".api-content [data-section-id^='operation/']").count() > 20
        await page.get_by_placeholder("Search...").fill("people")  # the search index, in a worker
        await page.locator("[data-role='search:results']").wait_for()
        # ReDoc's menu ends in a "by Redocly" badge whose logo it names on Redocly's CDN: the page's
        # policy refuses it in the browser, nothing is sent, and ReDoc drops the image that failed.
        await offline.check(may_refuse=frozenset({REDOCLY_LOGO}))
        assert await page.locator(f"img[src='{REDOCLY_LOGO}']").count() == 0
        assert any(apidocs.ASSETS_PATH + "/redoc.standalone.js" in url for url in offline.requested)
