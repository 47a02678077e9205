"""Charts (SVG) and the CSV of values: renderings of published values, pure functions of plain data.

No script, no external resource, no style attribute (the pages' CSP forbids inline styles). Each chart
has role="img", a <title> and a <desc> (ids unique by `id_prefix`) listing every value. A suppressed
or unavailable value is never drawn as a low score: it leaves a marked, labelled gap."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

INK, MUTED, GRID, AXIS = "#1a1a1a", "#595959", "#c8c8c8", "#767676"  # text 17:1, 7:1 on white
NOW, BEFORE = "#0b5fa5", "#595959"  # the area now (6.6:1); the previous period or the median
RAG_FILL = {"red": "#b3261e", "amber": "#a15c00", "green": "#2e7d32", None: "#5c6b7a"}
SUPPRESSED, UNAVAILABLE = "suppressed: too few people to publish", "not available"
DOMINATED = "suppressed: one organisation or person would make up most of it"
UNIT_WORDS = {"share": "percentages", "per_1000": "rates per 1,000", "index": "indices", "ratio": "ratios"}
BOLD, HALO = ' font-weight="bold"', ' stroke="#ffffff" stroke-width="3" paint-order="stroke"'
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")

# The radar: wider than high, so that the labels beside it fit.
WIDTH, HEIGHT = 880, 700
CENTRE_X, CENTRE = WIDTH / 2, 340
RADIUS = 210
LABEL_CHARS = 22  # longer axis labels wrap onto further lines
RINGS = (0.25, 0.5, 0.75, 1.0)
SCALE_NOTE = (
    "Scale: 0 at the centre to 1 = resilient end, on every axis. Values beside the points are as published."
)


def _significant(value: float, digits: int) -> str:
    """At most `digits` significant digits, thousands separated: no float noise, no exponent."""
    if value == 0:
        return "0"
    places = digits - 1 - math.floor(math.log10(abs(value)))
    text = f"{round(value, places) + 0.0:,.{max(places, 0)}f}"  # + 0.0: never "-0"
    return text.rstrip("0").rstrip(".") if "." in text else text


def published(value: float | None, unit: str, *, short: bool = False) -> str:
    """A value as published: a share as a percentage with at most one decimal, any other to at most 4
    significant digits; `short` leaves off " per 1,000" where space is tight."""
    if value is None or not math.isfinite(value):
        return UNAVAILABLE
    if unit == "share":
        return f"{round(value * 100, 1) + 0.0:.1f}".removesuffix(".0") + "%"
    return _significant(value, 4) + (" per 1,000" if unit == "per_1000" and not short else "")


def _said(m: dict[str, Any], unit: str) -> str:
    """A measure ({value, suppressed}, maybe a band [low, high] published in place of the value and
    a suppressed_reason) in full words, for the text alternatives."""
    if band := m.get("band"):
        return f"between {published(band[0], unit)} and {published(band[1], unit)}"
    if m["suppressed"]:
        return DOMINATED if m.get("suppressed_reason") == "dominance" else SUPPRESSED
    return published(m["value"], unit)


def _shown(m: dict[str, Any], unit: str) -> str:
    """A measure in short, drawn on a chart."""
    if band := m.get("band"):
        return f"{published(band[0], unit, short=True)}–{published(band[1], unit)}"
    return "suppressed" if m["suppressed"] else published(m["value"], unit)


def _has(m: dict[str, Any]) -> bool:
    return bool(m.get("band")) or (not m["suppressed"] and m["value"] is not None)


def _fits(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _wrapped(label: str, chars: int = LABEL_CHARS) -> list[str]:
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _open(width: int, height: int, prefix: str, title: str, desc: str, standalone: bool) -> list[str]:
    if not _ID.match(prefix):
        raise ValueError(f"id_prefix must be a letter then letters, digits, - or _: {prefix!r}")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if standalone else ""
    return [
        f'{head}<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{prefix}-title {prefix}-desc" font-family="sans-serif">',
        f'<title id="{prefix}-title">{escape(title)}</title>',
        f'<desc id="{prefix}-desc">{escape(desc)}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _text(
    x: float, y: float, s: str, *, size: int = 12, anchor: str = "start", fill: str = INK, more: str = ""
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{more}>'
        f"{escape(s)}</text>"
    )


def _line(points: Sequence[tuple[float, float]]) -> str:
    return "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in points)


def _runs(points: Sequence[tuple[float, float] | None], cyclic: bool) -> str:
    """Path data joining consecutive present points only: a missing point leaves a gap."""
    if cyclic and points and None not in points:
        return _line(points) + " Z"  # type: ignore[arg-type]
    if cyclic and points:  # start at a gap, so that a run across the end is drawn whole
        k = points.index(None)
        points = [*points[k:], *points[:k]]
    runs: list[str] = []
    run: list[tuple[float, float]] = []
    for p in [*points, None]:
        if p is not None:
            run.append(p)
            continue
        if len(run) > 1:
            runs.append(_line(run))
        run = []
    return " ".join(runs)


def _hollow(x: float, y: float, r: float, colour: str, label: str, dash: str = "", stroke: float = 2) -> str:
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="#ffffff" stroke="{colour}" '
        f'stroke-width="{stroke}"{dash}><title>{escape(label)}</title></circle>'
    )


def _point(i: int, n: int, r: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n
    return round(CENTRE_X + r * math.cos(angle), 1), round(CENTRE + r * math.sin(angle), 1)


def _anchor(i: int, n: int, outward: bool = True) -> str:
    cos = math.cos(-math.pi / 2 + 2 * math.pi * i / n)
    if abs(cos) < 0.3:
        return "middle"
    return "start" if (cos > 0) == outward else "end"


def _normalised(m: dict[str, Any]) -> float | None:
    """Where a measure sits on 0–1 (a band: where the publication puts it), None when unpublished."""
    return None if not _has(m) or m["normalised"] is None else min(max(float(m["normalised"]), 0.0), 1.0)


def radar_svg(values: dict[str, Any], *, inline: bool = False, id_prefix: str = "dna") -> str:
    """The indicators' normalised values (1 at the resilient end), this period (solid) against the
    previous (dashed), each published value printed beside its point. A suppressed or unavailable
    value leaves a gap in the outline and a hollow marker on the outer ring, never a point at the
    centre. `values` is GET /v1/indicators/values's body; `inline` leaves off the XML declaration."""
    inds = values["indicators"]
    n = len(inds)
    place = values["area"]["name"] or values["area"]["code"]
    period, before = values["period"], values["previous_period"]
    title = f"Community DNA of {place}, {period} against {before}"
    lines = []
    for i in inds:
        rating = f" ({i['rag']})" if i["rag"] and _has(i) else ""
        lines.append(
            f"{i['name']}: {_said(i, i['unit'])}{rating}, previously {_said(i['previous'], i['unit'])}"
        )
    desc = (
        f"{n} community resilience indicators, each on a scale from 0 at the centre to 1 at the outer "
        f"ring, 1 being the resilient end; {period} solid, {before} dashed. "
        + "; ".join(lines)
        + ". A value suppressed or not available leaves a gap in the outline and a hollow circle on "
        "the outer ring, not a point at the centre."
    )
    out = _open(WIDTH, HEIGHT, id_prefix, title, desc, standalone=not inline)
    for k, line in enumerate(_wrapped(title, 72)):
        out.append(_text(20, 32 + 24 * k, line, size=18, more=BOLD))
    for ring in RINGS:
        pts = " ".join(f"{x},{y}" for x, y in (_point(i, n, RADIUS * ring) for i in range(n)))
        out.append(f'<polygon points="{pts}" fill="none" stroke="{GRID}" stroke-width="1"/>')
    for i, ind in enumerate(inds):
        x, y = _point(i, n, RADIUS)
        out.append(
            f'<line x1="{CENTRE_X}" y1="{CENTRE}" x2="{x}" y2="{y}" stroke="{GRID}" stroke-width="1"/>'
        )
        lx, ly = _point(i, n, RADIUS + 28)
        label = _wrapped(ind["name"])
        if ly < CENTRE - RADIUS:  # above the chart: the last line sits on the label's point
            ly -= 16 * (len(label) - 1)
        spans = "".join(
            f'<tspan x="{lx}" dy="{0 if k == 0 else 16}">{escape(line)}</tspan>'
            for k, line in enumerate(label)
        )
        out.append(
            f'<text x="{lx}" y="{ly}" text-anchor="{_anchor(i, n)}" font-size="13" fill="{INK}">{spans}</text>'
        )
    for ring in (0.0, *RINGS):  # the scale, left of the first axis (its values are right of it)
        y = CENTRE - RADIUS * ring if ring else CENTRE + 17
        out.append(_text(CENTRE_X - 14, y, f"{ring:g}", size=11, anchor="end", fill=MUTED, more=HALO))

    def series(key: str, colour: str, dash: str, label: str) -> None:
        measures = [ind if key == "now" else ind["previous"] for ind in inds]
        pts = [
            None if v is None else _point(i, n, RADIUS * v) for i, v in enumerate(map(_normalised, measures))
        ]
        shown = [p for p in pts if p is not None]
        out.append(  # the fill joins the published points only; the outline breaks at a gap
            f'<polygon points="{" ".join(f"{x},{y}" for x, y in shown)}" fill="{colour}" '
            f'fill-opacity="0.12" stroke="none"><title>{escape(label)}</title></polygon>'
        )
        if d := _runs(pts, cyclic=True):
            out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>')
        out.extend(f'<circle cx="{x}" cy="{y}" r="3.5" fill="{colour}"/>' for x, y in shown)
        for i, (ind, m, p) in enumerate(zip(inds, measures, pts, strict=True)):
            if p is None:
                what = f"{ind['name']}, {label}: {_said(m, ind['unit'])}"
                out.append(_hollow(*_point(i, n, RADIUS), 5 if key == "now" else 9, colour, what, dash))

    series("before", BEFORE, ' stroke-dasharray="6 4"', f"Previous period, {before}")
    series("now", NOW, "", f"This period, {period}")
    for i, ind in enumerate(inds):  # this period's values beside their points, or why there is none
        v, shown = _normalised(ind), _shown(ind, ind["unit"])
        if v is None:
            r, outward = RADIUS - 18, False
        else:
            r = RADIUS * v
            outward = r <= 0.7 * RADIUS
            r = max(r + 14, 44) if outward else r - 14
        if i:
            (x, y), anchor = _point(i, n, r), _anchor(i, n, outward)
        else:  # right of the first axis (its scale is left of it), level with the point
            x, y, anchor = CENTRE_X + 12, CENTRE - r + (14 if outward else -14), "start"
        out.append(_text(x, y + 4, shown, anchor=anchor, fill=NOW, more=BOLD + HALO))
    key = HEIGHT - 40
    out += [
        f'<line x1="20" y1="{key - 4}" x2="50" y2="{key - 4}" stroke="{NOW}" stroke-width="2.5"/>',
        _text(56, key, f"{period} (this period, solid)", size=13),
        f'<line x1="290" y1="{key - 4}" x2="320" y2="{key - 4}" stroke="{BEFORE}" stroke-width="2.5" '
        'stroke-dasharray="6 4"/>',
        _text(326, key, f"{before} (previous period, dashed)", size=13),
        _hollow(606, key - 4, 5, NOW, "The marker of a value suppressed or not available"),
        _text(618, key, "suppressed or not available", size=13),
        _text(20, key + 26, SCALE_NOTE, size=13, fill=MUTED),
        "</svg>",
    ]
    return "\n".join(out) + "\n"


def series_svg(
    points: Sequence[dict[str, Any]],
    median: Sequence[float | None],
    *,
    title: str,
    unit: str,
    id_prefix: str,
    width: int = 240,
    height: int = 90,
) -> str:
    """A small multiple: one indicator over up to 13 periods, the area's line (solid) against the
    place's median (thin, dashed). No line crosses a suppressed or unavailable value: a marker on the
    baseline stands for it (a hollow circle when suppressed, a dash when not available)."""
    if len(median) != len(points):
        raise ValueError("median must hold one value (or None) for each point")
    n = len(points)
    vals = [None if p["suppressed"] or p["value"] is None else float(p["value"]) for p in points]
    meds = [None if m is None else float(m) for m in median]
    periods = [str(p["period"]) for p in points]
    bands = [p.get("band") for p in points]  # a range published in place of a value: a vertical bar
    said = [_said(p, unit) for p in points]
    span = f" from {periods[0]} to {periods[-1]}" if n else ""
    items = [
        f"{p}: {s}, place median {published(m, unit)}" for p, s, m in zip(periods, said, meds, strict=True)
    ]
    desc = (
        f"{title}, {UNIT_WORDS.get(unit, 'values')}, {n} periods{span}. "
        + "; ".join(items)
        + (". " if items else "")
        + "The line breaks where a value is suppressed or not available; a marker on the baseline stands for it."
        + (" A range published in place of a value is drawn as a vertical bar." if any(bands) else "")
    )
    out = _open(width, height, id_prefix, f"{title}{span}", desc, standalone=False)
    caption = title + (" (per 1,000)" if unit == "per_1000" else "")
    out.append(_text(4, 12, _fits(caption, int((width - 8) / 6.5)), size=11, more=BOLD))
    shown = [v for v in vals + meds if v is not None] + [float(e) for b in bands if b for e in b]
    lo, hi = (min(shown), max(shown)) if shown else (0.0, 0.0)
    lo_label, hi_label = published(lo, unit, short=True), published(hi, unit, short=True)
    left, right, top, bottom = 10 + 6.2 * max(len(lo_label), len(hi_label)), width - 8, 22, height - 27
    base = height - 20  # the baseline, below the lowest value: markers of missing values sit on it
    xs = [left + (right - left) * (k / (n - 1) if n > 1 else 0.5) for k in range(n)]

    def y(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * (bottom - top) if hi > lo else (top + bottom) / 2

    out.append(
        f'<line x1="{left:.1f}" y1="{base}" x2="{right}" y2="{base}" stroke="{AXIS}" stroke-width="1"/>'
    )
    if shown:
        out.append(_text(left - 4, y(lo) + 4, lo_label, size=10, anchor="end", fill=MUTED))
    if hi > lo:
        out.append(_text(left - 4, top + 4, hi_label, size=10, anchor="end", fill=MUTED))
    if d := _runs([None if m is None else (xs[k], y(m)) for k, m in enumerate(meds)], cyclic=False):
        out.append(f'<path d="{d}" fill="none" stroke="{BEFORE}" stroke-width="1" stroke-dasharray="3 2"/>')
    pts = [None if v is None else (xs[k], y(v)) for k, v in enumerate(vals)]
    if d := _runs(pts, cyclic=False):
        out.append(f'<path d="{d}" fill="none" stroke="{NOW}" stroke-width="2"/>')
    for k, p in enumerate(pts):
        what = escape(f"{periods[k]}: {said[k]}")
        if p is not None:
            out.append(
                f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="2.5" fill="{NOW}"><title>{what}</title></circle>'
            )
        elif band := bands[k]:
            out.append(
                f'<path d="M{xs[k]:.1f} {y(band[0]):.1f} V{y(band[1]):.1f}" stroke="{NOW}" stroke-width="3">'
                f"<title>{what}</title></path>"
            )
        elif points[k]["suppressed"]:
            out.append(_hollow(xs[k], base, 2.5, MUTED, f"{periods[k]}: {said[k]}", stroke=1.2))
        else:
            out.append(
                f'<path d="M{xs[k] - 3:.1f} {base} h6" stroke="{MUTED}" stroke-width="2"><title>{what}</title></path>'
            )
    if n:
        out.append(_text(left, height - 5, periods[0], size=10, fill=MUTED))
    if n > 1:
        out.append(_text(right, height - 5, periods[-1], size=10, anchor="end", fill=MUTED))
    if any(m is not None for m in meds):
        mid = (left + right) / 2
        out.append(
            f'<line x1="{mid - 40:.1f}" y1="{height - 9}" x2="{mid - 28:.1f}" y2="{height - 9}" '
            f'stroke="{BEFORE}" stroke-width="1" stroke-dasharray="3 2"/>'
        )
        out.append(_text(mid - 25, height - 5, "place median", size=10, fill=MUTED))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def ranked_svg(
    rows: Sequence[dict[str, Any]], *, title: str, unit: str, id_prefix: str, width: int = 640
) -> str:
    """A bar per area in the order given, those with a published value first, then those without
    (labelled "suppressed" or "not available", with no bar). A bar's colour is its rating, which is
    also printed in words beside its value."""
    has = [r for r in rows if _has(r)]
    rows = has + [r for r in rows if not _has(r)]
    items: list[str] = []
    words: list[str] = []
    for k, r in enumerate(rows):
        rating = r["rag"] if k < len(has) and r["rag"] else ""
        said = _said(r, unit)
        rank = f"{k + 1}. " if k < len(has) else ""
        items.append(f"{rank}{r['name']} ({r['code']}): {said}" + (f", {rating}" if rating else ""))
        words.append(_shown(r, unit) + (f" · {rating}" if rating else ""))
    desc = f"{title}: {len(rows)} areas ranked, {len(has)} with a published value. " + "; ".join(items) + "."
    row_h, top = 22, 52
    height = top + row_h * len(rows) + 34
    names = [_fits(r["name"], 32) for r in rows]
    label_w = min(230, max([60, *(len(s) * 6.8 for s in names)]))
    x0, x1 = label_w + 16, width - 16 - max([70, *(len(w) * 7 for w in words)])
    ends = [float(e) for r in has for e in (r.get("band") or [r["value"]])]
    lo, hi = min([0.0, *ends]), max([0.0, *ends])
    hi = hi if hi > lo else lo + 1

    def x(v: float) -> float:
        return x0 + (v - lo) / (hi - lo) * (x1 - x0)

    out = _open(width, height, id_prefix, title, desc, standalone=False)
    out.append(_text(8, 24, _fits(title, int((width - 16) / 8.5)), size=15, more=BOLD))
    for k, (r, name) in enumerate(zip(rows, names, strict=True)):
        y = top + row_h * k
        out.append(_text(label_w + 8, y + 15, name, anchor="end"))
        if k < len(has):
            band = r.get("band")  # a range published in place of a value: a thinner bar over it
            a, b = sorted(map(x, band) if band else (x(0.0), x(float(r["value"]))))
            out.append(
                f'<rect x="{a:.1f}" y="{y + (8 if band else 4)}" width="{b - a:.1f}" height="{6 if band else 14}" '
                f'fill="{RAG_FILL.get(r["rag"], RAG_FILL[None])}">'
                f"<title>{escape(items[k])}</title></rect>"
            )
            out.append(_text(x1 + 8, y + 15, words[k]))
        else:
            out.append(_text(x1 + 8, y + 15, words[k], fill=MUTED, more=' font-style="italic"'))
    axis_y = top + row_h * len(rows) + 4
    out.append(
        f'<line x1="{x(0.0):.1f}" y1="{top}" x2="{x(0.0):.1f}" y2="{axis_y}" stroke="{AXIS}" stroke-width="1"/>'
    )
    for v in sorted({lo, 0.0, hi}):
        if v == 0 or abs(x(v) - x(0.0)) >= 40:  # a scale label too close to 0's would overlap it
            out.append(
                _text(x(v), axis_y + 16, published(v, unit, short=True), size=11, anchor="middle", fill=MUTED)
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


CSV_COLUMNS = tuple(
    "area_code area_level period indicator measure value numerator denominator suppressed rag "
    "previous_period previous_value".split()
)


def values_csv(values: dict[str, Any]) -> str:
    """One row per measure (the headline first, then the components)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    area = values["area"]
    for ind in values["indicators"]:
        head = {**ind, "name": ind["measure"], "previous_value": ind["previous"]["value"]}
        for m in (head, *ind["components"]):
            writer.writerow(
                [
                    area["code"],
                    area["level"],
                    values["period"],
                    ind["code"],
                    m["name"],
                    "" if m["value"] is None else m["value"],
                    "" if m["numerator"] is None else m["numerator"],
                    "" if m["denominator"] is None else m["denominator"],
                    "true" if m["suppressed"] else "false",
                    ind["rag"] if m is head and ind["rag"] else "",
                    values["previous_period"],
                    "" if m.get("previous_value") is None else m["previous_value"],
                ]
            )
    return buffer.getvalue()
