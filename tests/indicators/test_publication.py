"""Publication in batches, whole levels, and open indicators: an objection reaches published
figures only at a scheduled revision, which says what it changed; a level downloads in one tidy
file; with KITH_INDICATORS_PUBLIC the reads need no token, and nothing about a person opens."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx
import pytest

from app.indicators import service
from tests.conftest import make_settings, running_app
from tests.factories import org_with_token
from tests.indicators.neighbourhood import Neighbourhood


@pytest.fixture
async def analyst(platform):
    _, headers = await org_with_token(platform, "indicators:read", sector="public", kind="research")
    return headers


@pytest.fixture
async def hood(app, owner_conn):
    return Neighbourhood(app, owner_conn)


async def _two_lsoa_ward(hood, owner_conn):
    """A ward of two LSOAs (one MSOA), 30 and 12 residents, active in October 2026."""
    [a, b] = await hood.areas(2)
    await owner_conn.execute(
        "UPDATE postcodes SET ward = $1, msoa = $2 WHERE postcode = $3", a.ward, a.msoa, b.postcode
    )
    await owner_conn.execute("DELETE FROM area_links WHERE lsoa = $1", b.lsoa)
    await owner_conn.execute("INSERT INTO area_links VALUES ($1, $2, $3)", a.ward, b.lsoa, a.msoa)
    await owner_conn.execute("DELETE FROM areas WHERE code = ANY($1::text[])", [b.ward, b.msoa])
    await owner_conn.execute("UPDATE indicator_state SET fingerprint = NULL WHERE name = 'rollup'")
    b.ward, b.msoa = a.ward, a.msoa
    council = await hood.org("public", a)
    people = await hood.people(a, 30) + await hood.people(b, 12)
    await hood.interact(people, council, datetime(2026, 10, 5, 10, tzinfo=UTC))
    return a, b, people


async def _values(client, headers, area, period="2026-10"):
    response = await client.get(
        "/v1/indicators/values", params={"area": area, "period": period}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestRevisions:
    async def test_an_objection_waits_for_the_scheduled_revision(
        self, app, client, analyst, hood, owner_conn
    ):
        a, _, people = await _two_lsoa_ward(hood, owner_conn)
        await hood.refresh()
        before = await _values(client, analyst, a.ward)
        assert (await hood.figures(a.ward, "2026-10"))["residents"] == 42

        await owner_conn.execute("UPDATE people SET research_objection_at = now() WHERE id = $1", people[0])
        await hood.refresh(revise=False)  # the roll-up's own run: no revision due within the month
        assert (await hood.figures(a.ward, "2026-10"))["residents"] == 41  # the roll-up knows at once
        assert await _values(client, analyst, a.ward) == before  # what is published does not

        async with app.state.db.session(platform=True) as session:
            revision = await service.revise(session, app.state.settings)
        assert revision is not None
        after = await _values(client, analyst, a.ward)
        assert after["published_at"] == before["published_at"]
        if after["indicators"] != before["indicators"] or after["residents"] != before["residents"]:
            assert after["revised_at"] is not None  # a changed figure says it was revised
        else:
            assert after["revised_at"] == before["revised_at"]

    async def test_a_late_record_waits_for_the_revision_too(self, app, client, analyst, hood, owner_conn):
        a, _, people = await _two_lsoa_ward(hood, owner_conn)
        charity = await hood.org("social", a)
        await hood.refresh()
        before = await _values(client, analyst, a.ward)
        await hood.interact(
            people[:20], charity, datetime(2026, 10, 20, 10, tzinfo=UTC), kind="volunteering", minutes=60
        )
        await hood.refresh(revise=False)
        assert (await hood.figures(a.ward, "2026-10"))["volunteers"] == 20
        assert await _values(client, analyst, a.ward) == before
        async with app.state.db.session(platform=True) as session:
            await service.revise(session, app.state.settings)
        after = await _values(client, analyst, a.ward)
        volunteering = next(i for i in after["indicators"] if i["code"] == "volunteering")
        assert volunteering["value"] > 0 and after["revised_at"] is not None

    async def test_a_new_area_waits_for_the_revision(self, app, client, analyst, hood, owner_conn):
        """Its first figures would be fresher than its neighbours': between revisions they differ."""
        await _two_lsoa_ward(hood, owner_conn)
        await hood.refresh()
        [late] = await hood.areas(1)
        council = await hood.org("public", late)
        await hood.interact(await hood.people(late, 20), council, datetime(2026, 10, 5, 10, tzinfo=UTC))
        await hood.refresh(revise=False)
        waiting = await _values(client, analyst, late.ward)
        assert waiting["published_at"] is None and waiting["residents"]["value"] is None
        async with app.state.db.session(platform=True) as session:
            await service.revise(session, app.state.settings)
        published = await _values(client, analyst, late.ward)
        assert published["published_at"] and published["residents"]["value"] >= 10


class TestLevels:
    async def test_every_area_of_a_level_in_one_tidy_download(self, client, analyst, hood, owner_conn):
        a, b, _ = await _two_lsoa_ward(hood, owner_conn)
        await hood.refresh()
        response = await client.get(
            "/v1/indicators/values", params={"level": "lsoa", "period": "2026-10"}, headers=analyst
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["periods"] == ["2026-10"] and body["revision"] >= 1
        mine = [r for r in body["items"] if r["area"] in (a.lsoa, b.lsoa)]
        assert {(r["area"], r["indicator"]) for r in mine} == {
            (area, code) for area in (a.lsoa, b.lsoa) for code in {r["indicator"] for r in mine}
        }
        assert len({r["indicator"] for r in mine}) == 10
        single = await _values(client, analyst, b.lsoa)
        isolation = next(i for i in single["indicators"] if i["code"] == "isolation")
        row = next(r for r in mine if r["area"] == b.lsoa and r["measure"] == "isolated_share")
        assert (row["value"], row["numerator"], row["suppressed"]) == (
            isolation["value"],
            isolation["numerator"],
            isolation["suppressed"],
        )

        download = await client.get(
            "/v1/indicators/values.csv", params={"level": "lsoa", "period": "2026-10"}, headers=analyst
        )
        assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(download.text)))
        assert len(rows) == len(body["items"])
        for r, j in zip(rows, body["items"], strict=True):
            assert (r["area"], r["indicator"], r["measure"]) == (j["area"], j["indicator"], j["measure"])
            assert (float(r["value"]) if r["value"] else None) == j["value"]
            assert r["suppressed"] == ("true" if j["suppressed"] else "false")

    async def test_an_unknown_level_is_422(self, client, analyst):
        response = await client.get("/v1/indicators/values", params={"level": "county"}, headers=analyst)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "level"

    async def test_a_level_for_a_period_not_published_says_so(self, client, analyst):
        for period, status in (
            ("2099-01", 422),
            ("garbage", 422),
            (f"{service.today():%Y-%m}", 409),
            ("1999-01", 409),
        ):
            response = await client.get(
                "/v1/indicators/values.csv", params={"level": "ward", "period": period}, headers=analyst
            )
            assert response.status_code == status, (period, response.text)
            assert response.headers["content-type"] == "application/problem+json"

    async def test_area_or_level_is_required(self, client, analyst):
        response = await client.get("/v1/indicators/values", params={"period": "2026-10"}, headers=analyst)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "area"


@pytest.fixture
async def open_client(database_url, data_dir):
    async with running_app(make_settings(database_url, data_dir, indicators_public=True)) as app:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as c:
            yield c


class TestOpenIndicators:
    async def test_reads_need_no_token_when_public(self, open_client, client, hood, owner_conn):
        a, _, _ = await _two_lsoa_ward(hood, owner_conn)
        await hood.refresh()
        for path, params in [
            ("/v1/indicators", {}),
            ("/v1/areas", {"level": "ward"}),
            ("/v1/indicators/values", {"area": a.ward, "period": "2026-10"}),
            ("/v1/indicators/values", {"level": "ward", "period": "2026-10"}),
            ("/v1/indicators/values.csv", {"level": "ward"}),
            ("/v1/indicators/dna.svg", {"area": a.ward, "period": "2026-10"}),
            (
                "/v1/indicators/series",
                {"area": a.ward, "code": "isolation", "from": "2026-09", "to": "2026-10"},
            ),
        ]:
            response = await open_client.get(path, params=params, headers={"Origin": "https://example.org"})
            assert response.status_code == 200, (path, response.text)
            assert response.headers["access-control-allow-origin"] == "*"
            closed = await client.get(path, params=params)
            assert closed.status_code == 401, path

    async def test_nothing_about_a_person_opens(self, open_client, hood, owner_conn):
        _, _, people = await _two_lsoa_ward(hood, owner_conn)
        for path in (
            f"/v1/people/{people[0]}?purpose=service_delivery",
            f"/v1/people/{people[0]}/timeline?purpose=service_delivery",
            "/v1/people?limit=5",
            f"/v1/people/{people[0]}/wallet?purpose=service_delivery",
        ):
            response = await open_client.get(path)
            assert response.status_code in (401, 404, 405), (path, response.status_code)
            assert response.status_code != 200

    async def test_a_token_still_works_and_needs_its_scope(self, open_client, platform):
        _, headers = await org_with_token(platform, "people:read")
        response = await open_client.get("/v1/indicators", headers=headers)
        assert response.status_code == 403
