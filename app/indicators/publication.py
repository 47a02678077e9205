"""Publication: the roll-up's raw figures through disclosure control, a whole period at a time, and
the published figures as the ten indicators' measures, ratings and trends.

The only way figures leave the indicators: ``publish_cells`` turns raw parts into published figures
(every rule in ``disclosure``; secondary suppression needs every area of the period at once), the
service stores them in ``indicator_published``, and reads build measures from those alone
(``assemble``), so a rate is always computed from published counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.core.config import Settings
from app.indicators import disclosure as dc
from app.indicators.catalogue import CATALOGUE, DEFAULT_THRESHOLDS, normalised, rag
from app.indicators.periods import Period

# Counts of people: each a sum over the cell's residents, so a parent area's count is the sum of
# the LSOAs that partition it.
PEOPLE = (
    "residents", "active", "multi_sector", "public_contact", "isolated", "gave_or_received",
    "gave_and_received", "volunteers", "volunteers_every_month", "repeat3", "prev_active", "retained",
    "single_org",
)  # fmt: skip
OTHERS = (
    "orgs_public",
    "orgs_social",
    "orgs_commercial",
    "ties_total",
    "ties_cross",
    "ei_external",
    "ei_internal",
)
TOTALS = {
    "orgs": ("orgs_public", "orgs_social", "orgs_commercial"),
    "ei_ties": ("ei_external", "ei_internal"),
}
SUMS = {"hours": "volunteer_minutes", "lm_r1": "lm_r1", "lm_r2": "lm_r2", "lm_r3": "lm_r3"}
# Sums a quarter (or year) holds as the sum of its months (or quarters): credits into and out of
# local organisations, dated in the period; hours too, but for the monthly cap (near enough).
PERIOD_SUMS = ("hours", "lm_r1", "lm_r2")
# Counts of the people who did something at some time in the period: a quarter's (or year's) are
# the union of its months' (or quarters'), so at least each part's and at most their sum.
PERIOD_UNIONS = ("active", "public_contact", "volunteers", "gave_or_received")
# Counts fixed by the period's end alone (residents registered by then; isolation over the twelve
# months to it): a quarter's or a year's is the same count as its last month's.
PERIOD_ENDS = ("residents", "isolated")
# (numerator, denominator) of every published rate: a 0 numerator beside a suppressed denominator
# is withheld (disclosure rule 6).
RATES = (
    ("orgs_social", "orgs"), ("orgs_public", "residents"), ("orgs_social", "residents"),
    ("orgs_commercial", "residents"), ("ties_cross", "ties_total"), ("multi_sector", "active"),
    ("public_contact", "residents"), ("ei_external", "ei_ties"), ("isolated", "residents"),
    ("gave_and_received", "gave_or_received"), ("volunteers", "residents"),
    ("volunteers_every_month", "residents"), ("hours", "residents"), ("repeat3", "active"),
    ("retained", "prev_active"), ("single_org", "active"),
)  # fmt: skip

Cell = tuple[str, str]  # (area code, period)


def _primary(cell: Cell, parts: dict[str, Any] | None, salt: str) -> dict[str, dc.Slot]:
    """A cell's figures under the rules that need nothing but the cell (1–4)."""
    p = parts or {}
    keys = p.get("keys", {})
    area, period = cell

    def key(name: str) -> float:
        return dc.cell_key(keys[name]) if name in keys else dc.cell_key(None, salt, area, period, name)

    out = {name: dc.Slot(dc.count(p.get(name, 0), key(name)), p.get(name, 0)) for name in (*PEOPLE, *OTHERS)}
    for name, members in TOTALS.items():
        joint = sum(int(keys.get(m, 0)) for m in members)
        n = sum(p.get(m, 0) for m in members)
        out[name] = dc.Slot(dc.count(n, dc.cell_key(joint)), n)
    for name, source in SUMS.items():
        part = p.get(source) or {"n": 0, "sum": 0, "top": []}
        scale = 60 if name == "hours" else 1  # volunteering is kept in minutes, published in hours
        k = dc.cell_key(keys[source]) if source in keys else key(name)
        true = part["sum"] / scale
        top = [t / scale for t in part.get("top", [])]
        out[name] = dc.Slot(dc.total(n=part["n"], sum_=true, top=top, key=k), true, is_sum=True)
    out["hhi"] = dc.Slot(dc.hhi(list(p.get("org_interactions", []))))
    if out["hhi"].figure.reason == dc.DOMINANCE:
        # where one organisation dominates, the share resting on a single one is mostly its own
        # reach: withheld with the index (the p% rule over organisations, SPEC §10)
        out["single_org"].figure = dc.DOMINATED
    return out


def _groups(
    slots: dict[Cell, dict[str, dc.Slot]], nesting: dict[str, list[str]]
) -> Iterable[tuple[dc.Slot, list[dc.Slot]]]:
    """Every set of figures that adds up: parent areas and their LSOAs (counts of people), a parent
    and another inside it with the LSOAs between them (an MSOA minus a ward would give the rest),
    a period and its parts (sums), and the totals of organisations and ties within a cell."""
    for outer, inner, rest in _containing(nesting):
        for period in {p for (_, p) in slots}:
            big, small = slots.get((outer, period)), slots.get((inner, period))
            others = [slots.get((lsoa, period)) for lsoa in rest]
            if big is None or small is None:
                continue
            present = [o for o in others if o is not None]
            for name in (*PEOPLE, "hours"):
                yield big[name], [small[name], *(o[name] for o in present)]
    for (area, period), figures in slots.items():
        for name, members in TOTALS.items():
            yield figures[name], [figures[m] for m in members]
        yield from _related(slots, area, period)
        children = [slots.get((lsoa, period)) for lsoa in nesting.get(area, ())]
        present = [c for c in children if c is not None]  # an LSOA with no cell has no residents: 0
        if present and children:
            for name in (*PEOPLE, "hours"):
                yield figures[name], [c[name] for c in present]
        # a part with no cell (a month before the data begins) holds nothing: exactly 0
        for parts_of in (_parts_of, _months_of):
            parts = [c for c in (slots.get((area, p.label)) for p in parts_of(period)) if c is not None]
            if not parts:
                continue
            if parts_of is _parts_of:
                for name in PERIOD_SUMS:
                    yield dc.Group(figures[name], [c[name] for c in parts])
            for name in PERIOD_UNIONS:
                yield dc.Group(figures[name], [c[name] for c in parts], union=True)


def _related(slots: dict[Cell, dict[str, dc.Slot]], area: str, period: str) -> Iterable[dc.Group]:
    """The other relations the attacker can use, each ``a ≤ b`` written ``b = a + hidden``: a
    month's residents within the next month's (registration only adds); the people active in the
    previous period among its ``prev_active``; a month's volunteers every month, its volunteers; a
    quarter's or year's residents and isolated, its last month's."""
    figures = slots[(area, period)]
    label = Period.parse(period)
    before = slots.get((area, label.previous.label))
    if before is not None:
        yield dc.Group(figures["prev_active"], [before["active"], dc.hidden()])
    if label.kind == "month":
        yield dc.Group(figures["volunteers"], [figures["volunteers_every_month"]])
        if before is not None:
            yield dc.Group(figures["residents"], [before["residents"], dc.hidden()])
        return
    last = slots.get((area, Period(label.end, "month").shifted(-1).label))
    if last is not None:
        for name in PERIOD_ENDS:
            yield dc.Group(figures[name], [last[name]])


def _containing(nesting: dict[str, list[str]]) -> list[tuple[str, str, list[str]]]:
    """(outer, inner, the LSOAs of outer not in inner) for every parent area whose LSOAs include all
    of another's."""
    sets = {parent: frozenset(lsoas) for parent, lsoas in nesting.items()}
    return [
        (outer, inner, sorted(big - small))
        for outer, big in sets.items()
        for inner, small in sets.items()
        if outer != inner and small < big
    ]


def _parts_of(label: str) -> list[Period]:
    """The periods that make up a quarter (its months) or a year (its quarters)."""
    period = Period.parse(label)
    if period.kind == "quarter":
        return [Period(period.start, "month").shifted(k) for k in range(3)]
    if period.kind == "year":
        return [Period(period.start, "quarter").shifted(k) for k in range(4)]
    return []


def _months_of(label: str) -> list[Period]:
    """A year's twelve months (a quarter's are its parts already)."""
    period = Period.parse(label)
    return [Period(period.start, "month").shifted(k) for k in range(12)] if period.kind == "year" else []


def publish_cells(
    cells: dict[Cell, dict[str, Any] | None],
    nesting: dict[str, list[str]],
    salt: str,
    before: dict[Cell, dict[str, dict[str, Any]]] | None = None,
) -> dict[Cell, dict[str, dict[str, Any]]]:
    """Published figures of every cell given (all areas of the periods given, at once);
    ``before``: what the last revision published of them, which anyone may have kept."""
    slots = {cell: _primary(cell, parts, salt) for cell, parts in cells.items()}
    for cell, figures in (before or {}).items():
        for name, stored in figures.items():
            if cell in slots and name in slots[cell]:
                slots[cell][name].before = published_figure(stored)
    groups = list(_groups(slots, nesting))
    # Secondary suppression, then the rules that withhold more because of what it withheld, until
    # nothing changes: each figure those rules withhold is protected in its turn.
    while True:
        dc.protect(groups)
        if not _withhold_beside(slots):
            break
    for figures in slots.values():
        if figures["residents"].figure.suppressed:
            # An area of 1–7 residents (or one withheld beside them): nothing of it is published —
            # not even a 0, which would say that none of its few did a thing (disclosure rule 6).
            for slot in figures.values():
                if not slot.figure.suppressed:
                    slot.figure = dc.WITHHELD
    return {cell: {name: _stored(s.figure) for name, s in figures.items()} for cell, figures in slots.items()}


def _withhold_beside(slots: dict[Cell, dict[str, dc.Slot]]) -> bool:
    """Withhold what must go with what is withheld; whether anything was."""
    changed = False

    def withhold(slot: dc.Slot, figure: dc.Figure) -> None:
        nonlocal changed
        if not slot.figure.suppressed:
            slot.figure, changed = figure, True

    # An area's residents change slowly, and a quarter's or year's are its last month's: a count
    # withheld to protect a neighbour in one period would be read off the same area's other
    # periods. So an area whose residents had to be withheld so is withheld in every period.
    sticky = {area for (area, _), f in slots.items() if f["residents"].figure.reason == dc.SECONDARY}
    for (area, _), figures in slots.items():
        if area in sticky:
            withhold(figures["residents"], dc.WITHHELD)
        for numerator, denominator in RATES:  # no exact 0 beside a withheld denominator
            if figures[numerator].figure.value == 0 and figures[denominator].figure.suppressed:
                withhold(figures[numerator], dc.SUPPRESSED)
        if figures["volunteers"].figure.suppressed:  # hours go with their volunteers
            withhold(figures["hours"], dc.SUPPRESSED)
    return changed


def _stored(f: dc.Figure) -> dict[str, Any]:
    out: dict[str, Any] = {"v": f.value}
    if f.suppressed:
        out["s"] = dc.PUBLIC_REASON.get(f.reason or "", dc.CONFIDENTIAL)
    elif f.reason:
        out["r"] = dc.PUBLIC_REASON.get(f.reason, f.reason)
    if f.band:
        out["b"] = list(f.band)
    return out


def published_figure(stored: dict[str, Any] | None) -> dc.Figure:
    if stored is None:
        return dc.Figure(None)
    band = stored.get("b")
    return dc.Figure(
        stored.get("v"), "s" in stored, stored.get("s") or stored.get("r"), tuple(band) if band else None
    )


# ---------------------------------------------------------------------------------------------
# Measures from published figures


def _measure(name: str, value: dc.Figure, numerator: dc.Figure, denominator: dc.Figure) -> dict[str, Any]:
    suppressed = value.suppressed or numerator.suppressed or denominator.suppressed
    reason = next((f.reason for f in (value, numerator, denominator) if f.suppressed), None)
    return {
        "name": name,
        "value": value.value,
        "numerator": numerator.value,
        "denominator": denominator.value,
        "suppressed": suppressed,
        "suppressed_reason": reason,
        "band": list(value.band) if value.band else None,
    }


def _rate(name: str, numerator: dc.Figure, denominator: dc.Figure, scale: float = 1.0) -> dict[str, Any]:
    return _measure(name, dc.ratio(numerator, denominator, scale), numerator, denominator)


def _lm3(r1: dc.Figure, r2: dc.Figure, r3: dc.Figure) -> dict[str, Any]:
    if r1.suppressed or r2.suppressed or r3.suppressed:
        reason = next(f.reason for f in (r1, r2, r3) if f.suppressed)
        return _measure("lm3", dc.Figure(None, True, reason), dc.Figure(None, True, reason), r1)
    if not r1.value:
        return _measure("lm3", dc.Figure(None), dc.Figure(None), r1)
    top = dc.Figure(r1.value + r2.value + r3.value)
    return _measure("lm3", dc.ratio(top, r1), top, r1)


def measures(stored: dict[str, Any] | None) -> tuple[dc.Figure, dict[str, list[dict[str, Any]]]]:
    """The published residents count and, per indicator, its measures (headline first)."""
    s = stored or {}

    def f(name: str) -> dc.Figure:
        return published_figure(s.get(name)) if s else dc.Figure(None)

    residents, active, ties = f("residents"), f("active"), f("ei_ties")
    external = f("ei_external")
    if external.suppressed or ties.suppressed:
        bridging = _measure(
            "e_i_index",
            dc.Figure(None, True, (external if external.suppressed else ties).reason),
            external,
            ties,
        )
    elif not ties.value:
        bridging = _measure("e_i_index", dc.Figure(None), external, ties)
    else:
        bridging = _measure(
            "e_i_index", dc.Figure(round(2 * external.value / ties.value - 1, 4)), external, ties
        )
    none = dc.Figure(None)
    return residents, {
        "sector_mix": [
            _rate("social_share", f("orgs_social"), f("orgs")),
            _rate("public_per_1000", f("orgs_public"), residents, 1000),
            _rate("social_per_1000", f("orgs_social"), residents, 1000),
            _rate("commercial_per_1000", f("orgs_commercial"), residents, 1000),
        ],
        "cross_sector_ties": [_rate("cross_sector_share", f("ties_cross"), f("ties_total"))],
        "multi_sector_reach": [
            _rate("multi_sector_share", f("multi_sector"), active),
            _rate("public_contact_share", f("public_contact"), residents),
        ],
        "bridging": [
            bridging,
            _measure("external_ties", external, external, none),
            _measure("internal_ties", f("ei_internal"), f("ei_internal"), none),
        ],
        "isolation": [_rate("isolated_share", f("isolated"), residents)],
        "reciprocity": [_rate("both_share", f("gave_and_received"), f("gave_or_received"))],
        "volunteering": [
            _rate("volunteer_share", f("volunteers"), residents),
            _rate("every_month_share", f("volunteers_every_month"), residents),
            _rate("hours_per_1000", f("hours"), residents, 1000),
        ],
        "repeat_engagement": [
            _rate("three_days_share", f("repeat3"), active),
            _rate("retention", f("retained"), f("prev_active")),
        ],
        "local_multiplier": [
            _lm3(f("lm_r1"), f("lm_r2"), f("lm_r3")),
            _measure("r1", f("lm_r1"), f("lm_r1"), none),
            _measure("r2", f("lm_r2"), f("lm_r2"), none),
            _measure("r3", f("lm_r3"), f("lm_r3"), none),
        ],
        "concentration": [
            _measure("hhi", f("hhi"), none, f("orgs")),
            _rate("single_organisation_share", f("single_org"), active),
        ],
    }


def thresholds(settings: Settings) -> dict[str, tuple[float, float]]:
    return {**DEFAULT_THRESHOLDS, **{k: tuple(v) for k, v in settings.indicator_thresholds.items()}}


def _trend(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    return "up" if now > before else "down" if now < before else "same"


def _rated(
    code: str, m: dict[str, Any], limits: dict[str, tuple[float, float]]
) -> tuple[str | None, float | None]:
    """RAG and the 0–1 position of a headline: of its value, or of a band when both ends agree."""
    if m["band"]:
        low, high = m["band"]
        ends = {rag(code, low, limits), rag(code, high, limits)}
        middle = normalised(code, (low + high) / 2)
        return (ends.pop() if len(ends) == 1 else None), middle
    return rag(code, m["value"], limits), normalised(code, m["value"])


def assemble(
    settings: Settings, stored: dict[str, Any] | None, previous: dict[str, Any] | None, prev_label: str
) -> tuple[dc.Figure, list[dict[str, Any]]]:
    """The ten indicators of a cell from its published figures and the previous period's."""
    residents, now = measures(stored)
    _, before = measures(previous)
    limits = thresholds(settings)
    out = []
    for indicator in CATALOGUE:
        ms = now[indicator.code]
        earlier = {m["name"]: m for m in before[indicator.code]}
        for m in ms:
            m["previous_value"] = earlier[m["name"]]["value"]
        head, prev_head = ms[0], before[indicator.code][0]
        rating, position = _rated(indicator.code, head, limits)
        out.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "measure": head["name"],
                "value": head["value"],
                "band": head["band"],
                "numerator": head["numerator"],
                "denominator": head["denominator"],
                "suppressed": head["suppressed"],
                "suppressed_reason": head["suppressed_reason"],
                "rag": rating,
                "normalised": position,
                "previous": {
                    "period": prev_label,
                    "value": prev_head["value"],
                    "band": prev_head["band"],
                    "numerator": prev_head["numerator"],
                    "denominator": prev_head["denominator"],
                    "suppressed": prev_head["suppressed"],
                    "normalised": _rated(indicator.code, prev_head, limits)[1],
                },
                "trend": _trend(head["value"], prev_head["value"]),
                "components": ms[1:],
            }
        )
    return residents, out
