"""Publication: the indicators' raw figures through disclosure control, with ratings and trends.

The only way figures leave the indicators: every count, sum and rate passes ``disclosure`` here.
"""

from __future__ import annotations

from typing import Any

from app.core.config import Settings
from app.indicators import disclosure as dc
from app.indicators.catalogue import CATALOGUE, DEFAULT_THRESHOLDS, normalised, rag


def _minutes_to_hours(part: dict[str, Any]) -> dc.Figure:
    return dc.total(n=part["n"], largest=part["largest"] / 60, sum_=part["sum"] / 60)


def _measure(name: str, value: dc.Figure, numerator: dc.Figure, denominator: dc.Figure) -> dict[str, Any]:
    return {
        "name": name,
        "value": value.value,
        "numerator": numerator.value,
        "denominator": denominator.value,
        "suppressed": value.suppressed or numerator.suppressed or denominator.suppressed,
    }


def _rate(name: str, numerator: dc.Figure, denominator: dc.Figure, scale: float = 1.0) -> dict[str, Any]:
    return _measure(name, dc.ratio(numerator, denominator, scale), numerator, denominator)


def _hhi(loads: list[int]) -> dc.Figure:
    """HHI from rounded per-organisation loads; suppressed when the number of organisations is (so
    a handful of organisations' shares are never implied)."""
    if not loads:
        return dc.Figure(None)
    if dc.count(len(loads)).suppressed:
        return dc.SUPPRESSED
    rounded = [dc.round5(n) for n in loads]
    whole = sum(rounded)
    if not whole:
        return dc.SUPPRESSED
    return dc.Figure(round(sum(n * n for n in rounded) / whole / whole * 10000, 1))


def _lm3(r1: dc.Figure, r2: dc.Figure, r3: dc.Figure) -> dict[str, Any]:
    if r1.suppressed or r2.suppressed or r3.suppressed:
        head = _measure("lm3", dc.SUPPRESSED, dc.SUPPRESSED, r1)
    elif not r1.value:
        head = _measure("lm3", dc.Figure(None), dc.Figure(None), r1)
    else:
        top = dc.Figure(r1.value + r2.value + r3.value)
        head = _measure("lm3", dc.ratio(top, r1), top, r1)
    return head


def publish(parts: dict[str, Any] | None) -> tuple[dc.Figure, dict[str, list[dict[str, Any]]]]:
    """The published residents count and, per indicator, its measures (headline first), every
    figure through disclosure control."""
    p = parts or {}

    def n(key: str) -> dc.Figure:
        return dc.count(p.get(key, 0))

    empty = {"n": 0, "sum": 0, "largest": 0}
    residents, active = n("residents"), n("active")
    pub, soc, com = n("orgs_public"), n("orgs_social"), n("orgs_commercial")
    orgs = dc.count(p.get("orgs_public", 0) + p.get("orgs_social", 0) + p.get("orgs_commercial", 0))
    external, internal = n("ei_external"), n("ei_internal")
    ties = dc.count(p.get("ei_external", 0) + p.get("ei_internal", 0))
    if external.suppressed or ties.suppressed:
        bridging = _measure("e_i_index", dc.SUPPRESSED, external, ties)
    elif not ties.value:
        bridging = _measure("e_i_index", dc.Figure(None), external, ties)
    else:
        bridging = _measure(
            "e_i_index", dc.Figure(round(2 * external.value / ties.value - 1, 4)), external, ties
        )
    r1, r2, r3 = (dc.total(**_sum_args(p.get(k, empty))) for k in ("lm_r1", "lm_r2", "lm_r3"))
    loads = list(p.get("org_interactions", []))
    hhi = _hhi(loads)
    hours = _minutes_to_hours(p.get("volunteer_minutes", empty))
    measures = {
        "sector_mix": [
            _rate("social_share", soc, orgs),
            _rate("public_per_1000", pub, residents, 1000),
            _rate("social_per_1000", soc, residents, 1000),
            _rate("commercial_per_1000", com, residents, 1000),
        ],
        "cross_sector_ties": [_rate("cross_sector_share", n("ties_cross"), n("ties_total"))],
        "multi_sector_reach": [
            _rate("multi_sector_share", n("multi_sector"), active),
            _rate("public_contact_share", n("public_contact"), residents),
        ],
        "bridging": [
            bridging,
            _measure("external_ties", external, external, dc.Figure(None)),
            _measure("internal_ties", internal, internal, dc.Figure(None)),
        ],
        "isolation": [_rate("isolated_share", n("isolated"), residents)],
        "reciprocity": [_rate("both_share", n("gave_and_received"), n("gave_or_received"))],
        "volunteering": [
            _rate("volunteer_share", n("volunteers"), residents),
            _rate("every_month_share", n("volunteers_every_month"), residents),
            _rate("hours_per_1000", hours, residents, 1000),
        ],
        "repeat_engagement": [
            _rate("three_days_share", n("repeat3"), active),
            _rate("retention", n("retained"), n("prev_active")),
        ],
        "local_multiplier": [
            _lm3(r1, r2, r3),
            _measure("r1", r1, r1, dc.Figure(None)),
            _measure("r2", r2, r2, dc.Figure(None)),
            _measure("r3", r3, r3, dc.Figure(None)),
        ],
        "concentration": [
            _measure("hhi", hhi, dc.Figure(None), dc.count(len(loads))),
            _rate("single_organisation_share", n("single_org"), active),
        ],
    }
    return residents, measures


def _sum_args(part: dict[str, Any]) -> dict[str, Any]:
    return {"n": part["n"], "largest": part["largest"], "sum_": part["sum"]}


def thresholds(settings: Settings) -> dict[str, tuple[float, float]]:
    return {**DEFAULT_THRESHOLDS, **{k: tuple(v) for k, v in settings.indicator_thresholds.items()}}


def _trend(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    return "up" if now > before else "down" if now < before else "same"


def assemble(
    settings: Settings, parts: dict[str, Any] | None, previous: dict[str, Any] | None, prev_label: str
) -> tuple[dc.Figure, list[dict[str, Any]]]:
    residents, now = publish(parts)
    _, before = publish(previous)
    limits = thresholds(settings)
    out = []
    for indicator in CATALOGUE:
        measures = now[indicator.code]
        earlier = {m["name"]: m for m in before[indicator.code]}
        for m in measures:
            m["previous_value"] = earlier[m["name"]]["value"]
        head, prev_head = measures[0], before[indicator.code][0]
        out.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "measure": head["name"],
                "value": head["value"],
                "numerator": head["numerator"],
                "denominator": head["denominator"],
                "suppressed": head["suppressed"],
                "rag": rag(indicator.code, head["value"], limits),
                "normalised": normalised(indicator.code, head["value"]),
                "previous": {
                    "period": prev_label,
                    "value": prev_head["value"],
                    "numerator": prev_head["numerator"],
                    "denominator": prev_head["denominator"],
                    "suppressed": prev_head["suppressed"],
                    "normalised": normalised(indicator.code, prev_head["value"]),
                },
                "trend": _trend(head["value"], prev_head["value"]),
                "components": measures[1:],
            }
        )
    return residents, out
