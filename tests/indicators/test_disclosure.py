"""Disclosure control against an analyst who knows the rules and subtracts: no small count comes
out, no suppressed count can be narrowed from the figures beside it, one person's change is noise
rather than a sure step, and no organisation's share can be pinned."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from app.indicators import disclosure as dc
from app.indicators import publication

KEYS = st.integers(0, 2**32 - 1)


def _possible(stored):
    """What one published figure tells the attacker, written out plainly (not disclosure.possible):
    a withheld one, anything from 0 up (small and secondary suppressions read alike)."""
    if "s" in stored:
        return (0, math.inf)
    v = stored["v"]
    if v is None:
        return (0, math.inf)
    return (0, 0) if v == 0 else (max(8, v - 4), v + 4)


class TestCounts:
    @given(st.integers(0, 10_000), KEYS)
    def test_small_suppressed_others_perturbed_within_what_they_claim(self, n, key):
        f = dc.count(n, dc.cell_key(key))
        if 1 <= n <= 7:
            assert f.value is None and f.suppressed
        elif n == 0:
            assert f.value == 0
        else:
            assert f.value % 5 == 0 and f.value >= 10 and not f.suppressed
            low, high = _possible({"v": f.value})
            assert low <= n <= high

    @given(st.integers(8, 5000), KEYS)
    def test_the_same_people_always_give_the_same_figure(self, n, key):
        assert dc.count(n, dc.cell_key(key)) == dc.count(n, dc.cell_key(key + 2**32))

    def test_one_person_more_is_noise_not_a_sure_step(self):
        """Plain rounding turns 22 → 23 into a sure 20 → 25: the step proves who was added. Here the
        new person's key redraws the noise, so no count has a sure step."""
        rng = random.Random(29)
        for n in range(8, 130):
            steps = set()
            for _ in range(200):
                cell, person = rng.getrandbits(32), rng.getrandbits(32)
                before = dc.count(n, dc.cell_key(cell)).value
                after = dc.count(n + 1, dc.cell_key(cell + person)).value
                steps.add(after - before)
            assert 0 in steps, (n, steps)  # one more may show no change at all: never a sure step
        assert (
            dc.count(22, 0.3).value != dc.count(22, 0.9).value
            or dc.count(23, 0.3).value != dc.count(23, 0.9).value
        )


class TestSums:
    def test_fewer_than_eight_contributors_is_suppressed(self):
        assert dc.total(n=7, sum_=700, top=[100, 100], key=0.5).suppressed
        assert not dc.total(n=8, sum_=800, top=[100, 100], key=0.5).suppressed

    def test_the_p_percent_rule(self):
        # the others (beyond the two largest) give 60 < 10% of 1,000: the second could estimate it
        assert dc.total(n=8, sum_=1100, top=[1000, 40], key=0.5).reason == "dominance"
        assert dc.total(n=8, sum_=1300, top=[1000, 40], key=0.5).value is not None


class TestConcentration:
    def test_a_dominant_organisation_is_published_only_as_a_band(self):
        """Northgate's 8,320.7 over 15 organisations said one held at least 83% of the interactions."""
        loads = [2000] + [25] * 14
        f = dc.hhi(loads)
        assert f.value is None and f.reason == "dominance" and f.band == (2500.0, 10000.0)

    def test_nor_the_share_resting_on_a_single_organisation(self):
        parts = {"residents": 400, "active": 300, "single_org": 240, "org_interactions": [2000] + [25] * 14}
        figures = publication.publish_cells({("W", "2026-11"): parts}, {}, "salt")[("W", "2026-11")]
        assert figures["hhi"]["v"] is None and figures["hhi"]["b"] == [2500.0, 10000.0]
        assert figures["single_org"] == {"v": None, "s": "dominance"}

    def test_a_spread_one_is_a_value(self):
        f = dc.hhi([100, 90, 80, 70, 60, 50, 40, 30, 20, 10])
        assert f.value is not None and f.band is None and 0 < f.value < 2500

    def test_fewer_than_eight_organisations_is_suppressed(self):
        assert dc.hhi([50] * 7).suppressed


def _area_parts(rng_counts, keys):
    names = publication.PEOPLE
    parts = {name: rng_counts[name] for name in names}
    parts |= {"orgs_public": rng_counts["orgs_public"], "orgs_social": rng_counts["orgs_social"]}
    parts["orgs_commercial"] = rng_counts["orgs_commercial"]
    parts["keys"] = keys
    return parts


counts = st.fixed_dictionaries(
    {
        **{name: st.integers(0, 30) for name in publication.PEOPLE},
        "orgs_public": st.integers(0, 12),
        "orgs_social": st.integers(0, 12),
        "orgs_commercial": st.integers(0, 12),
    }
)


@st.composite
def small_wards(draw):
    """A ward partitioned by 2–4 LSOAs of few residents, each figure with its people's keys."""
    lsoas = draw(st.integers(2, 4))
    children = [draw(counts) for _ in range(lsoas)]
    keys = [{name: draw(KEYS) for name in publication.PEOPLE} for _ in range(lsoas)]
    ward = {name: sum(c[name] for c in children) for name in children[0]}
    ward_keys = {name: sum(k[name] for k in keys) % 2**32 for name in publication.PEOPLE}
    cells = {("W", "2026-11"): _area_parts(ward, ward_keys)}
    for i, (c, k) in enumerate(zip(children, keys, strict=True)):
        cells[(f"L{i}", "2026-11")] = _area_parts(c, k)
    return cells, {"W": [f"L{i}" for i in range(lsoas)]}


def _feasible(total, parts, member):
    """The range a member's true count is known to lie in from its group's published figures."""
    if member is total:
        low, high = sum(_possible(p)[0] for p in parts), sum(_possible(p)[1] for p in parts)
    else:
        low, high = _possible(total)
        for other in parts:
            if other is not member:
                o_low, o_high = _possible(other)
                low, high = low - o_high, high - o_low
    own_low, own_high = _possible(member)
    return max(low, own_low), min(high, own_high)


MONTHS = ("2026-07", "2026-08", "2026-09")
QUARTER = "2026-Q3"
# what the test simulates person by person: a month's flags, and the counts they make
FLAGS = ("active", "public_contact", "volunteers", "gave_or_received", "isolated")


# in which months a resident did each thing: often one month alone, so that months are disjoint
# and a quarter adds up to more than any of them (the harder case for the quarter's figure)
WHEN = st.sampled_from([(), (0,), (1,), (2,), (0, 1), (0, 1, 2)])


def _months_of_flags(when):
    return [{flag: m in months for flag, months in zip(FLAGS, when, strict=True)} for m in range(len(MONTHS))]


@st.composite
def small_quarters(draw):
    """A ward of 2–3 LSOAs of few residents over a quarter and its months, person by person: each
    resident with a record key and, each month, whether they were active, had contact with a
    public service, volunteered, gave or received, and were isolated (over the year to the month's
    end). A quarter's counts are the unions of its months' (isolation: its last month's), as the
    roll-up computes them, so every relation the attacker uses holds of the true counts."""
    nesting = {"W": [f"L{i}" for i in range(draw(st.integers(2, 3)))]}
    people = {
        lsoa: [
            (draw(KEYS), _months_of_flags(draw(st.lists(WHEN, min_size=len(FLAGS), max_size=len(FLAGS)))))
            for _ in range(draw(st.integers(0, 16)))
        ]
        for lsoa in nesting["W"]
    }

    def counted(members, period):
        """name → (count, key sum) of some residents in a period."""
        out = {"residents": (len(members), sum(k for k, _ in members))}
        for flag in FLAGS:
            if period != QUARTER:
                who = [k for k, months in members if months[MONTHS.index(period)][flag]]
            elif flag == "isolated":
                who = [k for k, months in members if months[-1][flag]]
            else:
                who = [k for k, months in members if any(m[flag] for m in months)]
            out[flag] = (len(who), sum(who))
        return out

    areas = {lsoa: people[lsoa] for lsoa in nesting["W"]}
    areas["W"] = [p for lsoa in nesting["W"] for p in people[lsoa]]
    cells = {}
    for period in (*MONTHS, QUARTER):
        for area, members in areas.items():
            figures = counted(members, period)
            cells[(area, period)] = {name: n for name, (n, _) in figures.items()} | {
                "keys": {name: k % 2**32 for name, (_, k) in figures.items()}
            }
    return cells, nesting


def _attacker(out, nesting):
    """Every figure's range to an analyst who downloads them all and chains every relation between
    them to a fixpoint: an area's count is its LSOAs' sum; a quarter's count of people who did
    something is at least each month's and at most their sum; a quarter's residents and isolated
    are its last month's."""
    names = ("residents", *FLAGS)
    bounds = {(cell, name): list(_possible(f[name])) for cell, f in out.items() for name in names}
    relations = []  # (kind, total, parts)
    for period in (*MONTHS, QUARTER):
        for name in names:
            relations.append(("sum", (("W", period), name), [((c, period), name) for c in nesting["W"]]))
    for area in ("W", *nesting["W"]):
        for name in names:
            if name in ("residents", "isolated"):
                relations.append(("sum", ((area, QUARTER), name), [((area, MONTHS[-1]), name)]))
            else:
                relations.append(("union", ((area, QUARTER), name), [((area, m), name) for m in MONTHS]))
    changed = True
    while changed:
        changed = False

        def narrow(var, low, high):
            nonlocal changed
            b = bounds[var]
            if low > b[0] or high < b[1]:
                b[0], b[1] = max(b[0], low), min(b[1], high)
                changed = True

        for kind, total, parts in relations:
            lows = [bounds[p][0] for p in parts]
            highs = [bounds[p][1] for p in parts]
            narrow(total, max(lows) if kind == "union" else sum(lows), sum(highs))
            t_low, t_high = bounds[total]
            for i, part in enumerate(parts):
                others_low = sum(lows) - lows[i]
                others_high = sum(highs) - highs[i]
                narrow(part, t_low - others_high, t_high if kind == "union" else t_high - others_low)
    return bounds


class TestSecondarySuppression:
    @settings(max_examples=150, deadline=None)
    @given(small_wards())
    def test_no_suppressed_count_narrows_from_its_parent_siblings_or_sibling_indicators(self, case):
        cells, nesting = case
        out = publication.publish_cells(cells, nesting, "salt")
        areas = ["W", *nesting["W"]]
        true = {a: dict(cells[(a, "2026-11")]) for a in areas}
        for a in areas:
            true[a]["orgs"] = sum(true[a][k] for k in ("orgs_public", "orgs_social", "orgs_commercial"))
        figures = {a: out[(a, "2026-11")] for a in areas}
        groups = [(("W", name), [(c, name) for c in nesting["W"]]) for name in publication.PEOPLE]
        groups += [
            ((a, "orgs"), [(a, k) for k in ("orgs_public", "orgs_social", "orgs_commercial")]) for a in areas
        ]
        for total, parts in groups:
            for member in (total, *parts):
                if 1 <= true[member[0]][member[1]] <= 7:
                    assert "s" in figures[member[0]][member[1]]
                    low, high = _feasible(
                        figures[total[0]][total[1]],
                        [figures[a][k] for a, k in parts],
                        figures[member[0]][member[1]],
                    )
                    assert low <= 1 and high >= 7, (member, total, parts, figures)

    @settings(max_examples=150, deadline=None)
    @given(small_quarters())
    def test_no_suppressed_count_narrows_from_every_figure_of_its_areas_and_periods(self, case):
        """The attacker above, over a ward, its LSOAs, a quarter and its months at once."""
        cells, nesting = case
        out = publication.publish_cells(cells, nesting, "salt")
        bounds = _attacker(out, nesting)
        for (cell, name), (low, high) in bounds.items():
            true = cells[cell][name]
            assert low <= true <= high, (cell, name, true, low, high)
            if 1 <= true <= 7:
                assert "s" in out[cell][name], (cell, name, out[cell][name])
                assert low <= 1 and high >= 7, (cell, name, true, low, high)

    def test_a_quarter_of_people_minus_its_other_months_does_not_give_away_a_small_month(self):
        """Ten volunteers in July, none in August, six others in September: the quarter's sixteen
        (published as up to 20, so at least 16) less July's (at most 14) said September had 2–7."""
        narrowing = 0
        for key in range(300):
            cells = {}
            for label, n in (("2026-07", 10), ("2026-08", 0), ("2026-09", 6), ("2026-Q3", 16)):
                cells[("W", label)] = {
                    "residents": 40,
                    "volunteers": n,
                    "keys": {"residents": 1, "volunteers": (key * 2654435761 + n) % 2**32},
                }
            out = {
                label: f["volunteers"]
                for (_, label), f in publication.publish_cells(cells, {}, "salt").items()
            }
            assert "s" in out["2026-09"]
            quarter_low = _possible(out["2026-Q3"])[0]
            others_high = _possible(out["2026-07"])[1] + _possible(out["2026-08"])[1]
            narrowing += any("s" in out[label] for label in ("2026-07", "2026-08", "2026-Q3"))
            assert quarter_low - others_high <= 1, (key, out)
        assert narrowing  # some keys needed a figure withheld (the test is not vacuous)

    def test_a_small_month_is_not_narrowed_by_what_an_earlier_revision_published(self):
        """September's revision published July (10) and August (0); October's adds September and
        Q3 (20). Had it withheld August's 0 for September, the 0 kept from September's download
        would still give September ≥ 16 − 14 − 0 = 2."""

        def cell(volunteers, key):
            return {"residents": 40, "volunteers": volunteers, "keys": {"residents": 1, "volunteers": key}}

        counts = {"2026-07": 10, "2026-08": 0, "2026-09": 6, "2026-Q3": 16}
        for key in range(300):
            keys = {label: (key * 2654435761 + n) % 2**32 for label, n in counts.items()}
            first = {("L", m): cell(counts[m], keys[m]) for m in ("2026-07", "2026-08")}
            september = publication.publish_cells(first, {}, "salt")
            cells = {("L", label): cell(n, keys[label]) for label, n in counts.items()}
            october = publication.publish_cells(cells, {}, "salt", september)

            def known(label, october=october, september=september):
                now = _possible(october[("L", label)]["volunteers"])
                if ("L", label) not in september:
                    return now
                then = _possible(september[("L", label)]["volunteers"])
                return max(now[0], then[0]), min(now[1], then[1])

            assert known("2026-Q3")[0] - known("2026-07")[1] - known("2026-08")[1] <= 1, (key, october)

    def test_a_month_of_volunteers_is_not_read_off_its_volunteers_every_month(self):
        """In a month, volunteers and volunteers every month are the same people: one withheld for
        the quarter and the other published gave the withheld one away."""
        counts = {"2026-07": 10, "2026-08": 0, "2026-09": 6, "2026-Q3": 16}
        for key in range(300):
            cells = {}
            for label, n in counts.items():
                k = (key * 2654435761 + n) % 2**32
                every = n if label != "2026-Q3" else 0
                cells[("W", label)] = {
                    "residents": 40,
                    "volunteers": n,
                    "volunteers_every_month": every,
                    "keys": {"residents": 1, "volunteers": k, "volunteers_every_month": k if every else 0},
                }
            out = {label: f for (_, label), f in publication.publish_cells(cells, {}, "salt").items()}

            def month(label, out=out):
                a = _possible(out[label]["volunteers"])
                b = _possible(out[label]["volunteers_every_month"])
                return max(a[0], b[0]), min(a[1], b[1])

            quarter_low = _possible(out["2026-Q3"]["volunteers"])[0]
            assert quarter_low - month("2026-07")[1] - month("2026-08")[1] <= 1, (key, out)

    def test_residents_only_grow_and_that_does_not_give_away_a_small_lsoa(self):
        """A has 7 residents in September and 8 in October, B 45 in both: B's September is at most
        its October, at most W's October less A's, which put A's September at 5–7."""
        for key in range(200):
            rng = random.Random(key)
            a_sep, new, b = (rng.randrange(2**32) for _ in range(3))
            a_oct = (a_sep + new) % 2**32
            cells = {}
            for month, (n_a, k_a) in {"2026-09": (7, a_sep), "2026-10": (8, a_oct)}.items():
                cells[("A", month)] = {"residents": n_a, "keys": {"residents": k_a}}
                cells[("B", month)] = {"residents": 45, "keys": {"residents": b}}
                cells[("W", month)] = {"residents": n_a + 45, "keys": {"residents": (k_a + b) % 2**32}}
            out = publication.publish_cells(cells, {"W": ["A", "B"]}, "salt")
            r = {cell: f["residents"] for cell, f in out.items()}
            assert "s" in r[("A", "2026-09")]
            b_october_high = _possible(r[("W", "2026-10")])[1] - _possible(r[("A", "2026-10")])[0]
            assert _possible(r[("W", "2026-09")])[0] - b_october_high <= 1, (key, r)

    def test_a_ward_beside_one_small_lsoa_and_a_published_sibling(self):
        """A ward's 25 volunteers minus a published sibling LSOA pinned the small ones."""
        cells = {("W", "2026-11"): {"volunteers": 25, "keys": {"volunteers": 99}}}
        for i, n in enumerate((19, 6)):
            cells[(f"L{i}", "2026-11")] = {"volunteers": n, "keys": {"volunteers": i}}
        out = publication.publish_cells(cells, {"W": ["L0", "L1"]}, "salt")
        ward, big = out[("W", "2026-11")]["volunteers"], out[("L0", "2026-11")]["volunteers"]
        assert out[("L1", "2026-11")]["volunteers"]["s"] == "confidential"
        low, high = _feasible(
            ward, [big, out[("L1", "2026-11")]["volunteers"]], out[("L1", "2026-11")]["volunteers"]
        )
        assert low <= 1 and high >= 7
        assert "s" in ward or "s" in big or (ward["v"] - 4) - (big["v"] + 4) <= 1

    def test_a_residents_count_withheld_for_a_neighbour_is_not_read_off_its_other_months(self):
        """W = 55 with L1 small and L2 withheld beside it in September; L2 published in August (45)
        and October (40) said L2 ≈ 40–45 then, and so L1 = 55 − L2 ≈ 7."""
        for key in range(200):  # cell keys for which September's L2 has to be withheld for L1
            cells = {}
            for month, (w, l1, l2) in {
                "2026-08": (57, 12, 45),
                "2026-09": (52, 7, 45),
                "2026-10": (49, 9, 40),
            }.items():
                cells[("W", month)] = {"residents": w, "keys": {"residents": (key * 2654435761 + w) % 2**32}}
                cells[("L1", month)] = {
                    "residents": l1,
                    "keys": {"residents": (key * 2246822519 + l1) % 2**32},
                }
                cells[("L2", month)] = {
                    "residents": l2,
                    "keys": {"residents": (key * 3266489917 + l2) % 2**32},
                }
            out = publication.publish_cells(cells, {"W": ["L1", "L2"]}, "salt")
            if "s" in out[("L2", "2026-09")]["residents"] and "s" not in out[("W", "2026-09")]["residents"]:
                break
        else:
            raise AssertionError("no case needed L2 withheld")
        assert all("s" in out[("L2", m)]["residents"] for m in ("2026-08", "2026-10"))
        assert all(f["v"] is None for m in ("2026-08", "2026-10") for f in out[("L2", m)].values())

    def test_an_msoa_minus_a_ward_inside_it_does_not_give_away_its_other_lsoa(self):
        """M = 150 and W = 135 (its LSOAs a subset of M's) pinned M's third LSOA, withheld, to 7."""
        counts = {"L0": 70, "L1": 65, "L2": 7}
        cells = {("M", "2026-11"): {"residents": 142, "keys": {"residents": 11}}}
        cells[("W", "2026-11")] = {"residents": 135, "keys": {"residents": 5}}
        for lsoa, n in counts.items():
            cells[(lsoa, "2026-11")] = {"residents": n, "keys": {"residents": len(lsoa) * n}}
        nesting = {"M": ["L0", "L1", "L2"], "W": ["L0", "L1"]}
        out = {a: f["residents"] for (a, _), f in publication.publish_cells(cells, nesting, "salt").items()}
        assert "s" in out["L2"]
        for total, parts in (
            (out["M"], [out["W"], out["L2"]]),
            (out["M"], [out["L0"], out["L1"], out["L2"]]),
        ):
            low, high = _feasible(total, parts, out["L2"])
            assert low <= 1 and high >= 7, out

    def test_the_organisations_total_does_not_give_away_a_sector(self):
        cells = {("W", "2026-11"): {"orgs_public": 3, "orgs_social": 9, "orgs_commercial": 8}}
        figures = publication.publish_cells(cells, {}, "salt")[("W", "2026-11")]
        assert figures["orgs_public"]["s"] == "confidential"
        low, high = _feasible(
            figures["orgs"],
            [figures[k] for k in ("orgs_public", "orgs_social", "orgs_commercial")],
            figures["orgs_public"],
        )
        assert low <= 1 and high >= 7

    def test_hours_go_with_their_volunteers_and_no_zero_beside_a_suppressed_denominator(self):
        parts = {
            "residents": 40,
            "active": 5,
            "multi_sector": 0,
            "volunteers": 5,
            "volunteer_minutes": {"n": 9, "sum": 6000, "top": [800, 700]},
        }
        figures = publication.publish_cells({("W", "2026-11"): parts}, {}, "salt")[("W", "2026-11")]
        assert figures["volunteers"]["s"] == "confidential" and "s" in figures["hours"]
        assert figures["multi_sector"] == {"v": None, "s": "confidential"}

    def test_a_month_of_hours_cannot_be_worked_out_from_its_quarter(self):
        """A quarter's hours minus two published months gave the third, withheld one, to ±12."""

        def cell(n, minutes):
            return {
                "residents": 200,
                "volunteers": 40,
                "volunteer_minutes": {"n": n, "sum": minutes, "top": [600, 600]},
            }

        cells = {
            ("W", "2026-Q3"): cell(25, 39_000),
            ("W", "2026-07"): cell(12, 13_200),
            ("W", "2026-08"): cell(5, 12_000),  # five volunteers, 200 hours: withheld
            ("W", "2026-09"): cell(12, 13_800),
        }
        out = publication.publish_cells(cells, {}, "salt")
        hours = {label: out[("W", label)]["hours"] for label in ("2026-Q3", "2026-07", "2026-08", "2026-09")}
        assert "s" in hours["2026-08"]
        low, high = _feasible(
            hours["2026-Q3"], [hours[m] for m in ("2026-07", "2026-08", "2026-09")], hours["2026-08"]
        )
        assert high - low >= 2 * 0.10 * 200  # the month's 200 hours not known within 10%

    def test_the_first_quarter_of_the_data_protects_its_months_too(self):
        """Data from August: Q3 (430 hours) minus September (230) gave August's withheld 200."""

        def cell(n, minutes):
            return {
                "residents": 200,
                "volunteers": 40,
                "volunteer_minutes": {"n": n, "sum": minutes, "top": [600, 600]},
            }

        cells = {
            ("W", "2026-Q3"): cell(17, 25_800),
            ("W", "2026-08"): cell(5, 12_000),
            ("W", "2026-09"): cell(12, 13_800),
        }
        out = publication.publish_cells(cells, {}, "salt")
        hours = {label: out[("W", label)]["hours"] for label in ("2026-Q3", "2026-08", "2026-09")}
        assert "s" in hours["2026-08"]
        low, high = _feasible(hours["2026-Q3"], [hours["2026-08"], hours["2026-09"]], hours["2026-08"])
        assert high - low >= 2 * 0.10 * 200

    def test_a_figure_withheld_for_dominance_is_protected_like_any(self):
        """W's single-organisation share, withheld for dominance, was W's LSOAs' 140 + 100 ± 8."""
        dominated = {"org_interactions": [2000] + [25] * 14}
        cells = {("W", "2026-11"): {"residents": 600, "active": 500, "single_org": 240, **dominated}}
        for lsoa, n in (("L1", 140), ("L2", 100)):
            cells[(lsoa, "2026-11")] = {"residents": 300, "active": 250, "single_org": n}
        out = publication.publish_cells(cells, {"W": ["L1", "L2"]}, "salt")
        w, l1, l2 = (out[(a, "2026-11")]["single_org"] for a in ("W", "L1", "L2"))
        assert w == {"v": None, "s": "dominance"}
        low, high = _feasible(w, [l1, l2], w)
        assert high - low >= 2 * 0.10 * 240, (w, l1, l2)

    def test_an_area_of_few_residents_publishes_nothing_not_even_a_zero(self):
        """Active 0 beside residents 1–7 said that none of them did anything that month."""
        parts = {
            "residents": 5,
            "active": 0,
            "orgs_public": 9,
            "ei_external": 12,
            "org_interactions": [3] * 9,
        }
        figures = publication.publish_cells({("L", "2026-11"): parts}, {}, "salt")[("L", "2026-11")]
        assert all("s" in f and f["v"] is None for f in figures.values()), figures


class TestMeasures:
    @settings(max_examples=100, deadline=None)
    @given(counts)
    def test_rates_come_from_published_figures_and_the_same_input_publishes_the_same(self, c):
        cells = {("W", "2026-11"): _area_parts(c, {})}
        first = publication.publish_cells(cells, {}, "salt")
        assert first == publication.publish_cells(cells, {}, "salt")
        _, measures = publication.measures(first[("W", "2026-11")])
        for indicator in measures.values():
            for m in indicator:
                if m["suppressed"]:
                    assert m["value"] is None and m["suppressed_reason"]
                elif m["value"] is not None and m["numerator"] is not None and m["denominator"]:
                    rate = m["numerator"] / m["denominator"]
                    expected = {"e_i_index": 2 * rate - 1}.get(m["name"], rate)
                    scale = 1000 if m["name"].endswith("per_1000") else 1
                    assert abs(m["value"] - expected * scale) < 1e-3
                    assert m["value"] == round(m["value"], 4)
