"""Statistical disclosure control: every rule that decides what an indicator figure may say.

Whom the rules stand against: an analyst — or, with ``KITH_INDICATORS_PUBLIC``, anyone — who knows
these rules, downloads every figure of every area, level, period and indicator, keeps earlier
downloads, and subtracts. What must not come out: any fact about one resident (that they were
counted in a cell) or about one organisation (its share of a figure).

1. **Small counts** of people (or organisations, or ties) — 1 to 7 — are suppressed: published as
   ``null`` with ``suppressed: true`` and the reason ``confidential``. Zero is published as 0
   (absence is not hidden, but see 6). The figures withheld by secondary suppression (5) carry the
   same reason, as the ONS's do: were they told apart, "small" would say 1–7, and a parent minus
   its small children would pin them.
2. **Cell-key perturbation** (the ONS method) in place of plain rounding. Plain rounding is a fixed
   function of the count, so when one person leaves a cell and its figure steps down at a rounding
   boundary, the difference proves they were in it. Here each person carries a fixed random record
   key in [0, 2³²) — a keyed hash of their canonical id and a secret salt made at installation
   (``indicator_state.record_key_salt``), so no partner can compute anyone's key. A cell's key is
   the sum of its people's keys mod 2³²; the count and the cell key pick noise in −2…+2 from a fixed
   perturbation table (``noise``), and the sum is rounded to 5 (never below 10). The same people
   always give the same figure (the same query always answers the same, and a ward equal to its
   only LSOA shows the same figure); one person more or less draws fresh noise, so the step is
   anything from −5 to +10, not a sure 0 or 5. Counts that are not of people (organisations,
   ties) take a cell key fixed per area, period and figure. A published figure ``v`` ≥ 10 says only
   that the count lies in ``possible(v)`` = [v − 4, v + 4] (and ≥ 8): the attacker's arithmetic.
3. **Sums** (volunteer hours, credits) are suppressed while fewer than 8 contribute (the count of
   contributors would be), and follow the **p% rule** (p = 10): suppressed (reason
   ``dominance``) when the contributions other than the two largest come to less than p% of the
   largest — the second contributor could then estimate the largest within p%. Published ones are
   perturbed like a count (floor 0).
4. **Dominance of an organisation in concentration**: the Herfindahl–Hirschman index is computed
   from the organisations' interactions rounded to 5, suppressed while fewer than 8 organisations
   are active, and published only as a band (reason ``dominance``, ``band`` [low, high]) when the
   p% rule fails on the organisations' loads or when the index itself pins the largest
   organisation's share within p% (an HHI of h says the largest share lies in [h, √h], and from
   h = 0.5 above (1 + √(2h − 1)) / 2: so from 5,000 always); the share of active residents
   resting on a single organisation is then withheld too (it is mostly that one's reach). No
   organisation is ever named.
5. **Secondary suppression** (``protect``): sets of figures that add up — a ward or MSOA and the
   LSOAs that partition it, for every count of people and for volunteer hours; organisations =
   public + social + commercial; ties = outside + inside; a quarter and its months, a year and its
   quarters, for hours and for credits R1 and R2 — and these relations between counts, each true of
   how they are computed, an inequality ``a ≤ b`` written ``b = a + hidden`` with a quantity that
   is never published: a quarter's (or year's) count of the people who did something at some time
   in it (active, in contact with a public service, volunteering, giving or receiving) is at least
   each month's (quarter's) and at most their sum; a quarter's residents and isolated residents are
   its last month's; a month's residents are at most the next month's (registration only adds); a
   period's ``prev_active`` holds the previous period's active; in a month, volunteers every month
   are its volunteers. (Not yet among them: the counts within a cell that hold others — volunteers
   among the active, the active among the residents. Such a bound narrows a small count only
   through figures withheld for others; adding them made publication far slower, so it waits for a
   faster audit.) The attacker's own interval arithmetic runs over all of them at once, chained to
   a fixpoint (``_attacker``), starting from every figure published now and every figure the last
   revision published (which anyone may have kept): a quarter withheld for its LSOAs is still
   bounded by its months, and that bound then used against its ward. For each count suppressed as
   small, the range left must hold all of 1–7 (any withheld figure counting, to the attacker, as
   anything from 0 up); for each sum withheld, it must stay wider than ±p% of it. Where it does
   not, a published figure that the narrow bound rests on is withheld (found by following each
   bound back through the groups that narrowed it): the smallest whose withholding hides something
   — not an exact 0, which is known from too many places, nor a figure an earlier revision
   published — until every range holds. This is interval propagation, not a full linear programme:
   it follows every chain of single relations, not a bound that only several solved together would
   give. An area's residents change slowly, so an area whose residents count had to be withheld for
   a neighbour is withheld in every period. Each bound is narrowed at most four times
   (``_NARROWINGS``): that stops bounds creeping a unit a round where a relation does not quite
   hold of the data, and could cut a very long chain short.
6. **Zeros beside suppression**: an exact 0 is not published beside a suppressed denominator (it
   would say that none of the area's few were counted); a sum is suppressed when its count of
   contributors is; and of an area whose residents count is withheld nothing at all is published.
7. **Rates** are computed from the published counts, never from the true ones, and are suppressed
   when a part is (``publication.py``).
8. **When** (``service._publish``): publication happens only at a scheduled revision
   (``KITH_INDICATOR_REVISION``, monthly by default): each publishes the periods that have ended
   since the last — never the month still filling — and revises the rest, each changed cell
   carrying ``revised_at``. Between revisions nothing published changes, not for an objection, an
   erasure or a late record, nor for an area new to a period.

Everything here is a pure function of the figures given, so the same input publishes the same.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

SMALLEST_PUBLISHED = 8
ROUND_TO = 5
SMALLEST_ROUNDED = 10  # a perturbed count of people is never published below this
P_PERCENT = 0.10
KEY_SPACE = 2**32

# The perturbation table: noise −2…+2 with these probabilities (mean 0, variance 1.2), drawn for a
# count by the cell key, shifted by a fixed offset per row (the count mod 64) so that neighbouring
# counts of the same cell draw independently.
NOISE = (-2, -1, 0, 1, 2)
_CUMULATIVE = (0.1, 0.3, 0.7, 0.9)
_ROWS = 64
MAX_ERROR = 4  # |noise| ≤ 2, rounding to 5 moves at most 2 more

SMALL, SECONDARY, DOMINANCE = "small", "secondary", "dominance"  # why, within publication
CONFIDENTIAL = "confidential"  # what is published of small and secondary alike
PUBLIC_REASON = {SMALL: CONFIDENTIAL, SECONDARY: CONFIDENTIAL, DOMINANCE: DOMINANCE}
REASONS = {
    CONFIDENTIAL: "fewer than 8 people (or organisations) in it, or withheld so that such a figure "
    "cannot be worked out by subtraction",
    DOMINANCE: "one organisation or person would make up most of it",
}


@dataclass(frozen=True)
class Figure:
    """A published figure: ``value`` is None when it is suppressed (``reason`` says why) or
    undefined (e.g. 0/0); ``band`` is a [low, high] range published in its place."""

    value: float | int | None
    suppressed: bool = False
    reason: str | None = None
    band: tuple[float, float] | None = None


SUPPRESSED = Figure(None, True, SMALL)
WITHHELD = Figure(None, True, SECONDARY)
DOMINATED = Figure(None, True, DOMINANCE)


def round5(n: float) -> int:
    """Nearest multiple of 5; halves (…2.5) go up, the same way every time."""
    return int((n + ROUND_TO / 2) // ROUND_TO * ROUND_TO)


def _row_offset(n: int) -> float:
    digest = hashlib.sha256(f"kith-ptable-{n % _ROWS}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / KEY_SPACE


_OFFSETS = tuple(_row_offset(n) for n in range(_ROWS))


def noise(n: int, cell_key: float) -> int:
    """The perturbation table's entry for a count and a cell key in [0, 1)."""
    return NOISE[bisect_right(_CUMULATIVE, (cell_key + _OFFSETS[n % _ROWS]) % 1.0)]


def cell_key(key_sum: int | None, *labels: str) -> float:
    """A cell's key in [0, 1): its people's record keys summed mod 2³² or, for counts that are not of
    people (``key_sum`` None), a fixed key of the labels (area, period, figure, salt)."""
    if key_sum is None:
        digest = hashlib.sha256("\x1f".join(labels).encode()).digest()
        key_sum = int.from_bytes(digest[:4], "big")
    return (int(key_sum) % KEY_SPACE) / KEY_SPACE


def perturbed(n: float, key: float, floor: int = SMALLEST_ROUNDED) -> int:
    return max(floor, round5(n + noise(int(n), key)))


def count(n: int | None, key: float = 0.0) -> Figure:
    """A count of people (or organisations, or ties), ready to publish."""
    if n is None:
        return Figure(None)
    if n == 0:
        return Figure(0)
    if n < SMALLEST_PUBLISHED:
        return SUPPRESSED
    return Figure(perturbed(n, key))


def possible(figure: Figure) -> tuple[float, float]:
    """What a published count says of the true one, to an attacker who knows these rules."""
    if figure.suppressed or figure.value is None:
        return (0, math.inf)
    if figure.value == 0:
        return (0, 0)
    return (max(SMALLEST_PUBLISHED, figure.value - MAX_ERROR), figure.value + MAX_ERROR)


def dominated(total: float, largest: float, second: float) -> bool:
    """The p% rule: could the second contributor estimate the largest within p%?"""
    return total - largest - second < P_PERCENT * largest


def total(*, n: int, sum_: float, top: Sequence[float], key: float) -> Figure:
    """A sum over ``n`` contributors whose two largest contributions are ``top``."""
    if sum_ <= 0:
        return Figure(0)
    if n < SMALLEST_PUBLISHED:
        return SUPPRESSED
    largest, second = [*top, 0.0, 0.0][:2]
    if dominated(sum_, largest, second):
        return DOMINATED
    return Figure(perturbed(round(sum_), key, floor=0))


HHI_BANDS = ((0.0, 1500.0), (1500.0, 2500.0), (2500.0, 10000.0))


def hhi(loads: Sequence[int]) -> Figure:
    """The Herfindahl–Hirschman index of the organisations' loads (interactions), 0–10,000."""
    if not loads:
        return Figure(None)
    if count(len(loads)).suppressed:
        return SUPPRESSED
    rounded = sorted((round5(n) for n in loads), reverse=True)
    whole = sum(rounded)
    if not whole:
        return SUPPRESSED
    h = sum(n * n for n in rounded) / whole / whole
    # The largest share s lies in [h, √h] (and, from h ≥ 0.5, above (1 + √(2h − 1)) / 2): from
    # h ≥ 0.5 that range is within p% of s, and below it the midpoint is when half the range is
    # under p% of h.
    pinned = h >= 0.5 or (math.sqrt(h) - h) / 2 < P_PERCENT * h
    if pinned or dominated(whole, rounded[0], rounded[1] if len(rounded) > 1 else 0):
        band = next(b for b in HHI_BANDS if b[0] <= h * 10000 <= b[1])
        return Figure(None, False, DOMINANCE, band)
    return Figure(round(h * 10000, 1))


def ratio(numerator: Figure, denominator: Figure, scale: float = 1.0) -> Figure:
    """numerator / denominator × scale from the published figures."""
    if numerator.suppressed or denominator.suppressed:
        return Figure(None, True, numerator.reason if numerator.suppressed else denominator.reason)
    if numerator.value is None or not denominator.value:
        return Figure(None)
    return Figure(round(numerator.value / denominator.value * scale, 4))


class Slot:
    """One figure of a cell while secondary suppression works over all of a period's cells, with
    its true value: a count withheld as small is protected to its whole range 1–7; a sum, or a
    count withheld for dominance, to more than ±p% of its true value. ``before``: the figure an
    earlier revision published for it, which the attacker has kept."""

    __slots__ = ("before", "figure", "is_sum", "true")

    def __init__(self, figure: Figure, true: float | None = None, *, is_sum: bool = False) -> None:
        self.figure = figure
        self.true = true
        self.is_sum = is_sum
        self.before: Figure | None = None


def hidden() -> Slot:
    """A quantity never published (the newcomers between two months' residents, the people counted
    in one figure and not in another that holds them): what turns ``a ≤ b`` into ``b = a + hidden``."""
    return Slot(WITHHELD)


class Group(NamedTuple):
    """Figures that add up: ``total`` is the sum of ``parts`` or, for a ``union`` (the people
    counted in a quarter and in each of its months), at least each part and at most their sum."""

    total: Slot
    parts: Sequence[Slot]
    union: bool = False


def _too_narrow(member: Slot, low: float, high: float) -> bool:
    """Whether a figure withheld for itself (not a secondary) is known within ``low``–``high``
    too closely: a small count must keep all of 1–7, a sum (or a count withheld for dominance) more
    than ±p% of its true value."""
    reason = member.figure.reason
    if not member.figure.suppressed or reason == SECONDARY:
        return False
    if reason == SMALL and not member.is_sum:
        return low > 1 or high < SMALLEST_PUBLISHED - 1
    return high - low < 2 * P_PERCENT * (member.true or 0) or high - low < 2 * MAX_ERROR


def _possible_of(figure: Figure, is_sum: bool) -> tuple[float, float]:
    if is_sum and not figure.suppressed and figure.value:
        return max(0, figure.value - MAX_ERROR), figure.value + MAX_ERROR
    return possible(figure)


def _bounds(slot: Slot) -> tuple[float, float]:
    """What the attacker knows of a slot from its own figures: ``possible`` of the figure (a
    published sum has no floor of 8: it is not a count), narrowed by what an earlier revision
    published for it (unless the two disagree: its true value changed since)."""
    low, high = _possible_of(slot.figure, slot.is_sum)
    if slot.before is not None:
        b_low, b_high = _possible_of(slot.before, slot.is_sum)
        if max(low, b_low) <= min(high, b_high):
            low, high = max(low, b_low), min(high, b_high)
    return low, high


def _published(slot: Slot) -> bool:
    return not slot.figure.suppressed and slot.figure.value is not None


def _hideable(slot: Slot) -> bool:
    """Published now, and withholding it hides something: not an exact 0 (a zero is known from too
    many places: a month with no one active has no organisations either), nor a value an earlier
    revision published."""
    if not _published(slot):
        return False
    before = slot.before
    return bool(slot.figure.value) and (before is None or before.suppressed or before.value is None)


Bound = Callable[[Slot], tuple[float, float]]
_NARROWINGS = 4  # times a bound may be narrowed (``_attacker``)


def _implied(member: Slot, group: Group, bound: Bound) -> tuple[float, float]:
    """What the rest of its group says of a member, by interval arithmetic on the others' bounds."""
    total, parts = group.total, group.parts
    if member is total:
        lows, highs = zip(*(bound(p) for p in parts), strict=True)
        return (max(lows) if group.union else sum(lows)), sum(highs)
    low, high = bound(total)
    for other in parts:
        if other is not member:
            o_low, o_high = bound(other)
            # a union's total says nothing of a part beyond "at most the total"
            low, high = low - o_high, high if group.union else high - o_low
    return low, high


Source = dict[tuple[int, int], int]  # (id of a slot, 0 for its low bound or 1 for its high) → group


def _attacker(groups: Sequence[Group], of: dict[int, list[int]]) -> tuple[Bound, Source]:
    """Every figure's range to an analyst who knows these rules, has every published figure and
    chains every group to a fixpoint (a figure withheld in one group narrowed through another, then
    used against a third); and for each bound so narrowed, the group that narrowed it. Counts are
    whole numbers; the bounds of sums are cut off at 1/100."""
    known: dict[int, tuple[float, float]] = {}
    source: Source = {}

    def bound(slot: Slot) -> tuple[float, float]:
        return known.get(id(slot)) or _bounds(slot)

    queue, queued = deque(range(len(groups))), set(range(len(groups)))
    # Interval propagation settles a bound in a few steps, except where relations do not quite hold
    # of the data (hours capped per month; history dated before a resident registered): there two
    # bounds creep towards each other a unit a round. So each bound is narrowed at most so often.
    narrowings: dict[int, int] = defaultdict(int)
    while queue:
        index = queue.popleft()
        queued.discard(index)
        group = groups[index]
        for member in (group.total, *group.parts):
            low, high = _implied(member, group, bound)
            if not member.is_sum:  # a count: whole numbers
                low = math.ceil(low - 1e-9) if math.isfinite(low) else low
                high = math.floor(high + 1e-9) if math.isfinite(high) else high
            old_low, old_high = bound(member)
            raised, lowered = low > old_low + 0.01, high < old_high - 0.01
            if not (raised or lowered) or max(low, old_low) > min(high, old_high):
                continue  # nothing new (or figures that contradict each other)
            if narrowings[id(member)] >= _NARROWINGS:
                continue
            narrowings[id(member)] += 1
            known[id(member)] = (max(low, old_low), min(high, old_high))
            for side, narrowed in ((0, raised), (1, lowered)):
                if narrowed:
                    source[(id(member), side)] = index
            for other in of[id(member)]:
                if other not in queued:
                    queue.append(other)
                    queued.add(other)
    return bound, source


def _causes(member: Slot, side: int, group: Group) -> list[tuple[Slot, int]]:
    """The bounds of the others in ``group`` that a member's low (side 0) or high (1) rests on."""
    total, parts = group.total, [p for p in group.parts if p is not member]
    if member is total and group.union and side == 0:  # at least the largest part
        return [(max(group.parts, key=lambda p: _bounds(p)[0]), 0)]
    if member is total:
        return [(p, side) for p in group.parts]
    if side == 0:
        return [(total, 0), *((p, 1) for p in parts)]
    return [(total, 1)] if group.union else [(total, 1), *((p, 0) for p in parts)]


def _victim(member: Slot, groups: Sequence[Group], source: Source, bound: Bound) -> Slot | None:
    """The published figure to withhold for an exposed one: of the published figures its too-narrow
    bound rests on (followed back through the groups that narrowed each bound), the smallest that
    withholding hides (``_hideable``), else the smallest."""
    low, high = bound(member)
    sides = [side for side, bad in ((0, low > 1), (1, high < SMALLEST_PUBLISHED - 1)) if bad] or [0, 1]
    found: dict[int, Slot] = {}
    seen: set[tuple[int, int]] = set()
    stack = [(member, side) for side in sides]
    while stack:
        slot, side = stack.pop()
        if (id(slot), side) in seen:
            continue
        seen.add((id(slot), side))
        if slot is not member and _published(slot):
            found[id(slot)] = slot
        index = source.get((id(slot), side))
        if index is not None:
            stack.extend(_causes(slot, side, groups[index]))
    candidates = [s for s in found.values() if _hideable(s)] or list(found.values())
    return min(candidates, key=lambda s: s.figure.value) if candidates else None


def protect(groups: Iterable[Group | tuple[Slot, Sequence[Slot]]]) -> int:
    """Secondary suppression over groups that add up (``Group``, or (total, parts) that sum):
    until no figure withheld for itself can be narrowed from everything published. First group by
    group (cheap, and it settles nearly everything), then by the attacker's interval arithmetic
    chained over all the groups at once, which finds what one group at a time cannot (a quarter
    withheld in one group, narrowed through its months, then used against its area's LSOAs).
    Returns how many figures it withheld."""
    groups = [Group(g[0], list(g[1]), *g[2:]) for g in groups if g[1]]
    of: dict[int, list[int]] = defaultdict(list)
    members: dict[int, Slot] = {}
    for index, group in enumerate(groups):
        for slot in (group.total, *group.parts):
            of[id(slot)].append(index)
            members[id(slot)] = slot
    withheld = _group_by_group(groups)

    def exposed(bound: Bound) -> list[Slot]:
        """The figures narrowed too far, leaving aside a bound that misses the true value: there
        the relations did not hold of the data, and what the attacker concludes is false."""
        out = []
        for slot in members.values():
            low, high = bound(slot)
            if _too_narrow(slot, low, high) and (slot.true is None or low - 1e-6 <= slot.true <= high + 1e-6):
                out.append(slot)
        return out

    while True:
        bound, source = _attacker(groups, of)
        victims = {
            id(v): v for v in (_victim(s, groups, source, bound) for s in exposed(bound)) if v is not None
        }
        if not victims:
            return withheld
        for victim in victims.values():
            victim.figure = WITHHELD
        withheld += len(victims)
        withheld += _group_by_group(groups)


def _group_by_group(groups: Sequence[Group]) -> int:
    """Withhold until no group by itself narrows a figure withheld for itself."""
    withheld, changed = 0, True
    while changed:
        changed = False
        for group in groups:
            for member in (group.total, *group.parts):
                if not _too_narrow(member, *_implied(member, group, _bounds)):
                    continue
                # the smallest published part, else the total: first among those whose withholding
                # hides something
                published = [p for p in group.parts if _published(p)]
                total = [group.total] if _published(group.total) else []
                options = (
                    [p for p in published if _hideable(p)]
                    or [t for t in total if _hideable(t)]
                    or published
                    or total
                )
                if not options:  # nothing left in the group that narrows it
                    continue
                victim = min(options, key=lambda p: p.figure.value)
                victim.figure = WITHHELD
                withheld += 1
                changed = True
    return withheld


# What each indicator's published figures go through, in words, for its page.
COMMON_RULES = (
    "Counts of 1–7 people (or organisations) are not published; other counts are perturbed by a small "
    "amount fixed by who is in them (cell-key perturbation) and rounded to 5.",
    "A figure is also withheld where it, its parent area and its neighbours would let a withheld one be "
    "worked out by subtraction (secondary suppression).",
    "Rates are worked out from the published counts. A period is published once it has ended; changes "
    "(objections, erasures, late records) reach published figures only at a scheduled revision.",
)
INDICATOR_RULES: dict[str, str] = {
    "sector_mix": "Organisation counts follow the same rules as counts of people; no organisation is named.",
    "volunteering": "Hours are published only where at least 8 volunteered and no one or two of them gave "
    "nearly all of them (the p% rule, p = 10); they are withheld with the count of volunteers.",
    "local_multiplier": "R1, R2 and R3 are sums over organisations and residents: each is withheld unless at "
    "least 8 contribute and the p% rule (p = 10) holds, so no one's credits can be estimated.",
    "concentration": "Where the index would let one organisation's share be estimated within 10%, only its "
    "band is published (for example 2,500–10,000, highly concentrated); no organisation is named.",
}
