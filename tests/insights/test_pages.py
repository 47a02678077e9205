"""The analysts' pages over HTTP: the overview of a level, an area, an indicator, the downloads, and
who may open them (anyone when the indicators are public; else the analyst role, in the console)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

from app.indicators.catalogue import CATALOGUE
from tests.console.conftest import invite, staff_sign_in
from tests.factories import org_with_token

SVG = "{http://www.w3.org/2000/svg}"


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg.*?</svg>", html, flags=re.S)]


class TestOverview:
    async def test_every_ward_and_indicator_with_suppressed_cells_marked(self, open_client, town):
        response = await open_client.get("/insights", params={"level": "ward", "period": "2026-10"})
        assert response.status_code == 200, response.text
        html = response.text
        for name in town.names.values():
            assert name in html
        for i in CATALOGUE:
            assert f'href="/insights/indicators/{i.code}?level=ward&amp;period=2026-10"' in html
        small = html.split(town.names[town.small.ward])[1].split("</tr>")[0]
        cells = small.split("<td")[1:]
        assert len(cells) == 10 and small.count("Suppressed") >= 5  # five residents: all withheld
        assert all("Suppressed" in c or "Not available" in c for c in cells)
        assert "rated-" not in small  # a suppressed cell is never coloured as a value
        assert 'id="why-confidential"' in html
        assert response.headers["content-security-policy"].startswith("default-src 'self'")

    async def test_sorted_by_an_indicator(self, open_client, town):
        response = await open_client.get(
            "/insights", params={"level": "ward", "period": "2026-10", "sort": "isolation", "order": "asc"}
        )
        assert response.status_code == 200 and 'aria-sort="ascending"' in response.text

    async def test_a_period_not_published_is_a_page_naming_it(self, open_client, town):
        response = await open_client.get("/insights", params={"period": "2031-01"})
        assert response.status_code == 422 and "2031-01" in response.text and "<html" in response.text


class TestArea:
    async def test_radar_with_title_values_and_a_gap_for_a_suppressed_axis(self, open_client, town):
        big = await open_client.get(f"/insights/areas/{town.big.ward}", params={"period": "2026-10"})
        assert big.status_code == 200, big.text
        radar, *multiples = _svgs(big.text)
        assert "Community DNA" in radar.find(f"{SVG}title").text
        assert len(multiples) == 10 and all(m.find(f"{SVG}title") is not None for m in multiples)
        printed = " ".join(" ".join(t.itertext()) for t in radar.iter(f"{SVG}text"))
        assert "%" in printed  # values are printed on the picture
        small = await open_client.get(f"/insights/areas/{town.small.ward}", params={"period": "2026-10"})
        radar = _svgs(small.text)[0]
        assert "suppressed" in " ".join(" ".join(t.itertext()) for t in radar.iter(f"{SVG}text"))
        assert "Numerator" in small.text and "Denominator" in small.text

    async def test_an_unknown_area_is_404(self, open_client, town):
        response = await open_client.get("/insights/areas/E05999999", params={"period": "2026-10"})
        assert response.status_code == 404 and "E05999999" in response.text


class TestIndicator:
    async def test_definition_parts_rules_and_every_area_ranked(self, open_client, town):
        response = await open_client.get(
            "/insights/indicators/isolation", params={"level": "ward", "period": "2026-10"}
        )
        assert response.status_code == 200, response.text
        html = response.text
        assert "Numerator" in html and "Denominator" in html and "How the figures are protected" in html
        assert "cell-key perturbation" in html
        assert html.index(town.names[town.big.ward]) < html.index(town.names[town.small.ward])
        [chart] = _svgs(html)
        assert chart.find(f"{SVG}title") is not None


class TestDownloads:
    async def test_the_csv_download_equals_the_api(self, open_client, town):
        csv_text = (await open_client.get("/insights/download/ward.csv")).text
        api = (await open_client.get("/v1/indicators/values", params={"level": "ward"})).json()
        rows = list(csv.DictReader(io.StringIO(csv_text)))
        assert len(rows) == len(api["items"]) > 0
        for r, j in zip(rows, api["items"], strict=True):
            assert (r["area"], r["period"], r["indicator"], r["measure"]) == (
                j["area"],
                j["period"],
                j["indicator"],
                j["measure"],
            )
            assert (float(r["value"]) if r["value"] else None) == j["value"]
            assert r["suppressed"] == str(j["suppressed"]).lower()
        json_download = await open_client.get("/insights/download/ward.json")
        assert json_download.json()["items"] == api["items"]


class TestWhoMayRead:
    async def test_closed_insights_send_to_the_console(self, client, town):
        response = await client.get("/insights?level=ward", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/console/insights?level=ward"
        response = await client.get("/console/insights", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/console/sign-in"

    async def test_an_analyst_reads_them_and_a_caseworker_cannot(self, web, platform, town):
        org_id, _ = await org_with_token(platform, "people:read", sector="public", kind="council")
        _, analyst = await invite(platform.app, org_id, "analyst")
        _, caseworker = await invite(platform.app, org_id, "caseworker")
        await staff_sign_in(web, analyst)
        page = await web.get("/console/insights", params={"period": "2026-10"})
        assert page.status_code == 200 and town.names[town.big.ward] in page.text
        assert 'href="/console/insights/areas/' in page.text
        await staff_sign_in(web, caseworker)
        page = await web.get("/console/insights")
        assert page.status_code == 403 and "analyst" in page.text
