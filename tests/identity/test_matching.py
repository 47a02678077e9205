"""The comparison and decision rules, on hand-made pairs."""

from __future__ import annotations

import itertools
from datetime import date

from app.identity.matching import Parameters, Profile, compare, decide, estimate_parameters, probe_keys, score
from app.identity.normalise import address_line_key, name_fold, name_key

P = Parameters()


def profile(given, family, dob=None, postcode=None, email=None, phone=None, line1=None, town=None, uprn=None):
    return Profile(
        name_key(given),
        name_key(family),
        date.fromisoformat(dob) if dob else None,
        postcode,
        email,
        phone,
        address_line_key(line1),
        name_fold(town) if town else None,
        uprn,
    )


ROBERT = profile("Robert", "Hughes", "1970-05-04", "RS1 2AB", "rob.hughes@example.org", "+447911123456")


def status(a: Profile, b: Profile) -> str:
    return decide(score(a, b, P), 0.99, 0.80)


class TestComparisonLevels:
    def test_nickname(self):
        assert compare(ROBERT, profile("Bob", "Hughes"))["given"] == "nickname"
        assert compare(profile("Peggy", "X"), profile("Margaret", "X"))["given"] == "nickname"

    def test_typo_is_close(self):
        assert compare(ROBERT, profile("Robret", "Hughs"))["given"] == "close"
        assert compare(ROBERT, profile("Robret", "Hughs"))["family"] == "close"

    def test_swapped_names(self):
        levels = compare(ROBERT, profile("Hughes", "Robert"))
        assert (levels["given"], levels["family"]) == ("exact", "exact")

    def test_partial_dates(self):
        assert (
            compare(ROBERT, profile("Robert", "Hughes", "1970-04-05"))["dob"] == "swapped"
        )  # day/month swapped
        assert compare(ROBERT, profile("Robert", "Hughes", "1971-05-04"))["dob"] == "partial"
        assert compare(ROBERT, profile("Robert", "Hughes", "1907-05-04"))["dob"] == "swapped"  # 70 → 07
        assert compare(ROBERT, profile("Robert", "Hughes", "1985-11-20"))["dob"] == "different"

    def test_an_initial_is_its_own_level(self):
        assert compare(ROBERT, profile("R", "Hughes"))["given"] == "initial"
        assert compare(ROBERT, profile("J", "Hughes"))["given"] == "different"

    def test_address_levels(self):
        home = profile("Robert", "Hughes", postcode="RS1 2AB", line1="Flat 2, 14 Park Road", town="Leeds")
        same = profile("Bob", "Hughes", postcode="RS1 2AB", line1="flat 2 14 park rd.", town="LEEDS")
        assert compare(home, same)["address"] == "exact"
        # another flat of the building (or the number mistyped): the postcode's evidence alone
        assert (
            compare(home, profile("R", "H", postcode="RS1 2AB", line1="Flat 3, 14 Park Road"))["address"]
            == "postcode"
        )
        # the postcode mistyped (into another sector): the house in the same district still agrees
        moved = profile("R", "H", postcode="RS1 5AB", line1="Flat 2, 14 Park Road")
        assert compare(home, moved)["address"] == "line"
        assert compare(home, profile("R", "H", postcode="RS1 2AB"))["address"] == "postcode"
        assert (
            compare(home, profile("R", "H", postcode="RS1 2AB", line1="PO Box 17"))["address"] == "postcode"
        )
        assert (
            compare(home, profile("R", "H", postcode="RS1 2AB", line1="9 Mill Lane"))["address"] == "sector"
        )
        assert compare(home, profile("R", "H", postcode="RS1 2AD"))["address"] == "sector"
        assert (
            compare(home, profile("R", "H", postcode="LS9 1QQ", line1="14 Park Road"))["address"]
            == "different"
        )
        assert compare(home, profile("R", "H"))["address"] is None
        with_uprn = profile("R", "H", postcode="RS1 2AB", uprn="100023336956")
        assert (
            compare(with_uprn, profile("R", "H", postcode="LS9 1QQ", uprn="100023336956"))["address"]
            == "uprn"
        )

    def test_missing_is_neutral(self):
        s = score(ROBERT, profile("Robert", "Hughes"), P)
        assert s.levels["dob"] is None and s.weights["dob"] == 0


class TestDecisions:
    def test_same_person_from_another_source(self):
        other = profile("Bob", "Hughes", "1970-05-04", "RS1 2AB", None, "+447911123456")
        assert status(ROBERT, other) == "matched"

    def test_moved_house_without_contact_details_still_matches(self):
        assert status(ROBERT, profile("Robert", "Hughes", "1970-05-04", "LS9 1QQ")) == "matched"

    def test_twin_is_never_auto_matched(self):
        twin = profile("Richard", "Hughes", "1970-05-04", "RS1 2AB", None, "+447911123456")
        assert status(ROBERT, twin) == "review"

    def test_twin_without_an_address_is_never_auto_matched_either(self):
        assert status(ROBERT, profile("Richard", "Hughes", "1970-05-04")) != "matched"

    def test_a_given_name_beside_a_birthday_one_slip_away_is_weighed_not_ruled(self):
        # A middle name used, the birthday's digits transposed: no household or twin shows this.
        assert score(ROBERT, profile("Alan", "Hughes", "1970-04-05", "RS1 2AB"), P).rule is None
        twin = profile("Alan", "Hughes", "1970-05-04", "RS1 2AB")
        assert score(ROBERT, twin, P).rule == "review_only"  # the same birthday: a twin may be
        sibling = profile("Alan", "Hughes", "1970-05-07", "RS1 2AB")
        assert score(ROBERT, sibling, P).rule == "review_only"  # a digit away: a sibling may be

    def test_household_member_is_a_new_person(self):
        child = profile("Chloe", "Hughes", "2001-09-30", "RS1 2AB", None, "+447911123456")
        assert status(ROBERT, child) == "created"

    def test_namesake_elsewhere_is_a_new_person(self):
        assert status(ROBERT, profile("Robert", "Hughes", "1988-02-17", "M1 1AE")) == "created"


class TestBlocking:
    def test_nickname_and_swap_variants_are_probed(self):
        stored = {key for _, key in probe_keys(ROBERT)}
        bob = profile("Bob", "Hughes", "1970-05-04")
        swapped = profile("Hughes", "Robert", "1970-05-04")
        assert stored & {key for _, key in probe_keys(bob)}
        assert stored & {key for _, key in probe_keys(swapped)}


class TestEstimation:
    def test_em_learns_that_agreement_means_match(self):
        people = [
            profile(g, f, f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}", f"RS{i % 9} 2AB", f"p{i}@example.org")
            for i, (g, f) in enumerate(
                [("Ann", "Lee"), ("Bill", "Khan"), ("Cath", "Shaw"), ("Dev", "Patel")] * 25
            )
        ]
        matches = [(p, Profile(p.given, p.family, p.dob, p.postcode, None, None)) for p in people]
        non_matches = [(a, b) for a, b in itertools.pairwise(people) if a != b]
        random_pairs = [(a, b) for a in people[:30] for b in people[30:60]]
        params = estimate_parameters([(frozenset({"email"}), matches + non_matches)], random_pairs)
        assert params.source == "estimated"
        for attr in ("given", "family", "dob"):
            assert params.m[attr]["exact"] > params.u[attr]["exact"]
            assert abs(sum(params.m[attr].values()) - 1) < 1e-9


class TestRank:
    def test_rank_orders_pairs_exactly_as_score_does(self):
        from app.bench import synthetic
        from app.identity.matching import rank

        recs = synthetic.records(synthetic.people(300, seed=4), n_sources=3, duplicates=0.6, seed=4)
        profiles = []
        for r in recs:
            p = r.as_payload()
            profiles.append(
                profile(
                    p.get("given_name"),
                    p.get("family_name"),
                    p.get("date_of_birth"),
                    (p.get("address") or {}).get("postcode"),
                    p.get("email"),
                )
            )
        params = Parameters()
        rules = {"distinct": 0, "review_only": 1, None: 2}
        distinct = 0
        for a, b in itertools.islice(itertools.combinations(profiles, 2), 20_000):
            s = score(a, b, params)
            if s.rule == "distinct":  # ranked by names and birthday alone, below every other pair
                w = s.weights
                assert rank(a, b, params) == (0, w["given"] + w["family"] + w["dob"])
                distinct += 1
            else:
                assert rank(a, b, params) == (rules[s.rule], s.match_weight)
        assert distinct
