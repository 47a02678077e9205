"""The analysts' pages in real headless Chromium against a real server with the indicators public:
the overview table, the area's radar, and an axe-core scan of every /insights page. Skipped without
a browser, as the portal's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.indicators.catalogue import CATALOGUE
from tests.conftest import make_settings
from tests.insights.conftest import make_town
from tests.portal import test_browser as portal_browser
from tests.portal.conftest import free_port, serving

pytestmark = portal_browser.pytestmark
browser, WCAG = portal_browser.browser, portal_browser.WCAG


@pytest.fixture(scope="module")
async def server(database_url, data_dir) -> AsyncIterator[str]:
    """Kith on loopback with KITH_INDICATORS_PUBLIC=true: no sign-in for /insights."""
    port = free_port()
    settings = make_settings(
        database_url, data_dir, public_url=f"http://localhost:{port}", indicators_public=True
    )
    async with serving(settings, port):
        yield f"http://localhost:{port}"


@pytest.fixture
async def page(browser, server):
    context = await browser.new_context(base_url=server)
    tab = await context.new_page()
    left: list[str] = []
    tab.on("request", lambda r: left.append(r.url) if not r.url.startswith(server) else None)
    yield tab
    await context.close()
    assert not left, f"requests left the server: {left}"


@pytest.fixture
async def town(database_url, data_dir, owner_conn):
    app = portal_browser._App(database_url, data_dir)
    try:
        yield await make_town(app, owner_conn)
    finally:
        await app.db.dispose()


class TestPages:
    async def test_the_overview_shows_every_ward_and_indicator(self, page, town):
        await page.goto("/insights?level=ward&period=2026-10")
        table = page.get_by_role("table")
        for code in (town.big.ward, town.small.ward):  # names repeat across the tests' towns: codes do not
            await table.locator(f'th[scope="row"] a[href*="/areas/{code}?"]').wait_for()
        headers = [h.strip() for h in await table.locator("thead th a:first-child").all_inner_texts()]
        assert headers[1:] == [i.name for i in CATALOGUE]
        small = table.locator("tr", has=page.locator(f'a[href*="/areas/{town.small.ward}?"]'))
        assert "Suppressed" in await small.inner_text()
        # sorting works without JavaScript: a link
        await page.get_by_role("link", name="Sort by Isolation, highest first").click()
        await page.wait_for_url("**sort=isolation**")

    async def test_the_area_radar_is_titled_valued_and_shows_gaps(self, page, town):
        await page.goto(f"/insights/areas/{town.small.ward}?period=2026-10")
        radar = page.locator("figure.radar svg")
        assert "Community DNA" in await radar.locator("title").first.text_content()
        assert "suppressed" in await radar.text_content()
        await page.goto(f"/insights/areas/{town.big.ward}?period=2026-10")
        assert "%" in await page.locator("figure.radar svg").text_content()
        assert await page.locator(".multiples svg").count() == 10


class TestAccessibility:
    async def test_every_insights_page_passes_axe_at_wcag_a_and_aa(self, page, town):
        from axe_playwright_python.async_playwright import Axe

        axe = Axe()
        problems: dict[str, str] = {}
        for name, path in [
            ("overview", "/insights?level=ward&period=2026-10"),
            ("overview, LSOAs sorted", "/insights?level=lsoa&period=2026-10&sort=volunteering&order=asc"),
            ("area", f"/insights/areas/{town.big.ward}?period=2026-10"),
            ("small area", f"/insights/areas/{town.small.ward}?period=2026-10"),
            *[(f"indicator {i.code}", f"/insights/indicators/{i.code}?period=2026-10") for i in CATALOGUE],
            ("error", "/insights/areas/E05999999?period=2026-10"),
        ]:
            await page.goto(path)
            results = await axe.run(page, options=WCAG)
            if results.violations_count:
                problems[name] = results.generate_report()
        assert not problems, "\n\n".join(f"{k}:\n{v}" for k, v in problems.items())
