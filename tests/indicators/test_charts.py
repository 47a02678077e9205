"""The charts: pure functions from published values to SVG, read back as XML. No database needed.

Each chart must be valid XML with role="img", a <title> and a <desc> named by aria-labelledby (ids
unique by id_prefix), print every value as published (never float noise), and draw a suppressed or
unavailable value as a labelled gap, never as a point at the centre or on the baseline's line.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from app.indicators import charts
from app.indicators.catalogue import CATALOGUE

SVG = "{http://www.w3.org/2000/svg}"
CENTRE = (charts.CENTRE_X, charts.CENTRE)

# The headline value of each indicator this period (None: not available; "x": suppressed), with
# float noise of the kind the roll-up produces.
NOW = {
    "sector_mix": "x",
    "cross_sector_ties": 0.13979999999999998,
    "multi_sector_reach": 0.5,
    "bridging": -0.3333333333333333,
    "isolation": 0.30000000000000004,
    "reciprocity": 0.05,
    "volunteering": 0.1234,
    "repeat_engagement": 0.999,
    "local_multiplier": None,
    "concentration": 2345.6789,
}
SHOWN = {  # ... and as the charts must print it
    "cross_sector_ties": "14%",
    "multi_sector_reach": "50%",
    "bridging": "-0.3333",
    "isolation": "30%",
    "reciprocity": "5%",
    "volunteering": "12.3%",
    "repeat_engagement": "99.9%",
    "concentration": "2,346",
}
BEFORE = {**NOW, "sector_mix": 0.25, "isolation": "x", "local_multiplier": 1.5, "concentration": 2000.0}


def _measure(value, code):
    indicator = next(i for i in CATALOGUE if i.code == code)
    if value is None or value == "x":
        return {"value": None, "suppressed": value == "x", "normalised": None}
    share = (value - indicator.lowest) / (indicator.highest - indicator.lowest)
    return {
        "value": value,
        "suppressed": False,
        "normalised": share if indicator.higher_is_better else 1 - share,
    }


def _values(now=NOW, before=BEFORE, name="Hackney Downs"):
    indicators = []
    for i in CATALOGUE:
        m = _measure(now[i.code], i.code)
        indicators.append(
            {
                "code": i.code,
                "name": i.name,
                "unit": i.unit,
                **m,
                "rag": None if m["value"] is None else "amber",
                "previous": {"period": "2026-09", **_measure(before[i.code], i.code)},
            }
        )
    return {
        "area": {"code": "E05009373", "level": "ward", "name": name},
        "period": "2026-10",
        "previous_period": "2026-09",
        "indicators": indicators,
    }


def _parse(svg):
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return root


def _texts(root):
    return [" ".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def _runs(d):
    """The points of each subpath of path data, as (x, y)."""
    return [
        [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+) (-?[\d.]+)", part)]
        for part in d.split("M")
        if part.strip()
    ]


def _axis(point, n=10):
    angle = math.atan2(point[1] - charts.CENTRE, point[0] - charts.CENTRE_X)
    return round((angle + math.pi / 2) / (2 * math.pi / n)) % n


def _outline(root, colour, dashed):
    [path] = [
        p
        for p in root.iter(f"{SVG}path")
        if p.get("stroke") == colour and (p.get("stroke-dasharray") is not None) == dashed
    ]
    return _runs(path.get("d"))


def _luminance(colour):
    channels = [int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _assert_fit_for_a_page(svg, root):
    """No script, no style (the CSP), nothing fetched, no float noise, AA contrast for every text
    and every text inside the picture (about 0.6 em a character)."""
    assert not re.search(r"<script|\sstyle=|<style|href|url\(|@import", svg)
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]
    assert not re.search(r"\d\.\d{5,}|\de[+-]\d|\b(None|nan|NaN|inf)\b", svg)
    width = float(root.get("viewBox").split()[2])
    for t in root.iter(f"{SVG}text"):
        assert (1.05 / (_luminance(t.get("fill")) + 0.05)) >= 4.5, t.get("fill")
        x, chars = float(t.get("x")), max(len(part) for part in t.itertext())
        longest = chars * float(t.get("font-size")) * 0.58
        left = {"start": x, "middle": x - longest / 2, "end": x - longest}[t.get("text-anchor")]
        assert 0 <= left and left + longest <= width, " ".join(t.itertext())


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (0.13979999999999998, "share", "14%"),
        (0.1234, "share", "12.3%"),
        (0.30000000000000004, "share", "30%"),
        (1.0, "share", "100%"),
        (-0.0001, "share", "0%"),
        (0.0, "index", "0"),
        (-0.3333333333333333, "index", "-0.3333"),
        (2345.6789, "index", "2,346"),
        (10000.0, "index", "10,000"),
        (9999.96, "index", "10,000"),
        (1.83333333, "ratio", "1.833"),
        (0.1 + 0.2, "ratio", "0.3"),
        (12.345678, "per_1000", "12.35 per 1,000"),
        (None, "share", "not available"),
        (float("nan"), "ratio", "not available"),
    ],
)
def test_values_are_formatted_as_published(value, unit, shown):
    assert charts.published(value, unit) == shown


class TestRadar:
    def test_standalone_and_labelled(self):
        svg = charts.radar_svg(_values())
        assert svg.startswith(
            '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
        )
        root = _parse(svg)
        title = root.find(f"{SVG}title").text
        assert title == "Community DNA of Hackney Downs, 2026-10 against 2026-09"
        assert root.find(f"{SVG}title").get("id") == "dna-title"
        texts = _texts(root)
        assert title in texts  # a visible heading, not only the <title>
        assert {"0", "0.25", "0.5", "0.75", "1"} <= set(texts)  # the rings' scale
        assert any("1 = resilient end" in t for t in texts)
        assert {i.name for i in CATALOGUE} <= set(texts)
        assert len(root.findall(f"{SVG}polygon")) == 4 + 2  # the rings, then previous and current
        _assert_fit_for_a_page(svg, root)

    def test_every_value_printed_beside_its_point_and_in_the_text(self):
        root = _parse(charts.radar_svg(_values()))
        texts, desc = _texts(root), root.find(f"{SVG}desc").text
        for code, shown in SHOWN.items():
            name = next(i.name for i in CATALOGUE if i.code == code)
            assert shown in texts, code
            assert f"{name}: {shown} (amber), previously" in desc
        assert "Three-economy base: suppressed: too few people to publish, previously 25%" in desc
        assert "Local multiplier (ledger LM3): not available, previously 1.5;" in desc
        assert "Isolation: 30% (amber), previously suppressed: too few people to publish" in desc
        assert "Brittleness: 2,346 (amber), previously 2,000." in desc

    def test_suppressed_and_unavailable_are_gaps_marked_on_the_outer_ring(self):
        values = _values()
        root = _parse(charts.radar_svg(values))
        n = len(values["indicators"])
        missing = {0: "suppressed: too few people to publish", 8: "not available"}
        runs = _outline(root, charts.NOW, dashed=False)
        for run in runs:  # each subpath joins neighbouring axes only, none of them missing
            axes = [_axis(p) for p in run]
            assert all((b - a) % n == 1 for a, b in itertools.pairwise(axes)), axes
            assert not set(axes) & set(missing) and CENTRE not in run
        assert sorted({_axis(p) for run in runs for p in run}) == [1, 2, 3, 4, 5, 6, 7]  # 9 alone: a dot
        dots = root.iter(f"{SVG}circle")
        assert {
            _axis((float(c.get("cx")), float(c.get("cy")))) for c in dots if c.get("fill") == charts.NOW
        } == {
            *range(1, 8),
            9,
        }
        fill = root.findall(f"{SVG}polygon")[-1]  # the fill: the published points only
        points = [tuple(map(float, p.split(","))) for p in fill.get("points").split()]
        assert CENTRE not in points and len(points) == n - len(missing)
        markers = {
            _axis((float(c.get("cx")), float(c.get("cy")))): c.find(f"{SVG}title").text
            for c in root.iter(f"{SVG}circle")
            if c.get("fill") == "#ffffff"
            and c.get("stroke") == charts.NOW
            and c.find(f"{SVG}title") is not None
            and math.dist((float(c.get("cx")), float(c.get("cy"))), CENTRE)
            == pytest.approx(charts.RADIUS, abs=0.2)
        }
        assert {axis: text.split(": ", 1)[1] for axis, text in markers.items()} == missing
        texts = _texts(root)
        assert texts.count("suppressed") == 1 and texts.count("not available") == 1
        assert (
            "Three-economy base, This period, 2026-10: suppressed: too few people to publish"
            in markers.values()
        )

    def test_the_previous_period_is_dashed_with_the_same_gaps(self):
        root = _parse(charts.radar_svg(_values()))
        runs = _outline(root, charts.BEFORE, dashed=True)
        axes = {_axis(p) for run in runs for p in run}
        assert 4 not in axes  # isolation, suppressed last period
        assert {0, 8, 9} <= axes  # published last period though not (all) this period
        assert all(CENTRE not in run for run in runs)
        dashed_markers = [
            c
            for c in root.iter(f"{SVG}circle")
            if c.get("stroke") == charts.BEFORE and c.get("fill") == "#ffffff"
        ]
        [marker] = dashed_markers
        assert _axis((float(marker.get("cx")), float(marker.get("cy")))) == 4
        assert marker.find(f"{SVG}title").text.endswith("suppressed: too few people to publish")

    def test_a_zero_score_is_drawn_at_the_centre_unlike_a_missing_one(self):
        now = dict.fromkeys(NOW, 0.5) | {"isolation": 1.0}  # isolation: 1 is the worst end
        root = _parse(charts.radar_svg(_values(now=now, before=now)))
        [run] = _outline(root, charts.NOW, dashed=False)
        assert CENTRE in run and len(run) == 10  # closed: every axis present
        assert not [
            c
            for c in root.iter(f"{SVG}circle")
            if c.get("fill") == "#ffffff"
            and c.get("stroke") == charts.NOW
            and c.find(f"{SVG}title") is not None
            and "2026-10" in c.find(f"{SVG}title").text
        ]

    def test_nothing_published_draws_no_outline(self):
        nothing = dict.fromkeys(NOW, "x")
        svg = charts.radar_svg(_values(now=nothing, before=dict.fromkeys(NOW)))
        root = _parse(svg)
        assert not [p for p in root.iter(f"{SVG}path") if p.get("stroke") in (charts.NOW, charts.BEFORE)]
        assert _texts(root).count("suppressed") == 10
        assert root.find(f"{SVG}desc").text.count("previously not available") == 10
        _assert_fit_for_a_page(svg, root)

    def test_inline_with_unique_ids(self):
        one = charts.radar_svg(_values(), inline=True, id_prefix="dna-a")
        two = charts.radar_svg(_values(name="Clapton"), inline=True, id_prefix="dna-b")
        assert one.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and "<?xml" not in one
        page = ET.fromstring(f"<div>{one}{two}</div>")
        ids = [e.get("id") for e in page.iter() if e.get("id")]
        assert ids == ["dna-a-title", "dna-a-desc", "dna-b-title", "dna-b-desc"]
        for root in page:
            _parse(ET.tostring(root, encoding="unicode"))

    @pytest.mark.parametrize("prefix", ["", "1st", 'x" onload="alert(1)', "a b"])
    def test_an_id_prefix_that_is_not_a_name_is_refused(self, prefix):
        with pytest.raises(ValueError, match="id_prefix"):
            charts.radar_svg(_values(), id_prefix=prefix)

    def test_names_are_escaped(self):
        root = _parse(charts.radar_svg(_values(name="Fish & <Chips>")))
        assert "Fish & <Chips>" in root.find(f"{SVG}title").text


SERIES = [
    {"period": "2025-10", "value": 0.1, "suppressed": False},
    {"period": "2025-11", "value": 0.13979999999999998, "suppressed": False},
    {"period": "2025-12", "value": None, "suppressed": True},
    {"period": "2026-01", "value": 0.2, "suppressed": False},
    {"period": "2026-02", "value": 0.25, "suppressed": False},
    {"period": "2026-03", "value": None, "suppressed": False},
    {"period": "2026-04", "value": 0.3, "suppressed": False},
]
MEDIAN = [0.15, 0.15, 0.16, None, 0.17, 0.18, 0.18]


class TestSeries:
    def svg(self, **kw):
        args = {"title": "Volunteering", "unit": "share", "id_prefix": "vol"} | kw
        return charts.series_svg(SERIES, MEDIAN, **args)

    def test_labelled_small_and_every_value_in_the_text(self):
        svg = self.svg()
        root = _parse(svg)
        assert svg.startswith("<svg ") and (root.get("width"), root.get("height")) == ("240", "90")
        assert root.find(f"{SVG}title").text == "Volunteering from 2025-10 to 2026-04"
        assert [root.find(f"{SVG}title").get("id"), root.find(f"{SVG}desc").get("id")] == [
            "vol-title",
            "vol-desc",
        ]
        desc = root.find(f"{SVG}desc").text
        for part in (
            "2025-10: 10%, place median 15%",
            "2025-11: 14%, place median 15%",
            "2025-12: suppressed: too few people to publish, place median 16%",
            "2026-01: 20%, place median not available",
            "2026-03: not available, place median 18%",
            "2026-04: 30%, place median 18%",
        ):
            assert part in desc
        texts = _texts(root)
        assert {"Volunteering", "2025-10", "2026-04", "10%", "30%", "place median"} <= set(texts)
        _assert_fit_for_a_page(svg, root)

    def test_no_line_across_a_gap_and_a_marker_on_the_baseline(self):
        root = _parse(self.svg())
        [line] = [p for p in root.iter(f"{SVG}path") if p.get("stroke") == charts.NOW]
        xs = sorted({float(c.get("cx")) for c in root.iter(f"{SVG}circle") if c.get("fill") == charts.NOW})
        assert len(xs) == 5  # a dot for each published value
        runs = [[xs.index(x) for x, _ in run] for run in _runs(line.get("d"))]
        assert runs == [[0, 1], [2, 3]]  # 2025-10–11 and 2026-01–02; 2026-04 alone, a dot
        [median] = [p for p in root.iter(f"{SVG}path") if p.get("stroke-dasharray") == "3 2"]
        assert len(_runs(median.get("d"))) == 2 and float(median.get("stroke-width")) < 2
        marks = {
            e.find(f"{SVG}title").text: e
            for e in root.iter()
            if e.tag in (f"{SVG}circle", f"{SVG}path")
            and e.get("fill") != charts.NOW
            and e.find(f"{SVG}title") is not None
        }
        assert set(marks) == {"2025-12: suppressed: too few people to publish", "2026-03: not available"}
        assert marks["2025-12: suppressed: too few people to publish"].tag == f"{SVG}circle"
        lowest = max(y for run in _runs(line.get("d")) for _, y in run)
        assert float(marks["2025-12: suppressed: too few people to publish"].get("cy")) > lowest

    def test_other_units_and_sizes(self):
        points = [
            {"period": f"2026-{m:02d}", "value": 12.345678 * m, "suppressed": False} for m in range(1, 4)
        ]
        svg = charts.series_svg(
            points, [None] * 3, title="Hours", unit="per_1000", id_prefix="h", width=300, height=120
        )
        root = _parse(svg)
        assert (root.get("width"), root.get("height")) == ("300", "120")
        assert "2026-03: 37.04 per 1,000, place median not available" in root.find(f"{SVG}desc").text
        assert {"12.35", "37.04", "Hours (per 1,000)"} <= set(_texts(root))
        assert "place median" not in _texts(root)  # no median, no key to it
        _assert_fit_for_a_page(svg, root)

    def test_nothing_published_and_no_points(self):
        gaps = [{"period": "2026-01", "value": None, "suppressed": True}]
        for points, median in ((gaps, [None]), ([], [])):
            svg = charts.series_svg(points, median, title="Isolation", unit="share", id_prefix="iso")
            _assert_fit_for_a_page(svg, _parse(svg))
        with pytest.raises(ValueError, match="median"):
            charts.series_svg(SERIES, [], title="Isolation", unit="share", id_prefix="iso")


ROWS = [
    {"name": "Hackney Downs", "code": "E05009373", "value": 0.4, "suppressed": False, "rag": "green"},
    {"name": "Clapton", "code": "E05009370", "value": None, "suppressed": True, "rag": None},
    {"name": "Dalston", "code": "E05009371", "value": 0.13979999999999998, "suppressed": False, "rag": "red"},
    {"name": "Homerton", "code": "E05009374", "value": None, "suppressed": False, "rag": None},
    {"name": "Victoria", "code": "E05009375", "value": 0.2, "suppressed": False, "rag": "amber"},
]


class TestRanked:
    def test_published_first_each_with_its_value_and_rating_in_words(self):
        svg = charts.ranked_svg(ROWS, title="Volunteering, 2026-10", unit="share", id_prefix="rank-vol")
        root = _parse(svg)
        texts = _texts(root)
        assert texts[1:11] == [  # name, then value and rating (or why there is none), row by row
            *("Hackney Downs", "40% · green", "Dalston", "14% · red", "Victoria", "20% · amber"),
            *("Clapton", "suppressed", "Homerton", "not available"),
        ]
        bars = root.findall(f"{SVG}rect")[1:]  # after the background
        assert [b.find(f"{SVG}title").text for b in bars] == [
            "1. Hackney Downs (E05009373): 40%, green",
            "2. Dalston (E05009371): 14%, red",
            "3. Victoria (E05009375): 20%, amber",
        ]
        assert len({b.get("fill") for b in bars}) == 3
        desc = root.find(f"{SVG}desc").text
        assert "Clapton (E05009370): suppressed: too few people to publish" in desc
        assert "Homerton (E05009374): not available" in desc
        assert root.find(f"{SVG}title").get("id") == "rank-vol-title"
        _assert_fit_for_a_page(svg, root)

    def test_negative_values_long_names_and_no_rows(self):
        rows = [
            {
                "name": "A ward with a very long name indeed, longer than most",
                "code": "E1",
                "value": -0.5,
                "suppressed": False,
                "rag": "red",
            },
            {"name": "B", "code": "E2", "value": 0.25, "suppressed": False, "rag": None},
        ]
        svg = charts.ranked_svg(rows, title="Bonding vs bridging", unit="index", id_prefix="b")
        root = _parse(svg)
        assert {"-0.5 · red", "0.25"} <= set(_texts(root))
        assert (
            "A ward with a very long name indeed, longer than most (E1): -0.5, red"
            in root.find(f"{SVG}desc").text
        )
        _assert_fit_for_a_page(svg, root)
        empty = charts.ranked_svg([], title="Nothing yet", unit="share", id_prefix="none")
        _assert_fit_for_a_page(empty, _parse(empty))


def test_charts_on_one_page_have_unique_ids():
    page = "".join(
        [
            charts.radar_svg(_values(), inline=True, id_prefix="dna"),
            charts.series_svg(SERIES, MEDIAN, title="Volunteering", unit="share", id_prefix="series-vol"),
            charts.series_svg(SERIES, MEDIAN, title="Isolation", unit="share", id_prefix="series-iso"),
            charts.ranked_svg(ROWS, title="Volunteering", unit="share", id_prefix="ranked-vol"),
        ]
    )
    ids = [e.get("id") for e in ET.fromstring(f"<main>{page}</main>").iter() if e.get("id")]
    assert len(ids) == 8 and len(set(ids)) == 8
    for svg in ET.fromstring(f"<main>{page}</main>"):
        labelled = svg.get("aria-labelledby").split()
        assert labelled == [e.get("id") for e in svg if e.get("id")]


def test_values_csv_is_unchanged():
    values = _values()
    for ind in values["indicators"]:
        ind |= {"measure": ind["code"], "numerator": None, "denominator": None, "components": []}
    values["area"]["level"] = "ward"
    lines = charts.values_csv(values).splitlines()
    assert lines[0] == ",".join(charts.CSV_COLUMNS)
    assert (
        lines[2]
        == "E05009373,ward,2026-10,cross_sector_ties,cross_sector_ties,0.13979999999999998,,,false,amber,2026-09,0.13979999999999998"
    )


class TestRangesAndReasons:
    """A figure published as a band [low, high] in place of its value (dominance in concentration),
    and a figure suppressed because one organisation or person would make up most of it."""

    def test_radar(self):
        values = _values()
        brittleness, volunteering = values["indicators"][9], values["indicators"][6]
        brittleness |= {"value": None, "band": [1500.0, 2500.0], "normalised": 0.8, "rag": "amber"}
        volunteering |= {
            "value": None,
            "suppressed": True,
            "suppressed_reason": "dominance",
            "normalised": None,
        }
        svg = charts.radar_svg(values)
        root = _parse(svg)
        desc = root.find(f"{SVG}desc").text
        assert "Brittleness: between 1,500 and 2,500 (amber), previously 2,000." in desc
        assert (
            "Volunteering: suppressed: one organisation or person would make up most of it, previously"
            in desc
        )
        assert "1,500–2,500" in _texts(root)
        [run] = _outline(root, charts.NOW, dashed=False)  # 1–5; 7 and 9 (the band's point) alone, dots
        assert [_axis(p) for p in run] == [1, 2, 3, 4, 5]
        dots = [c for c in root.iter(f"{SVG}circle") if c.get("fill") == charts.NOW]
        assert {_axis((float(c.get("cx")), float(c.get("cy")))) for c in dots} == {1, 2, 3, 4, 5, 7, 9}
        titles = [
            c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None
        ]
        assert "Volunteering, This period, 2026-10: " + charts.DOMINATED in titles
        _assert_fit_for_a_page(svg, root)

    def test_series_and_ranked(self):
        points = [*SERIES[:2], {"period": "2025-12", "value": None, "suppressed": False, "band": [0.1, 0.2]}]
        root = _parse(
            charts.series_svg(points, MEDIAN[:3], title="Volunteering", unit="share", id_prefix="v")
        )
        [bar] = [p for p in root.iter(f"{SVG}path") if p.find(f"{SVG}title") is not None]
        assert bar.find(f"{SVG}title").text == "2025-12: between 10% and 20%"
        assert "2025-12: between 10% and 20%, place median 16%" in root.find(f"{SVG}desc").text
        rows = [
            *ROWS,
            {
                "name": "Lea",
                "code": "E1",
                "value": None,
                "suppressed": False,
                "band": [0.5, 0.6],
                "rag": None,
            },
        ]
        svg = charts.ranked_svg(rows, title="Volunteering", unit="share", id_prefix="r")
        root = _parse(svg)
        assert _texts(root)[7:9] == ["Lea", "50%–60%"]  # with the published values, before the gaps
        assert len(root.findall(f"{SVG}rect")) == 1 + 4
        _assert_fit_for_a_page(svg, root)


CHROMIUM = (
    os.environ.get("KITH_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)


@pytest.mark.browser
@pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium (apt-get install chromium, or set KITH_TEST_CHROMIUM)"
)
async def test_a_page_of_charts_passes_axe():
    """The charts inline in an HTML page, as under /insights: axe-core finds nothing against WCAG 2.2 AA."""
    from axe_playwright_python.async_playwright import Axe
    from playwright.async_api import async_playwright

    values = _values()
    values["indicators"][9] |= {"value": None, "band": [1500.0, 2500.0], "normalised": 0.8}
    body = "".join(
        [
            charts.radar_svg(values, inline=True, id_prefix="dna"),
            charts.series_svg(SERIES, MEDIAN, title="Volunteering", unit="share", id_prefix="series-vol"),
            charts.ranked_svg(ROWS, title="Volunteering, 2026-10", unit="share", id_prefix="ranked-vol"),
        ]
    )
    html = f'<!doctype html><html lang="en"><head><title>Insights</title></head><body><main><h1>Insights</h1>{body}</main></body></html>'
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.set_content(html)
            assert (
                await page.get_by_role(
                    "img", name="Community DNA of Hackney Downs, 2026-10 against 2026-09"
                ).count()
                == 1
            )
            results = await Axe().run(
                page,
                options={
                    "runOnly": {
                        "type": "tag",
                        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
                    }
                },
            )
            assert not results.violations_count, results.generate_report()
        finally:
            await browser.close()
