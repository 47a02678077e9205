"""The ten community indicators: what each measures, how it is rated and drawn."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    definition: str
    unit: str  # share | per_1000 | index | ratio
    higher_is_better: bool
    lowest: float  # the headline value's range, for the chart
    highest: float


CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        "sector_mix",
        "Three-economy base",
        "Active organisations (any interaction with a resident of the area in the period) per sector "
        "per 1,000 residents; headline: the social economy's share of all active organisations.",
        "share",
        True,
        0.0,
        1.0,
    ),
    Indicator(
        "cross_sector_ties",
        "Links between the sectors",
        "Share of organisation–organisation ties among the area's active organisations (declared "
        "relationships in force in the period, plus pairs sharing ≥ 5 residents in the period) that "
        "join different sectors.",
        "share",
        True,
        0.0,
        1.0,
    ),
    Indicator(
        "multi_sector_reach",
        "Residents reached by more than one sector",
        "Share of active residents (A) who interacted with organisations of ≥ 2 sectors in the "
        "period; and share of residents (R) in contact with a public organisation.",
        "share",
        True,
        0.0,
        1.0,
    ),
    Indicator(
        "bridging",
        "Bonding vs bridging",
        "Krackhardt–Stern E-I index (E − I) / (E + I) over residents' ties in the period: person–person "
        "relationships (outside when the other person lives in another area) and ties to the "
        "organisations they used (outside when the organisation is based in another area or is of a "
        "sector other than the resident's main one); each resident's degree capped at 20.",
        "index",
        True,
        -1.0,
        1.0,
    ),
    Indicator(
        "isolation",
        "Isolation",
        "Share of residents (R) with no person–person relationship and contact with at most one "
        "organisation in the 12 months to the end of the period.",
        "share",
        False,
        0.0,
        1.0,
    ),
    Indicator(
        "reciprocity",
        "Give and take",
        "Among residents who gave (volunteered, or gifted credits) or received (service contacts and "
        "referrals, or credits earned) in the period, the share who did both.",
        "share",
        True,
        0.0,
        1.0,
    ),
    Indicator(
        "volunteering",
        "Volunteering",
        "Share of residents (R) who volunteered in the period; share who volunteered in every month "
        "of it; volunteering hours per 1,000 residents (each person's hours capped per month).",
        "share",
        True,
        0.0,
        1.0,
    ),
    Indicator(
        "repeat_engagement",
        "Lasting relationships",
        "Share of active residents (A) with interactions on ≥ 3 distinct days in the period; retention: "
        "share of the previous period's active residents active again.",
        "share",
        True,
        0.0,
        1.0,
    ),
    Indicator(
        "local_multiplier",
        "Local multiplier (ledger LM3)",
        "(R1 + R2 + R3) / R1 over ledger credits: R1 credits into organisations based in the area "
        "from outside the area's economy (neither its organisations nor its residents); R2 what those organisations pass on locally (to each other, or to the "
        "area's residents); R3 what residents re-spend at local organisations within 90 days of "
        "receiving it from them.",
        "ratio",
        True,
        1.0,
        3.0,
    ),
    Indicator(
        "concentration",
        "Brittleness",
        "Herfindahl–Hirschman index (0–10,000) of organisations' shares of the area's residents' "
        "interactions in the period; and share of active residents (A) who depend on a single "
        "organisation.",
        "index",
        False,
        0.0,
        10000.0,
    ),
)

BY_CODE = {i.code: i for i in CATALOGUE}

# (red, green) boundaries of the headline value: for higher-is-better indicators green at or above
# `green`, red below `red`; for the others green at or below `green`, red above `red`.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float]] = {
    "sector_mix": (0.15, 0.30),
    "cross_sector_ties": (0.30, 0.50),
    "multi_sector_reach": (0.20, 0.40),
    "bridging": (-0.50, 0.0),
    "isolation": (0.40, 0.25),
    "reciprocity": (0.10, 0.25),
    "volunteering": (0.05, 0.15),
    "repeat_engagement": (0.25, 0.45),
    "local_multiplier": (1.3, 1.8),
    "concentration": (2500.0, 1500.0),
}


def rag(code: str, value: float | None, thresholds: dict[str, tuple[float, float]]) -> str | None:
    """red, amber or green for a headline value (None when it is not published)."""
    if value is None:
        return None
    red, green = thresholds.get(code, DEFAULT_THRESHOLDS[code])
    if BY_CODE[code].higher_is_better:
        return "green" if value >= green else "red" if value < red else "amber"
    return "green" if value <= green else "red" if value > red else "amber"


def normalised(code: str, value: float | None) -> float | None:
    """The headline value on 0–1, 1 the resilient end (the radar chart's scale)."""
    if value is None:
        return None
    i = BY_CODE[code]
    x = (value - i.lowest) / (i.highest - i.lowest)
    x = min(1.0, max(0.0, x))
    return round(x if i.higher_is_better else 1.0 - x, 4)


# Each headline's numerator and denominator in words: what the analysts' pages print beside it.
HEADLINE_PARTS: dict[str, tuple[str, str]] = {
    "sector_mix": (
        "social-economy organisations active with the area's residents in the period",
        "all organisations active with them (public, social and commercial)",
    ),
    "cross_sector_ties": (
        "ties between two of those organisations that are of different sectors",
        "all ties between them: declared relationships in force, and pairs sharing at least 5 residents",
    ),
    "multi_sector_reach": (
        "residents active in the period who dealt with two or more sectors",
        "residents active in the period (any interaction)",
    ),
    "bridging": (
        "ties that reach outside (to another area, or to an organisation of another sector): E",
        "all ties, each person's counted up to 20: E + I; the index is (E − I) / (E + I)",
    ),
    "isolation": (
        "residents with no tie to another person and at most one organisation in the last 12 months",
        "residents registered in the area",
    ),
    "reciprocity": (
        "people who both gave (volunteered, gifted credits) and received (services, credits)",
        "people who did either",
    ),
    "volunteering": ("residents who volunteered in the period", "residents registered in the area"),
    "repeat_engagement": (
        "active residents with interactions on 3 or more distinct days of the period",
        "residents active in the period",
    ),
    "local_multiplier": (
        "R1 + R2 + R3: credits into local organisations from outside (R1), what they pass on locally (R2) "
        "and what residents re-spend locally within 90 days (R3)",
        "R1",
    ),
    "concentration": (
        "the sum of the squares of each organisation's share of residents' interactions, × 10,000",
        "the organisations active with the area's residents",
    ),
}
