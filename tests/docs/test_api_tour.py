"""docs/api-tour.md runs as written: every ```sh block, in order, in one bash process, against a
real `kith serve` on a database of its own, with `kith` on the PATH as the tour says."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import fresh_database
from tests.ops.test_proxy_headers import kith_serve

TOUR = Path(__file__).resolve().parents[2] / "docs" / "api-tour.md"
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)


@pytest.fixture(scope="module")
async def own_database(server_url: str):
    """A fresh database: the tour's resident must be new to Kith, not matched to another test's."""
    async with fresh_database(server_url) as url:
        yield url


def kith_on_path(directory: Path) -> Path:
    """A directory holding a `kith` that runs this interpreter's Kith, as `. .venv/bin/activate` would."""
    directory.mkdir()
    shim = directory / "kith"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m app.cli "$@"\n')
    shim.chmod(0o755)
    return directory


def run_tour(base: str, database_url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    blocks = SH_BLOCK.findall(TOUR.read_text())
    assert len(blocks) >= 10, "the tour's commands are in ```sh blocks"
    env = {
        **os.environ,
        "API": base,
        "KITH_DATABASE_URL": database_url,
        "KITH_DATA_DIR": str(tmp_path / "data"),
        "KITH_LOG_LEVEL": "WARNING",
        # `kith`, and the environment's own `pip` and `python3`, as `. .venv/bin/activate` gives them.
        "PATH": os.pathsep.join(
            [
                str(kith_on_path(tmp_path / "bin")),
                str(Path(sys.executable).parent),
                os.environ.get("PATH", ""),
            ]
        ),
    }
    script = "set -euo pipefail\n" + "\n".join(blocks)
    work = tmp_path / "work"
    work.mkdir()
    (work / "clients").symlink_to(TOUR.parents[1] / "clients")  # the tour runs in the project directory
    return subprocess.run(
        ["bash", "-c", script], env=env, cwd=work, capture_output=True, text=True, timeout=600
    )


async def test_every_command_of_the_tour_runs(own_database, tmp_path):
    # In development mode, as the tour says: mail to the resident lands on /dev/outbox.
    with kith_serve(own_database, tmp_path / "serve", KITH_ENV="dev") as base:
        done = run_tour(base, own_database, tmp_path)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    # What the prose around the commands says they show.
    out = done.stdout
    answers = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert '"invalid_client"' in out  # a wrong secret
    assert '"code":"unknown_purpose"' in out  # the problem+json example
    statuses = [a["resolution"]["status"] for a in answers if "resolution" in a]
    assert statuses == ["created", "created"]  # new to each; the café learns nothing of the council
    cafe_offers_reads = [
        a["attributes"] for a in answers if a.get("purpose") == "offers" and "attributes" in a
    ]
    assert "phone" not in cafe_offers_reads[0]  # before consent: only the café's own values
    assert cafe_offers_reads[1]["phone"]["source_sector"] == "public"  # after: the council's too
    assert '"accepted":2,"duplicates":0' in out and '"field":"external_id"' in out  # the batch
    assert '"code":"exceeds_credits"' in out  # more than the wallet holds
    assert '"field":"resident_code"' in out  # knowing her is not enough to spend
    assert out.count("Permission confirmed") == 2  # she confirmed the café's two grants
    wallet = next(a for a in answers if "balance" in a and "history" in a)
    assert (wallet["balance"], len(wallet["history"])) == (1, 2)  # 3 earned, 2 spent
    assert "audit trail intact" in out and "database holds together" in out
    assert re.search(r"found [0-9a-f-]{36} \(CASE-1042\), score", out)  # the Python client's search
