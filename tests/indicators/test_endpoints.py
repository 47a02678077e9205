"""The indicators API: catalogue, values (JSON and CSV), series, the radar chart and areas, all
behind indicators:read and all disclosure-controlled."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from app.indicators import service
from app.indicators.periods import Period
from tests.factories import org_with_token
from tests.indicators.neighbourhood import Neighbourhood

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
async def analyst(platform):
    _, headers = await org_with_token(platform, "indicators:read", sector="public", kind="research")
    return headers


@pytest.fixture
async def ward(app, owner_conn):
    """A ward of 23 residents, 13 of them active in October 2026 and 9 in September."""
    hood = Neighbourhood(app, owner_conn)
    [w] = await hood.areas(1)
    council, charity = await hood.org("public", w), await hood.org("social", w)
    people = await hood.people(w, 23)
    await hood.interact(people[:13], council, datetime(2026, 10, 2, 10, tzinfo=UTC))
    await hood.interact(
        people[:9], charity, datetime(2026, 9, 2, 10, tzinfo=UTC), kind="volunteering", minutes=90
    )
    await hood.refresh()
    return w


def _counts(body):
    yield body["residents"]["value"]
    for i in body["indicators"]:
        yield from (
            i["numerator"],
            i["denominator"],
            i["previous"]["numerator"],
            i["previous"]["denominator"],
        )
        for m in i["components"]:
            yield from (m["numerator"], m["denominator"])


class TestCatalogue:
    async def test_lists_the_ten_with_thresholds(self, client, analyst):
        response = await client.get("/v1/indicators", headers=analyst)
        assert response.status_code == 200
        items = response.json()["items"]
        assert [i["code"] for i in items] == [
            "sector_mix", "cross_sector_ties", "multi_sector_reach", "bridging", "isolation",
            "reciprocity", "volunteering", "repeat_engagement", "local_multiplier", "concentration",
        ]  # fmt: skip
        assert all(i["definition"] and set(i["thresholds"]) == {"red", "green"} for i in items)

    async def test_needs_the_scope(self, client, platform):
        _, headers = await org_with_token(platform, "people:read")
        response = await client.get("/v1/indicators", headers=headers)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


def _about(published, true):
    """A published count of ``true`` people: perturbed by at most 4, then a multiple of 5 (≥ 10)."""
    return published % 5 == 0 and published >= 10 and abs(published - true) <= 4


class TestValues:
    async def test_values_are_perturbed_suppressed_and_rated(self, client, analyst, ward):
        response = await client.get(
            "/v1/indicators/values", params={"area": ward.ward, "period": "2026-10"}, headers=analyst
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["previous_period"] == "2026-09" and body["area"]["name"] == "Test ward 0"
        assert body["published_at"] and body["revised_at"] is None
        assert _about(body["residents"]["value"], 23) and not body["residents"]["suppressed"]
        by_code = {i["code"]: i for i in body["indicators"]}
        reach = by_code["multi_sector_reach"]["components"][0]  # public contact: 13 of 23
        assert _about(reach["numerator"], 13) and reach["denominator"] == body["residents"]["value"]
        assert reach["value"] == round(reach["numerator"] / reach["denominator"], 4)
        volunteering = by_code["volunteering"]
        assert volunteering["value"] == 0 and volunteering["previous"]["value"] > 0
        assert volunteering["trend"] == "down" and volunteering["rag"] == "red"
        sector_mix = by_code["sector_mix"]  # two organisations: too few to publish
        assert sector_mix["suppressed"] and sector_mix["suppressed_reason"] == "confidential"
        assert all(c is None or (c % 5 == 0 and not 0 < c < 8) for c in _counts(body))
        again = await client.get(
            "/v1/indicators/values", params={"area": ward.ward, "period": "2026-10"}, headers=analyst
        )
        assert again.json() == body

    async def test_a_period_under_way_is_not_published(self, client, analyst, ward):
        today = service.today()  # the local (London) date the service goes by
        for period in (Period.containing(today, kind).label for kind in ("month", "quarter", "year")):
            response = await client.get(
                "/v1/indicators/values", params={"area": ward.ward, "period": period}, headers=analyst
            )
            assert response.status_code == 409, (period, response.text)
            assert response.json()["code"] == "period_not_published"
            assert "under way" in response.json()["detail"]

    @pytest.mark.parametrize("period", ["2026-13", "26-10", "2026-Q5", "next year", "2099"])
    async def test_bad_period_is_422_naming_it(self, client, analyst, ward, period):
        response = await client.get(
            "/v1/indicators/values", params={"area": ward.ward, "period": period}, headers=analyst
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "period"

    async def test_unknown_area_is_404(self, client, analyst):
        response = await client.get(
            "/v1/indicators/values", params={"area": "E05999999", "period": "2026-10"}, headers=analyst
        )
        assert response.status_code == 404 and response.json()["code"] == "unknown_area"

    async def test_csv_parses_with_a_row_per_measure(self, client, analyst, ward):
        response = await client.get(
            "/v1/indicators/values.csv", params={"area": ward.ward, "period": "2026-10"}, headers=analyst
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert {r["indicator"] for r in rows} >= {"isolation", "concentration", "local_multiplier"}
        assert all(r["period"] == "2026-10" and r["previous_period"] == "2026-09" for r in rows)
        public = next(r for r in rows if r["measure"] == "public_contact_share")
        assert _about(int(public["numerator"]), 13) and public["suppressed"] == "false"


class TestSeries:
    async def test_monthly_series(self, client, analyst, ward):
        response = await client.get(
            "/v1/indicators/series",
            params={"area": ward.ward, "code": "volunteering", "from": "2026-08", "to": "2026-10"},
            headers=analyst,
        )
        assert response.status_code == 200, response.text
        points = response.json()["points"]
        assert [p["period"] for p in points] == ["2026-08", "2026-09", "2026-10"]
        # August is before the first activity the roll-up has seen: not published
        assert [p["published"] for p in points] == [False, True, True]
        assert points[0]["value"] is None and points[2]["value"] == 0
        september = points[1]
        assert september["value"] == round(september["numerator"] / september["denominator"], 4) > 0

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"code": "happiness", "from": "2026-08", "to": "2026-10"}, "code"),
            ({"code": "isolation", "from": "2026-08", "to": "2026-Q4"}, "to"),
            ({"code": "isolation", "from": "2026-10", "to": "2026-08"}, "to"),
        ],
    )
    async def test_bad_series_is_422(self, client, analyst, ward, params, field):
        response = await client.get(
            "/v1/indicators/series", params={"area": ward.ward, **params}, headers=analyst
        )
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field


class TestRadar:
    async def test_svg_is_well_formed_labelled_and_described(self, client, analyst, ward):
        response = await client.get(
            "/v1/indicators/dna.svg", params={"area": ward.ward, "period": "2026-10"}, headers=analyst
        )
        assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
        root = ET.fromstring(response.text)
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        assert "2026-10" in root.find(f"{SVG}title").text
        desc = root.find(f"{SVG}desc").text
        assert "Isolation" in desc and "Volunteering: 0%" in desc
        texts = list(root.iter(f"{SVG}text"))
        labels = {" ".join(t.itertext()) for t in texts}
        assert {"Isolation", "Brittleness", "Give and take", "Local multiplier (ledger LM3)"} <= labels
        # Every label stays inside the picture (at about 7.5 px a character of 13 px type).
        width = float(root.get("viewBox").split()[2])
        for t in texts:
            x, longest = float(t.get("x")), max(len(part) for part in t.itertext()) * 7.5
            left = {"start": x, "middle": x - longest / 2, "end": x - longest}[t.get("text-anchor", "start")]
            assert 0 <= left and left + longest <= width, " ".join(t.itertext())
        assert len(root.findall(f"{SVG}polygon")) == 4 + 2  # rings, then previous and current


class TestAreas:
    async def test_lists_imported_areas_with_rounded_residents(self, client, analyst, ward):
        response = await client.get("/v1/areas", params={"level": "ward", "limit": 500}, headers=analyst)
        assert response.status_code == 200
        mine = next(a for a in response.json()["items"] if a["code"] == ward.ward)
        assert (mine["level"], mine["postcodes"]) == ("ward", 1) and _about(mine["residents"], 23)

    async def test_bad_level_is_422(self, client, analyst):
        response = await client.get("/v1/areas", params={"level": "county"}, headers=analyst)
        assert response.status_code == 422
