"""Proxy headers are believed only from the proxies named in KITH_TRUSTED_PROXIES: a client that
rotates X-Forwarded-For does not get past the token endpoint's per-address limit. Against a real
`kith serve`, since uvicorn (not the app) decides which peer's headers to believe."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def kith_serve(database_url: str, data_dir, **settings: str):
    """A real `kith serve` on a free port: yields its base URL; stopped (SIGTERM) afterwards."""
    with kith_serve_process(database_url, data_dir, **settings) as (base, _proc):
        yield base


@contextmanager
def kith_serve_process(database_url: str, data_dir, **settings: str):
    """:func:`kith_serve`, yielding the process too (its own process group), for tests that kill it."""
    port = free_port()
    env = {
        **os.environ,
        "KITH_DATABASE_URL": database_url,
        "KITH_DATA_DIR": str(data_dir),
        "KITH_ENV": "test",
        "KITH_LOG_LEVEL": "WARNING",
        "KITH_WEBHOOK_WORKER": "false",
        "KITH_INDICATOR_REFRESH_SECONDS": "0",
        # No audit checkpoints: signed with this server's key, they would not verify with the key
        # of another test's app sharing the database.
        "KITH_AUDIT_CHECKPOINT_SECONDS": "0",
        **settings,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--no-migrate", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "kith serve did not start"
            time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def wrong_secrets_with_rotating_forwarded_for(base: str, n: int = 75) -> list[int]:
    with httpx.Client(base_url=base, timeout=10) as c:
        return [
            c.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=("kc_nobody", f"wrong-{i}"),
                headers={"X-Forwarded-For": f"203.0.113.{i % 250 + 1}"},
            ).status_code
            for i in range(n)
        ]


class TestForwardedFor:
    def test_rotating_it_meets_the_limit_when_no_proxy_is_trusted(self, database_url, tmp_path):
        # Per hour, and not in an hour's last minute: the limiter's sliding window weighs the window
        # before, so a run that straddles a window's end would be let a request or two more.
        with kith_serve(database_url, tmp_path, KITH_TOKEN_RATE_LIMIT="60/hour") as base:
            if time.time() % 3600 > 3540:
                time.sleep(3600 - time.time() % 3600 + 1)
            statuses = wrong_secrets_with_rotating_forwarded_for(base)
        assert statuses[:60] == [401] * 60
        assert set(statuses[60:]) == {429}

    def test_a_named_proxy_is_believed(self, database_url, tmp_path):
        # Behind a proxy Kith trusts, each forwarded address has its own allowance.
        with kith_serve(
            database_url, tmp_path, KITH_TOKEN_RATE_LIMIT="60/minute", KITH_TRUSTED_PROXIES="127.0.0.1"
        ) as base:
            statuses = wrong_secrets_with_rotating_forwarded_for(base)
        assert set(statuses) == {401}
