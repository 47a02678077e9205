"""`kith bench` end to end at token size: each scenario starts its servers and load generator,
seeds, measures and reports. The figures at this size say nothing about speed, so these tests check
the report's shape and the checks that hold at any size (no failed requests, the access log and
the ledger's invariants intact, every ingested row stored) — never a speed target."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import asyncpg
import pytest
from typer.testing import CliRunner

from app.bench.scenarios import SCENARIOS
from app.cli import cli
from tests.conftest import _plain

# The checks that are about correctness, not speed: they must pass even at token size.
CORRECTNESS = {
    "profile-read": ["failed reads", "access-log entries = successful reads"],
    "timeline-read": ["failed reads", "access-log entries = successful reads"],
    "ingest": ["failed batches", "rows stored = rows sent"],
    "ledger": ["invariant violations", "failed transfers"],
    "identity": ["failed requests"],
    "identity-quality": [],
    "import": ["rejected rows", "people stored = rows sent"],
    "indicators": ["failed requests", "roll-up's figures = the full scan's"],
}
FLOORED = {"profile-read", "timeline-read", "ingest", "ledger", "import"}
QUALITY = {
    "identity-quality"
}  # measured in F1 beside a peer's, not in requests  # the targets set a throughput against a floor for these


def bench(server_url: str, *args: str) -> tuple[subprocess.CompletedProcess, int]:
    """Run ``kith bench``: what it did, and its process id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_")} | {
        "KITH_DATABASE_URL": server_url
    }
    command = [sys.executable, "-m", "app.cli", "bench", *args]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as run:
        try:
            stdout, stderr = run.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            run.kill()
            raise
    return subprocess.CompletedProcess(command, run.returncode, stdout, stderr), run.pid


async def bench_databases(server_url: str, pid: int) -> list[str]:
    """The databases the run of process ``pid`` left on the server (others may be running benches
    on the same server meanwhile)."""
    conn = await asyncpg.connect(_plain(server_url))
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"kith_bench_{pid}_%"
        )
        return [r[0] for r in rows]
    finally:
        await conn.close()


def test_every_scenario_is_tested():
    assert set(CORRECTNESS) == set(SCENARIOS)


@pytest.mark.bench
@pytest.mark.parametrize("scenario", list(CORRECTNESS))
async def test_quick_run_of_one_scenario_reports_it(server_url, tmp_path, scenario):
    out = tmp_path / "report.json"
    # One server process is enough to prove the harness, except where the report compares 1 and 2.
    workers = "2" if scenario == "profile-read" else "1"
    args = ("--quick", "--tiny", "--workers", workers, "--scenario", scenario, "--out", str(out))
    done, pid = await asyncio.to_thread(bench, server_url, *args)
    assert done.returncode == 0, done.stderr[-3000:]

    report = json.loads(out.read_text())
    assert json.loads(done.stdout) == report
    assert report["size"] == "tiny" and report["workers"] == int(workers)
    assert report["machine"]["cores"] == os.cpu_count() and report["machine"]["postgresql"]
    [s] = report["scenarios"]
    assert s["scenario"] == scenario and s["target"] and s["floor"]
    assert s["measurements"]
    for m in s["measurements"]:
        figures = m["figures"]
        if scenario in QUALITY:
            assert 0 <= figures["throughput"] <= 1 and 0 <= m["floor"]["throughput"] <= 1  # F1s
            continue
        assert figures["requests"] > 0 and figures["throughput"] > 0
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
        if scenario in FLOORED:
            assert m["floor"]["throughput"] > 0
            assert m["ratio_to_floor"] == pytest.approx(
                figures["throughput"] / m["floor"]["throughput"], abs=1e-3
            )
    checks = {c["name"]: c for c in s["checks"]}
    for name in CORRECTNESS[scenario]:
        assert checks[name]["passed"], checks[name]
    assert s["pass"] == all(c["passed"] for c in s["checks"])
    assert report["pass"] == s["pass"]
    if scenario == "profile-read":  # measured at 1 worker and at the run's 2, to show the growth
        assert [m["workers"] for m in s["measurements"]] == [1, 2]
        by_workers = s["details"]["throughput_by_workers"]
        growth = by_workers["2"] / by_workers["1"]
        assert s["details"]["growth_1_to_n_workers"] == pytest.approx(growth, abs=0.01)
        # The second floor (the read inserting a row) was measured at each worker count too.
        assert set(s["details"]["second_floor_requests_per_s_by_workers"]) == {"1", "2"}
        # And Kith's own stack answering /healthz, beside the floor.
        assert set(s["details"]["stack_ratio_to_floor_by_workers"]) == {"1", "2"}
        assert all(v > 0 for v in s["details"]["stack_requests_per_s_by_workers"].values())
    if scenario == "identity":  # the quality of the auto-matches, against the synthetic truth
        details = s["details"]
        for measure in ("precision", "recall", "f1"):
            assert 0 <= details[f"auto_match_{measure}"] <= 1
        assert "precision" in done.stderr and "F1" in done.stderr
    # The table went to stderr, the run's database is gone.
    assert scenario in done.stderr and "Performance targets" in done.stderr
    assert await bench_databases(server_url, pid) == []


def test_unknown_scenario_is_refused():
    done = CliRunner().invoke(cli, ["bench", "--quick", "--scenario", "nonesuch"])
    assert done.exit_code == 1
    assert "unknown scenario(s): nonesuch" in done.output and "profile-read" in done.output
