"""Probabilistic record linkage in the Fellegi–Sunter style, as Splink does it.

A record's *profile* is the folded form of the attributes that identify a person. Candidates are
found through *blocking keys* kept in indexed columns (several tight keys rather than one loose
one, so that a typo in any single attribute still leaves a key that agrees). Each candidate pair is
compared attribute by attribute into a *comparison level* (exact / close / different / missing);
each level carries m (how often true matches show it) and u (how often non-matches do), and the
match weight is the sum of log2(m/u). m and u start from sensible defaults and are re-estimated
from the data by expectation–maximisation (:func:`estimate_parameters`).

Fellegi–Sunter assumes attributes disagree independently, which households break: parents,
children and twins share surname, address and landline. So on top of the weights, two
*disagreement rules* say what no weight can outvote: a clear given-name disagreement together with a
clear date-of-birth disagreement is a different person (a household); a given name that clearly
differs where the birthday agrees (a twin), or a birthday that clearly differs where the names
agree, can at most be a review (:func:`_rule_index`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import jellyfish
from nicknames import NickNamer
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Levenshtein

ATTRIBUTES = ("given", "family", "dob", "address", "email", "phone")
LEVELS: dict[str, tuple[str, ...]] = {
    "given": ("exact", "nickname", "close", "initial", "different"),
    "family": ("exact", "close", "different"),
    # swapped: two digits next to each other transposed, or day and month swapped (a slip no two
    # people's birthdays show); partial: one digit mistyped, or one part of the date off.
    "dob": ("exact", "swapped", "partial", "different"),
    # uprn: the same property reference; exact: postcode and house number and street; postcode: the
    # postcode, lines not both known; line: house number and street in the same town or district
    # with the postcode mistyped; sector: the postcode's sector (or the postcode, another house).
    "address": ("uprn", "exact", "postcode", "line", "sector", "different"),
    "email": ("exact", "local", "different"),
    "phone": ("exact", "different"),
}

# Defaults, from what UK administrative data usually shows; estimate_parameters() refines them.
DEFAULT_M: dict[str, dict[str, float]] = {
    "given": {"exact": 0.80, "nickname": 0.07, "close": 0.08, "initial": 0.02, "different": 0.03},
    "family": {"exact": 0.88, "close": 0.09, "different": 0.03},
    "dob": {"exact": 0.93, "swapped": 0.02, "partial": 0.03, "different": 0.02},
    "address": {
        "uprn": 0.05,
        "exact": 0.55,
        "postcode": 0.12,
        "line": 0.03,
        "sector": 0.03,
        "different": 0.22,
    },
    "email": {"exact": 0.85, "local": 0.05, "different": 0.10},
    "phone": {"exact": 0.85, "different": 0.15},
}
DEFAULT_U: dict[str, dict[str, float]] = {
    "given": {"exact": 0.02, "nickname": 0.002, "close": 0.005, "initial": 0.001, "different": 0.972},
    "family": {"exact": 0.006, "close": 0.003, "different": 0.991},
    "dob": {"exact": 0.00004, "swapped": 0.00004, "partial": 0.00036, "different": 0.99956},
    "address": {
        "uprn": 0.000005,
        "exact": 0.00002,
        "postcode": 0.0003,
        "line": 0.00002,
        "sector": 0.003,
        "different": 0.996655,
    },
    "email": {"exact": 0.00001, "local": 0.00002, "different": 0.99997},
    "phone": {"exact": 0.0002, "different": 0.9998},
}

_nicknames = NickNamer()


@dataclass(frozen=True, slots=True)
class Profile:
    """The identifying attributes of one record, folded for comparison."""

    given: str | None = None
    family: str | None = None
    dob: date | None = None
    postcode: str | None = None
    email: str | None = None
    phone: str | None = None
    line: str | None = None  # house number and street (identity.normalise.address_line_key)
    town: str | None = None  # folded
    uprn: str | None = None


@lru_cache(maxsize=200_000)
def phonetic(name: str) -> str:
    return jellyfish.nysiis(name) or name


@lru_cache(maxsize=100_000)
def name_variants(given: str) -> frozenset[str]:
    """The name with its nicknames and the names it is a nickname of (Bob ↔ Robert)."""
    return frozenset({given} | _nicknames.nicknames_of(given) | _nicknames.canonicals_of(given))


@lru_cache(maxsize=100_000)
def _variant_codes(given: str) -> frozenset[str]:
    """The phonetic codes of a given name and of its nickname variants."""
    return frozenset(phonetic(variant) for variant in name_variants(given))


def blocking_keys(p: Profile) -> dict[str, str | None]:
    """The keys stored with a record (each in its own indexed column)."""
    pf = phonetic(p.family) if p.family else None
    pg = phonetic(p.given) if p.given else None
    dob = p.dob.isoformat() if p.dob else None
    area = p.postcode.split(" ")[0] if p.postcode else None
    return {
        "bk_dob_family": f"{dob}|{pf}" if dob and pf else None,
        "bk_dob_given": f"{dob}|{pg}" if dob and pg else None,
        "bk_names_area": f"{pg}|{pf}|{area}" if pg and pf and area else None,
        "bk_email": p.email,
        "bk_phone": p.phone,
        # Keys that survive two of the main fields corrupted or missing: each leaves out a name and
        # the date of birth, and a postcode unit holds a few dozen people. (Tried and dropped: both
        # names' codes without an address — at 1,000,000 people the commonest pairs gather
        # hundreds and batches fell to a fifth of their speed; the date of birth with the district
        # — what it finds has both names wrong, which can only ever be a review.)
        "bk_family_postcode": f"{pf}|{p.postcode}" if pf and p.postcode else None,
        "bk_given_postcode": f"{pg}|{p.postcode}" if pg and p.postcode else None,
        # The house (number and street) in its postcode district: no name and no date of birth,
        # and it survives a postcode mistyped; a house holds a household, so the key stays small.
        "bk_line_district": f"{p.line}|{area}" if p.line and area and p.line[0] != "|" else None,
    }


def placeholder_dob(d: date) -> bool:
    """A date of birth a case system puts where it has none (1900-01-01, the 1st of January)."""
    return d.year <= 1900 or (d.month == 1 and d.day == 1)


def probe_keys(p: Profile, own: dict[str, str | None] | None = None) -> set[tuple[str, str]]:
    """(column, key) pairs to look a record up by: its own keys; the name-and-area key again with the
    given name's nickname variants (with the date of birth, the date-and-surname key already finds
    a nickname); and the keys with given and family names swapped. Each extra key costs an index
    probe per record, so only those that find what the others miss are added. ``own``: the
    record's :func:`blocking_keys`, where the caller has them already."""
    own = blocking_keys(p) if own is None else own
    probes = {(column, key) for column, key in own.items() if key is not None}
    if p.given and p.family:
        pf = phonetic(p.family)
        area = p.postcode.split(" ")[0] if p.postcode else None
        if area:
            probes.update(("bk_names_area", f"{code}|{pf}|{area}") for code in _variant_codes(p.given))
        if p.family != p.given:  # the keys blocking_keys gives the record with its names swapped
            pg = phonetic(p.given)
            if p.dob:
                probes.add(("bk_dob_family", f"{p.dob.isoformat()}|{pg}"))
            if area:
                probes.add(("bk_names_area", f"{pf}|{pg}|{area}"))
            if p.postcode:
                probes.add(("bk_family_postcode", f"{pg}|{p.postcode}"))
                probes.add(("bk_given_postcode", f"{pf}|{p.postcode}"))
    return probes


# The name comparisons are cached: names repeat (a batch compares the same common given names
# thousands of times), and Jaro–Winkler with edit distance is most of what comparing costs.
@lru_cache(maxsize=1 << 18)
def _compare_given(a: str | None, b: str | None) -> str | None:
    if not a or not b:
        return None
    if a == b:
        return "exact"
    if b in name_variants(a) or a in name_variants(b):
        return "nickname"
    if _close(a, b):
        return "close"
    if (len(a) == 1 or len(b) == 1) and a[0] == b[0]:
        return "initial"  # "J" for John
    return "different"


def _close(a: str, b: str) -> bool:
    if JaroWinkler.similarity(a, b) >= 0.92:
        return True
    if min(len(a), len(b)) >= 4 and Levenshtein.distance(a, b) <= 1:
        return True
    # one part of a double-barrelled name ("smithjones" / "smith")
    return min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a) or a.endswith(b) or b.endswith(a))


@lru_cache(maxsize=1 << 18)
def _compare_family(a: str | None, b: str | None) -> str | None:
    if not a or not b:
        return None
    if a == b:
        return "exact"
    return "close" if _close(a, b) else "different"


@lru_cache(maxsize=1 << 16)
def _digits(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"  # (strftime costs four times as much)


def _compare_dob(a: date | None, b: date | None) -> str | None:
    if a is None or b is None:
        return None
    if a == b:
        return "exact"
    if placeholder_dob(a) or placeholder_dob(b):
        return None  # a placeholder says nothing either way
    x, y = _digits(a), _digits(b)
    if DamerauLevenshtein.distance(x, y) <= 1:
        # one digit mistyped, or two next to each other transposed (the same digits)
        return "swapped" if sorted(x) == sorted(y) else "partial"
    same = (a.year == b.year) + (a.month == b.month) + (a.day == b.day)
    if same == 2:
        if (
            a.year != b.year
            and abs(a.year - b.year) != 1
            and Levenshtein.distance(str(a.year), str(b.year)) > 1
        ):
            return "different"
        return "partial"
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return "swapped"  # day and month transposed
    return "different"


def _compare_address(a: Profile, b: Profile) -> str | None:
    if a.uprn and b.uprn:
        if a.uprn == b.uprn:
            return "uprn"
        if a.postcode != b.postcode:
            return "different"
    lines = a.line is not None and b.line is not None
    if a.postcode and b.postcode and a.postcode == b.postcode:
        if not lines or a.line == b.line:
            return "exact" if lines else "postcode"
        # the same postcode, another house (or the number mistyped)
        return "postcode" if a.line.split("|", 1)[1] == b.line.split("|", 1)[1] else "sector"  # type: ignore[union-attr]
    if lines and a.line == b.line and a.line.split("|", 1)[0]:  # type: ignore[union-attr]
        if (a.postcode and b.postcode and a.postcode.split(" ")[0] == b.postcode.split(" ")[0]) or (
            a.town and a.town == b.town
        ):
            return "line"  # the same house, the postcode mistyped (or missing)
    if not a.postcode or not b.postcode:
        return None
    return "sector" if a.postcode[:-2] == b.postcode[:-2] else "different"


def _compare_email(a: str | None, b: str | None) -> str | None:
    if not a or not b:
        return None
    if a == b:
        return "exact"
    return "local" if a.split("@", 1)[0] == b.split("@", 1)[0] else "different"


def _compare_phone(a: str | None, b: str | None) -> str | None:
    if not a or not b:
        return None
    return "exact" if a == b else "different"


_RANK = {"exact": 3, "nickname": 2, "close": 2, "initial": 1, "different": 0, None: 1}


def _names(a: Profile, b: Profile) -> tuple[str | None, str | None]:
    """The given and family names' levels, in whichever orientation agrees better (given and
    family names get swapped)."""
    given, family = _compare_given(a.given, b.given), _compare_family(a.family, b.family)
    if given == "different" or family == "different":  # only then can the swapped orientation agree better
        swapped = (_compare_given(a.given, b.family), _compare_family(a.family, b.given))
        if _RANK[swapped[0]] + _RANK[swapped[1]] > _RANK[given] + _RANK[family] + 1:
            given, family = swapped
    return given, family


def levels(a: Profile, b: Profile) -> tuple[str | None, ...]:
    """The comparison level of each attribute, in ATTRIBUTES order (None where either side lacks
    it), with the names in whichever orientation agrees better."""
    given, family = _names(a, b)
    return (
        given,
        family,
        _compare_dob(a.dob, b.dob),
        _compare_address(a, b),
        _compare_email(a.email, b.email),
        _compare_phone(a.phone, b.phone),
    )


def compare(a: Profile, b: Profile) -> dict[str, str | None]:
    """:func:`levels` by attribute name."""
    return dict(zip(ATTRIBUTES, levels(a, b), strict=True))


@dataclass
class Parameters:
    m: dict[str, dict[str, float]] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_M.items()})
    u: dict[str, dict[str, float]] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_U.items()})
    prior: float = 1e-4  # probability that a blocked candidate pair is a match, before comparing
    source: str = "defaults"

    def weight(self, attribute: str, level: str | None) -> float:
        if level is None:
            return 0.0
        return math.log2(self.m[attribute][level] / self.u[attribute][level])

    @property
    def weights(self) -> dict[str, dict[str | None, float]]:
        """log2(m/u) for every attribute and level (None: missing, weight 0), computed once."""
        table = self.__dict__.get("_weights")
        if table is None:
            table = {a: {None: 0.0, **{lv: self.weight(a, lv) for lv in LEVELS[a]}} for a in ATTRIBUTES}
            self.__dict__["_weights"] = table
        return table

    def to_json(self) -> dict:
        return {"m": self.m, "u": self.u, "prior": self.prior, "source": self.source}

    @classmethod
    def from_json(cls, data: dict) -> Parameters:
        """Parameters as stored; an attribute or level they do not have (stored before it was
        compared) takes its default, an attribute they have that is no longer compared is ignored."""
        m, u = {}, {}
        for attr in ATTRIBUTES:
            stored_m, stored_u = data["m"].get(attr), data["u"].get(attr)
            complete = all(level in (stored_m or {}) and level in (stored_u or {}) for level in LEVELS[attr])
            m[attr] = dict(stored_m) if complete else dict(DEFAULT_M[attr])  # type: ignore[arg-type]
            u[attr] = dict(stored_u) if complete else dict(DEFAULT_U[attr])  # type: ignore[arg-type]
        return cls(m=m, u=u, prior=data["prior"], source=data.get("source", "estimated"))


@dataclass(frozen=True)
class Scored:
    levels: dict[str, str | None]
    weights: dict[str, float]
    match_weight: float
    probability: float
    rule: str | None  # a disagreement rule that applies: "distinct" or "review_only"

    def explanation(self) -> dict:
        levels, weights = self.levels, self.weights
        return {
            "attributes": {a: _explained(levels[a], weights[a]) for a in ATTRIBUTES},
            "match_weight": round(self.match_weight, 3),
            "probability": round(self.probability, 6),
            "rule": self.rule,
        }


@lru_cache(maxsize=4096)
def _explained(level: str | None, weight: float) -> dict:
    """One attribute's part of an explanation. Shared between explanations (a batch explains
    thousands of decisions from a score table of a few dozen entries): never to be changed."""
    return {"level": level, "weight": round(weight, 3)}


def score(a: Profile, b: Profile, params: Parameters) -> Scored:
    found = compare(a, b)
    table = params.weights
    weights = {attr: table[attr][level] for attr, level in found.items()}
    total = sum(weights.values())
    log_prior = math.log2(params.prior / (1 - params.prior))
    probability = 1.0 / (1.0 + 2.0 ** -(total + log_prior))
    return Scored(found, weights, total, probability, _RULES[_rule_index(found["given"], found["dob"])])


def rank(a: Profile, b: Profile, params: Parameters) -> tuple[int, float]:
    """How well ``b`` matches ``a``, as :func:`score` would rank it — a disagreement rule first,
    then the match weight — without building the explanation (batches compare tens of thousands
    of pairs and explain only the best of each). A pair clearly two people (a household's: given
    name and birthday both differ) is ranked by names and birthday alone: whatever else agrees, it
    ranks below every other pair, and most candidates a household's address finds are such."""
    given, family = _names(a, b)
    dob = _compare_dob(a.dob, b.dob)
    table = params.weights
    total = table["given"][given] + table["family"][family] + table["dob"][dob]
    rule = _rule_index(given, dob)
    if rule == 0:
        return (0, total)
    return (
        rule,
        total
        + table["address"][_compare_address(a, b)]
        + table["email"][_compare_email(a.email, b.email)]
        + table["phone"][_compare_phone(a.phone, b.phone)],
    )


_RULES = ("distinct", "review_only", None)


def _rule_index(given: str | None, dob: str | None) -> int:
    """Which disagreement rule a pair falls under (an index into _RULES; higher ranks better).

    A household shares a family name and an address but not given names or birthdays: a clear
    disagreement of both is a different person, whatever else agrees. Twins share the birthday
    too, so a given name that clearly differs where the birthday agrees or is unknown can at most
    be a review (the middle name used is indistinguishable from a twin), and so can one beside a
    birthday a digit away (a sibling born on the 12th and another on the 15th); so can a birthday
    that clearly differs where the names agree (a namesake: a parent and a child, or a date of
    birth badly wrong). A given name that differs beside a birthday with two digits transposed or
    day and month swapped is what a household or a twin never shows: the weights decide."""
    if given == "different":
        return 0 if dob == "different" else 2 if dob == "swapped" else 1
    return 1 if dob == "different" else 2


def decide(best: Scored | None, match_threshold: float, review_threshold: float) -> str:
    """created, matched or review, for the best-scoring candidate (None: no candidate)."""
    if best is None or best.rule == "distinct" or best.probability < review_threshold:
        return "created"
    if best.probability >= match_threshold and best.rule is None:
        return "matched"
    return "review"


def estimate_parameters(
    sessions: Sequence[tuple[frozenset[str], Sequence[tuple[Profile, Profile]]]],
    random_pairs: Sequence[tuple[Profile, Profile]],
    start: Parameters | None = None,
    iterations: int = 25,
) -> Parameters:
    """Estimate u from random pairs (nearly all non-matches), and m by expectation–maximisation
    over blocked candidate pairs, as Splink does: one EM session per blocking rule, each leaving out
    the attributes its rule blocked on (pairs that were chosen for agreeing on them say nothing
    about how often true matches agree), the estimates of each attribute averaged over the sessions
    that could estimate it. Pairs are reduced to comparison patterns first, so an iteration costs
    the number of distinct patterns, not of pairs."""
    params = start or Parameters()
    smoothing = 1.0
    u_counts = {a: Counter() for a in ATTRIBUTES}
    for x, y in random_pairs:
        for attr, level in compare(x, y).items():
            if level is not None:
                u_counts[attr][level] += 1
    u = {attr: _observed(u_counts[attr], params.u[attr]) for attr in ATTRIBUTES}

    estimates: dict[str, list[dict[str, float]]] = {a: [] for a in ATTRIBUTES}
    for blocked, pairs in sessions:
        free = [a for a in ATTRIBUTES if a not in blocked]
        patterns = Counter(tuple(compare(x, y)[a] for a in free) for x, y in pairs)
        if not patterns:
            continue
        m = {attr: dict(params.m[attr]) for attr in free}
        prior = 0.5
        for _ in range(iterations):
            m_counts = {a: dict.fromkeys(LEVELS[a], smoothing) for a in free}
            total_p = 0.0
            for pattern, count in patterns.items():
                lm, lu = math.log(prior), math.log(1 - prior)
                for attr, level in zip(free, pattern, strict=True):
                    if level is not None:
                        lm += math.log(m[attr][level])
                        lu += math.log(u[attr][level])
                p = 1.0 / (1.0 + math.exp(min(lu - lm, 700)))
                total_p += p * count
                for attr, level in zip(free, pattern, strict=True):
                    if level is not None:
                        m_counts[attr][level] += p * count
            m = {attr: _normalised(m_counts[attr]) for attr in free}
            prior = min(max(total_p / sum(patterns.values()), 1e-6), 0.999)
        observed = {a: Counter() for a in free}
        for pattern, count in patterns.items():
            for attr, level in zip(free, pattern, strict=True):
                if level is not None:
                    observed[attr][level] += count
        for attr in free:
            # A level the pairs never showed keeps its prior value (EM's smoothing would otherwise
            # set it from nothing: an attribute no record holds would end with m = u, weight 0).
            estimates[attr].append(_kept_unobserved(m[attr], observed[attr], params.m[attr]))
    m_final = {
        attr: _normalised({lv: sum(e[lv] for e in estimates[attr]) for lv in LEVELS[attr]})
        if estimates[attr]
        else dict(params.m[attr])
        for attr in ATTRIBUTES
    }
    return Parameters(m=m_final, u=u, prior=params.prior, source="estimated")


# Fewer observations than this of a level and its estimate is noise: the prior value is kept.
MIN_OBSERVED = 5


def _observed(counts: Counter, prior: dict[str, float]) -> dict[str, float]:
    """Level shares from counts, each level seen fewer than MIN_OBSERVED times keeping its prior
    share (the rest shared out in proportion to what was seen)."""
    return _kept_unobserved(
        _normalised({lv: float(counts[lv]) for lv in prior}) if counts else prior, counts, prior
    )


def _kept_unobserved(
    estimate: dict[str, float], counts: Counter, prior: dict[str, float]
) -> dict[str, float]:
    kept = {lv for lv in prior if counts[lv] < MIN_OBSERVED}
    if len(kept) == len(prior):
        return dict(prior)
    kept_mass = sum(prior[lv] for lv in kept)
    seen_mass = sum(estimate[lv] for lv in prior if lv not in kept)
    return {
        lv: prior[lv]
        if lv in kept
        else (1 - kept_mass) * estimate[lv] / seen_mass
        if seen_mass
        else prior[lv]
        for lv in prior
    }


def label_agreement(
    params: Parameters, labels: Sequence[tuple[dict[str, str | None], bool]], threshold: float
) -> int:
    """How many reviewers' decisions the parameters would have made themselves: of the labels
    (the comparison levels of a pair a reviewer decided, and whether they said it was one person),
    those whose pair the parameters match automatically exactly when the reviewer said match."""
    log_prior = math.log2(params.prior / (1 - params.prior))
    table = params.weights
    agreed = 0
    for found, same in labels:
        total = sum(table[attr].get(found.get(attr)) or 0.0 for attr in ATTRIBUTES)
        probability = 1.0 / (1.0 + 2.0 ** -(total + log_prior))
        matched = probability >= threshold and _rule_index(found.get("given"), found.get("dob")) == 2
        agreed += matched == same
    return agreed


def _normalised(counts: dict[str, float]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}
