"""The community DNA radar chart (SVG) and the CSV of values: renderings of published values."""

from __future__ import annotations

import csv
import io
import math
from typing import Any
from xml.sax.saxutils import escape

SIZE = 640  # the chart's height; it is wider, so that the labels beside it fit
WIDTH = 880
CENTRE_X, CENTRE = WIDTH / 2, SIZE / 2
RADIUS = 210
LABEL_CHARS = 22  # longer labels wrap onto further lines


def _point(i: int, n: int, r: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n
    return round(CENTRE_X + r * math.cos(angle), 1), round(CENTRE + r * math.sin(angle), 1)


def _wrapped(label: str) -> list[str]:
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= LABEL_CHARS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _shown(value: Any, unit: str) -> str:
    if value is None:
        return "not published"
    if unit == "share":
        return f"{value * 100:.0f}%"
    return f"{value:g}"


def radar_svg(values: dict[str, Any]) -> str:
    """A radar of the ten normalised values, this period (solid) against the previous (dashed),
    with a <title> and a <desc> listing every value for screen readers."""
    indicators = values["indicators"]
    n = len(indicators)
    area = values["area"]
    place = area["name"] or area["code"]
    title = f"Community DNA of {place}, {values['period']} against {values['previous_period']}"
    lines = []
    for i in indicators:
        rating = f" ({i['rag']})" if i["rag"] else ""
        lines.append(
            f"{i['name']}: {_shown(i['value'], i['unit'])}{rating}, "
            f"previously {_shown(i['previous']['value'], i['unit'])}"
        )
    desc = (
        "Ten community resilience indicators on a 0 to 1 scale, 1 being the resilient end. "
        + "; ".join(lines)
        + ". Values not published (too few people) are drawn at the centre."
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {SIZE + 40}" width="{WIDTH}" '
        f'height="{SIZE + 40}" role="img" aria-labelledby="dna-title dna-desc" font-family="sans-serif">',
        f'<title id="dna-title">{escape(title)}</title>',
        f'<desc id="dna-desc">{escape(desc)}</desc>',
        f'<rect width="{WIDTH}" height="{SIZE + 40}" fill="#ffffff"/>',
    ]
    for ring in (0.25, 0.5, 0.75, 1.0):
        pts = " ".join(f"{x},{y}" for x, y in (_point(i, n, RADIUS * ring) for i in range(n)))
        out.append(f'<polygon points="{pts}" fill="none" stroke="#c8c8c8" stroke-width="1"/>')
    for i, ind in enumerate(indicators):
        x, y = _point(i, n, RADIUS)
        out.append(
            f'<line x1="{CENTRE_X}" y1="{CENTRE}" x2="{x}" y2="{y}" stroke="#c8c8c8" stroke-width="1"/>'
        )
        lx, ly = _point(i, n, RADIUS + 28)
        anchor = "middle" if abs(lx - CENTRE_X) < 20 else ("start" if lx > CENTRE_X else "end")
        lines = _wrapped(ind["name"])
        if ly < CENTRE - RADIUS:  # above the chart: the last line sits on the label's point
            ly -= 16 * (len(lines) - 1)
        spans = "".join(
            f'<tspan x="{lx}" dy="{0 if k == 0 else 16}">{escape(line)}</tspan>'
            for k, line in enumerate(lines)
        )
        out.append(
            f'<text x="{lx}" y="{ly}" text-anchor="{anchor}" font-size="13" fill="#1a1a1a">{spans}</text>'
        )

    def polygon(key: str, colour: str, dash: str, label: str) -> None:
        pts = []
        for i, ind in enumerate(indicators):
            v = ind["normalised"] if key == "now" else ind["previous"]["normalised"]
            pts.append(_point(i, n, RADIUS * (v or 0.0)))
        joined = " ".join(f"{x},{y}" for x, y in pts)
        out.append(
            f'<polygon points="{joined}" fill="{colour}" fill-opacity="0.18" stroke="{colour}" '
            f'stroke-width="2.5"{dash}><title>{escape(label)}</title></polygon>'
        )

    polygon("before", "#6b6b6b", ' stroke-dasharray="6 4"', f"Previous period, {values['previous_period']}")
    polygon("now", "#0b5fa5", "", f"This period, {values['period']}")
    out.append(
        f'<text x="20" y="{SIZE + 10}" font-size="13" fill="#0b5fa5">■ {escape(values["period"])} (solid)</text>'
    )
    out.append(
        f'<text x="220" y="{SIZE + 10}" font-size="13" fill="#4a4a4a">■ {escape(values["previous_period"])} (dashed)</text>'
    )
    out.append(f'<text x="20" y="{SIZE + 30}" font-size="12" fill="#4a4a4a">{escape(place)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


CSV_COLUMNS = (
    "area_code",
    "area_level",
    "period",
    "indicator",
    "measure",
    "value",
    "numerator",
    "denominator",
    "suppressed",
    "rag",
    "previous_period",
    "previous_value",
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
