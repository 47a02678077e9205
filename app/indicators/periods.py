"""Periods the indicators are reported for: a month (``2026-03``), a quarter (``2026-Q1``) or a
year (``2026``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_SPAN = {"month": 1, "quarter": 3, "year": 12}


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    start: date  # first day
    kind: str  # month | quarter | year

    @classmethod
    def parse(cls, text: str) -> Period:
        """The period ``text`` names; ValueError when it names none."""
        text = text.strip()
        if m := _MONTH.match(text):
            return cls(date(int(m[1]), int(m[2]), 1), "month")
        if m := _QUARTER.match(text.upper()):
            return cls(date(int(m[1]), 3 * int(m[2]) - 2, 1), "quarter")
        if m := _YEAR.match(text):
            return cls(date(int(m[1]), 1, 1), "year")
        raise ValueError("must be YYYY-MM, YYYY-Qn or YYYY")

    @classmethod
    def containing(cls, day: date, kind: str) -> Period:
        if kind == "month":
            return cls(date(day.year, day.month, 1), kind)
        if kind == "quarter":
            return cls(date(day.year, (day.month - 1) // 3 * 3 + 1, 1), kind)
        return cls(date(day.year, 1, 1), kind)

    @property
    def months(self) -> int:
        return _SPAN[self.kind]

    @property
    def end(self) -> date:
        """The first day after the period."""
        return add_months(self.start, self.months)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    def shifted(self, steps: int) -> Period:
        return Period(add_months(self.start, steps * self.months), self.kind)

    @property
    def previous(self) -> Period:
        return self.shifted(-1)

    def __str__(self) -> str:
        return self.label


def every_period(first_month: date, last_month: date) -> list[Period]:
    """Every month, quarter and year from the one holding ``first_month`` to the one holding
    ``last_month``."""
    out: list[Period] = []
    for kind in ("month", "quarter", "year"):
        p = Period.containing(first_month, kind)
        while p.start <= last_month:
            out.append(p)
            p = p.shifted(1)
    return out
