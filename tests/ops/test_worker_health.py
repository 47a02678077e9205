"""`kith worker --check`, the compose file's health check of the worker: healthy only while a
worker on this machine reaches the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.test_cli import kith


def test_healthy_while_the_worker_reaches_the_database_and_not_after(database_url, tmp_path):
    data_dir = tmp_path / "worker-data"
    assert kith("worker", "--check", database_url=database_url, data_dir=data_dir).returncode != 0
    env = {
        **os.environ,
        "KITH_DATABASE_URL": database_url,
        "KITH_DATA_DIR": str(data_dir),
        "KITH_INDICATOR_REFRESH_SECONDS": "0",  # nothing but the jobs' loops and the heartbeat
        "KITH_IDENTITY_RETRAIN_SECONDS": "0",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            checked = kith("worker", "--check", database_url=database_url, data_dir=data_dir)
            if checked.returncode == 0 or time.monotonic() > deadline or worker.poll() is not None:
                break
            time.sleep(1)
        assert checked.returncode == 0, (checked.stderr, worker.poll())
        assert "worker alive" in checked.stdout
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    for beat in data_dir.glob("worker-*.heartbeat"):
        old = time.time() - 120  # the worker gone for two minutes
        os.utime(beat, (old, old))
    stale = kith("worker", "--check", database_url=database_url, data_dir=data_dir)
    assert stale.returncode != 0 and "in the last minute" in stale.stderr
