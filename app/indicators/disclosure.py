"""Statistical disclosure control on everything the indicators API returns.

- A count of 1–7 is suppressed (published as null, with ``suppressed: true``); any other count is
  rounded to the nearest 5 (0 stays 0, so absence is not hidden).
- A rate is computed from the published (rounded) figures, and is suppressed when either part is.
- A sum (hours, credits) is published only when at least 3 contribute and no one contributes more
  than half of it; then like a count (1–7 suppressed, otherwise rounded to the nearest 5).
- Pure functions of the stored figures, so the same query always answers the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SMALLEST_PUBLISHED = 8
ROUND_TO = 5
MIN_CONTRIBUTORS = 3
MAX_SHARE = 0.5


@dataclass(frozen=True)
class Figure:
    """A published figure: ``value`` is None when it is suppressed (or undefined, e.g. 0/0)."""

    value: float | int | None
    suppressed: bool = False


SUPPRESSED = Figure(None, True)


def round5(n: float) -> int:
    """Nearest multiple of 5; halves (…2.5) go up, the same way every time."""
    return int((n + ROUND_TO / 2) // ROUND_TO * ROUND_TO)


def count(n: int | None) -> Figure:
    """A count of people (or organisations, or ties), ready to publish."""
    if n is None:
        return Figure(None)
    if 1 <= n < SMALLEST_PUBLISHED:
        return SUPPRESSED
    return Figure(round5(n))


def total(
    contributions: Sequence[float] | None = None, *, n: int = 0, largest: float = 0.0, sum_: float = 0.0
) -> Figure:
    """A sum over contributors, published only when ≥ 3 contribute and none gives more than half.
    Give the contributions, or their number, largest and sum."""
    if contributions is not None:
        positive = [c for c in contributions if c > 0]
        n, largest, sum_ = len(positive), max(positive, default=0.0), float(sum(positive))
    if sum_ <= 0:
        return Figure(0)
    if n < MIN_CONTRIBUTORS or largest > MAX_SHARE * sum_:
        return SUPPRESSED
    # then published like a count: small totals suppressed, others rounded to 5
    return count(round(sum_))


def ratio(numerator: Figure, denominator: Figure, scale: float = 1.0) -> Figure:
    """numerator / denominator × scale from the published figures."""
    if numerator.suppressed or denominator.suppressed:
        return SUPPRESSED
    if numerator.value is None or not denominator.value:
        return Figure(None)
    return Figure(round(numerator.value / denominator.value * scale, 4))
