"""Insights fixtures: a small town whose October 2026 is published — two wards, one of them too
small to publish — and the app with the indicators public."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.conftest import make_settings, running_app
from tests.indicators.neighbourhood import Neighbourhood
from tests.portal.conftest import platform, portal_app, web  # noqa: F401 (fixtures: staff sign in as in a browser)


class Town:
    def __init__(self, big, small, names) -> None:
        self.big, self.small, self.names = big, small, names


async def make_town(app, owner) -> Town:
    """Ward A (two LSOAs, 40 and 12 residents, three organisations) and ward B (5 residents)."""
    hood = Neighbourhood(app, owner)
    a, a2, b = await hood.areas(3)
    await hood.join_ward(a, a2)
    council, charity, shop = [await hood.org(sector, a) for sector in ("public", "social", "commercial")]
    people = await hood.people(a, 40) + await hood.people(a2, 12)
    few = await hood.people(b, 5)
    when = datetime(2026, 10, 6, 10, tzinfo=UTC)
    await hood.interact(people, council, when)
    await hood.interact(people[:30], charity, when, kind="volunteering", minutes=120)
    await hood.interact(people[10:40], shop, datetime(2026, 10, 9, 10, tzinfo=UTC))
    await hood.interact(few, council, when)
    await hood.refresh()
    names = {
        r["code"]: r["name"]
        for r in await owner.fetch(
            "SELECT code, name FROM areas WHERE code = ANY($1::text[])", [a.ward, b.ward]
        )
    }
    return Town(a, b, names)


@pytest.fixture
async def town(app, owner_conn) -> Town:
    return await make_town(app, owner_conn)


@pytest.fixture
async def open_app(database_url, data_dir):
    async with running_app(make_settings(database_url, data_dir, indicators_public=True)) as app:
        yield app


@pytest.fixture
async def open_client(open_app):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=open_app), base_url="http://testserver"
    ) as c:
        yield c
