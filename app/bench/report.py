"""What a run reports: per scenario its measurements (throughput and latency percentiles), each
beside the floor measured in the same run, and the performance targets they meet or miss."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from app.bench.load import LoadResult


def percentile(values, q: float) -> float | None:
    """The q-th percentile (0–100) of ``values``, interpolated; None when there are none."""
    values = sorted(values)
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 10) - 1]


@dataclass
class Figures:
    """Throughput (``unit`` per second) and latency percentiles in milliseconds of one measured load."""

    throughput: float | None
    unit: str
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    requests: int = 0
    client_cpu_share: float | None = None  # of one core, by the load generator (see LoadResult)

    @classmethod
    def of(
        cls, latencies_ms, throughput: float | None, unit: str, client_cpu: float | None = None
    ) -> Figures:
        return cls(
            _round(throughput),
            unit,
            _round(percentile(latencies_ms, 50), 2),
            _round(percentile(latencies_ms, 95), 2),
            _round(percentile(latencies_ms, 99), 2),
            len(latencies_ms),
            _round(client_cpu, 2),
        )

    @classmethod
    def of_load(cls, result: LoadResult, unit: str, per_request: int = 1) -> Figures:
        """The figures of a load the load generator drove; ``per_request`` items in each request."""
        throughput = result.count * per_request / result.elapsed
        return cls.of(result.latencies_ms, throughput, unit, result.client_cpu_share)


@dataclass
class Measurement:
    """One line of the report: what was measured, how, and its floor from the same run."""

    name: str
    figures: Figures
    floor: Figures | None = None
    concurrency: int | None = None
    workers: int | None = None
    errors: int = 0  # responses other than the expected ones

    @property
    def ratio_to_floor(self) -> float | None:
        if self.floor is None or not self.floor.throughput or self.figures.throughput is None:
            return None
        return self.figures.throughput / self.floor.throughput


@dataclass
class Check:
    """One performance target against the figure it constrains."""

    name: str  # what is compared, e.g. "p99_ms at 32 concurrent"
    value: float | None
    target: str  # e.g. "<= 25"
    passed: bool

    @classmethod
    def at_least(cls, name: str, value: float | None, limit: float) -> Check:
        return cls(name, value, f">= {limit:g}", value is not None and value >= limit)

    @classmethod
    def at_most(cls, name: str, value: float | None, limit: float) -> Check:
        return cls(name, value, f"<= {limit:g}", value is not None and value <= limit)


@dataclass
class ScenarioReport:
    scenario: str
    target: str  # the target's wording, e.g. "p95 ≤ 20 ms"
    floor: str  # what the floor is
    measurements: list[Measurement]
    checks: list[Check]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "target": self.target,
            "floor": self.floor,
            "pass": self.passed,
            "measurements": [
                asdict(m) | {"ratio_to_floor": _round(m.ratio_to_floor, 3)} for m in self.measurements
            ],
            "checks": [asdict(c) | {"value": _round(c.value, 3)} for c in self.checks],
            "details": self.details,
        }


def run_report(
    started_at: datetime, size: str, workers: int, scenarios: list[ScenarioReport], server_version: str | None
) -> dict:
    return {
        "kith_bench": 1,
        "started_at": started_at.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - started_at).total_seconds(), 1),
        "size": size,
        "workers": workers,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "postgresql": server_version,
        },
        "pass": all(s.passed for s in scenarios),
        "scenarios": [s.as_json() for s in scenarios],
    }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.{digits}f}"


def print_table(console: Console, report: dict) -> None:
    table = Table(title=f"kith bench ({report['size']}, {report['machine']['cores']} cores)")
    for column in ("scenario", "measure", "throughput", "p50 ms", "p95 ms", "p99 ms", "floor", "÷ floor"):
        table.add_column(column, justify="left" if column in ("scenario", "measure") else "right")
    for s in report["scenarios"]:
        for n, m in enumerate(s["measurements"]):
            f, floor = m["figures"], m["floor"]
            table.add_row(
                s["scenario"] if n == 0 else "",
                m["name"],
                f"{_num(f['throughput'])} {f['unit']}/s" if f["throughput"] is not None else "—",
                _num(f["p50_ms"]),
                _num(f["p95_ms"]),
                _num(f["p99_ms"]),
                _floor_cell(floor),
                "—" if m["ratio_to_floor"] is None else f"{m['ratio_to_floor']:.0%}",
            )
    console.print(table)
    checks = Table(title="Performance targets")
    for column in ("scenario", "check", "measured", "target", "result"):
        checks.add_column(column)
    for s in report["scenarios"]:
        for n, c in enumerate(s["checks"]):
            checks.add_row(
                s["scenario"] if n == 0 else "",
                c["name"],
                _num(c["value"], 2),
                c["target"],
                "[green]PASS[/]" if c["passed"] else "[red]FAIL[/]",
            )
    console.print(checks)


def _floor_cell(floor: dict | None) -> str:
    if floor is None:
        return "—"
    if floor["throughput"] is not None:
        return f"{_num(floor['throughput'])}/s"
    return f"p95 {_num(floor['p95_ms'])} ms"
