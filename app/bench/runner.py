"""One ``kith bench`` run: a fresh database, the chosen scenarios in turn, one report."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

from rich.console import Console

from app.bench.harness import Bench, fresh_database
from app.bench.report import ScenarioReport, print_table, run_report
from app.bench.scenarios import SCENARIOS


async def run_bench(
    names: list[str], size: str, workers: int, server_url: str | None, console: Console
) -> dict:
    """Run the scenarios ``names`` at ``size`` (full, quick or tiny) with ``workers`` server
    processes on a new database of ``server_url``'s server (embedded when None), dropped at the end;
    print the table and return the JSON report."""
    started_at = datetime.now(UTC)
    async with fresh_database(server_url) as url:
        bench = Bench(url, size, workers, console)
        await bench.prepare()
        owner = await bench.owner()
        try:
            server_version = await owner.fetchval("SHOW server_version")
        finally:
            await owner.close()
        reports: list[ScenarioReport] = []
        try:
            for name in names:
                console.rule(name)
                reports.append(await SCENARIOS[name].run(bench))
                gc.collect()
        finally:
            await bench.close()
    report = run_report(started_at, size, workers, reports, server_version)
    print_table(console, report)
    return report
