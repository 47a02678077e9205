"""Disclosure control: what the indicators API publishes can never reveal a small count."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.indicators import disclosure as dc
from app.indicators import publication

COUNT_KEYS = (
    "residents", "active", "orgs_public", "orgs_social", "orgs_commercial", "ties_total", "ties_cross",
    "multi_sector", "public_contact", "ei_external", "ei_internal", "isolated", "gave_or_received",
    "gave_and_received", "volunteers", "volunteers_every_month", "repeat3", "prev_active", "retained",
    "single_org",
)  # fmt: skip

small = st.integers(min_value=0, max_value=60)
sums = st.fixed_dictionaries(
    {"n": st.integers(0, 12), "sum": st.integers(0, 5000), "largest": st.integers(0, 5000)}
).map(lambda d: {**d, "largest": min(d["largest"], d["sum"])})
parts = st.fixed_dictionaries(
    {
        **{k: small for k in COUNT_KEYS},
        "volunteer_minutes": sums,
        "lm_r1": sums,
        "lm_r2": sums,
        "lm_r3": sums,
        "org_interactions": st.lists(st.integers(1, 400), max_size=12).map(lambda x: sorted(x, reverse=True)),
    }
)


def _published_figures(residents, measures):
    yield residents.value
    for indicator in measures.values():
        for m in indicator:
            yield m["numerator"]
            yield m["denominator"]


class TestCounts:
    @given(st.integers(0, 10_000))
    def test_a_count_is_suppressed_or_a_multiple_of_five(self, n):
        f = dc.count(n)
        if 1 <= n <= 7:
            assert f.value is None and f.suppressed
        else:
            assert f.value % 5 == 0 and abs(f.value - n) <= 2.5 and not f.suppressed

    def test_boundaries(self):
        assert [dc.count(n).value for n in (0, 7, 8, 12, 13)] == [0, None, 10, 10, 15]


class TestSums:
    def test_fewer_than_three_contributors_is_suppressed(self):
        assert dc.total([40, 40]).suppressed
        assert dc.total([40, 40, 40]).value == 120

    def test_one_contributor_over_half_is_suppressed(self):
        assert dc.total([60, 20, 19]).suppressed
        assert dc.total([50, 30, 20]).value == 100


class TestPublication:
    @settings(max_examples=300, deadline=None)
    @given(parts)
    def test_no_published_count_is_small_and_rates_come_from_published_figures(self, p):
        residents, measures = publication.publish(p)
        for figure in _published_figures(residents, measures):
            assert figure is None or (figure % 5 == 0 and not 0 < abs(figure) < 8), figure
        for code, indicator in measures.items():
            for m in indicator:
                if m["suppressed"]:
                    assert m["value"] is None
                elif m["value"] is not None and m["numerator"] is not None and m["denominator"]:
                    rate = m["numerator"] / m["denominator"]
                    expected = {"e_i_index": 2 * rate - 1}.get(m["name"], rate)
                    scale = 1000 if m["name"].endswith("per_1000") else 1
                    assert abs(m["value"] - expected * scale) < 1e-3, (code, m)

    @settings(max_examples=100, deadline=None)
    @given(parts)
    def test_the_same_figures_always_publish_the_same(self, p):
        assert publication.publish(p) == publication.publish(dict(p))

    @given(parts)
    def test_a_part_suppressed_suppresses_the_rate(self, p):
        p = {**p, "residents": 5}
        _, measures = publication.publish(p)
        assert measures["isolation"][0]["suppressed"] and measures["isolation"][0]["value"] is None
