"""What ships: the package the Docker image installs holds every file the app reads; the image's
install step works as written; the compose file runs a worker with a health check and says how
to make the first organisation, which its script does."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_cli import kith

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text()
COMPOSE = ROOT / "docker" / "compose.yaml"


def _tracked_data_files() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", "app"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {name for name in listed if not name.endswith(".py")}


@pytest.mark.slow
def test_the_images_install_step_installs_every_file_the_app_reads(tmp_path):
    """The Dockerfile's `pip install … .` (its dependencies left out: the test environment has
    them) into a prefix of its own: every template, style sheet and data file is there, and so is
    the `kith` command."""
    [install] = re.findall(r"^RUN (pip install .*)$", DOCKERFILE, re.MULTILINE)
    assert install.endswith(" .") and "--prefix=/install" in install
    argv = install.replace("--prefix=/install", f"--prefix={tmp_path}").split()
    source = tmp_path / "src"  # the build context as the Dockerfile copies it
    for name in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, re.MULTILINE):
        for part in name.split():
            target = source / part
            if (ROOT / part).is_dir():
                shutil.copytree(ROOT / part, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / part, target)
    # --ignore-installed: pip would otherwise uninstall the test environment's own Kith first.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            *argv[:2],
            *argv[2:-1],
            "--no-deps",
            "--ignore-installed",
            "--quiet",
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert importlib.metadata.version("kith"), "the test environment's Kith is still installed"
    [site] = list(tmp_path.glob("lib/python*/site-packages"))
    installed = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()}
    missing = _tracked_data_files() - installed
    assert not missing, f"left out of the package (pyproject's package-data): {sorted(missing)}"
    assert (tmp_path / "bin" / "kith").exists()


def test_the_wheel_lists_every_data_file_in_pyproject():
    """The same, without building: each file is matched by a package-data pattern of its package."""
    import tomllib
    from fnmatch import fnmatch

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    unmatched = []
    for name in _tracked_data_files():
        parts = name.split("/")
        owners = [(".".join(parts[:i]), "/".join(parts[i:])) for i in range(1, len(parts))]
        if not any(fnmatch(rest, p) for package, rest in owners for p in patterns.get(package, [])):
            unmatched.append(name)
    assert not unmatched, unmatched


def test_the_compose_file_runs_a_worker_with_a_health_check_and_mail_settings():
    compose = yaml.safe_load(COMPOSE.read_text())
    worker = compose["services"]["worker"]
    assert worker["healthcheck"]["test"] == ["CMD", "kith", "worker", "--check"]
    for service in ("api", "worker"):
        assert "KITH_SMTP_HOST" in compose["services"][service]["environment"], service
    assert "docker/first-org.sh" in COMPOSE.read_text()


def test_the_compose_file_is_valid_where_docker_compose_is_installed():
    if (
        shutil.which("docker") is None
        or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode
    ):
        pytest.skip("no docker compose on this machine (the structure is checked above)")
    done = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "-q"],
        env={**os.environ, "KITH_DB_PASSWORD": "checking"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_the_first_organisation_script_makes_an_organisation_and_an_admin_client(
    tmp_path, database_url, data_dir
):
    """docker/first-org.sh, its `docker compose run … api` done here instead: the commands it runs
    in the container run against the test database."""
    fake = tmp_path / "docker"
    fake.write_text('#!/bin/sh\n# docker compose -f compose.yaml run --rm -T api CMD…\nshift 7\nexec "$@"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    bin_dir = Path(sys.executable).parent
    python = tmp_path / "python"
    python.symlink_to(sys.executable)
    env = {
        **os.environ,
        "PATH": f"{tmp_path}:{bin_dir}:{os.environ['PATH']}",
        "KITH_DATABASE_URL": database_url,
        "KITH_DATA_DIR": str(data_dir),
    }
    done = subprocess.run(
        ["sh", str(ROOT / "docker" / "first-org.sh"), "Riverside Council", "public", "council"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    org = re.search(r"organisation: ([0-9a-f-]{36})", done.stdout).group(1)
    assert re.search(r"client_secret: ks_", done.stdout)
    shown = kith("orgs", "show", org, "--json", database_url=database_url, data_dir=data_dir)
    assert '"admin"' in shown.stdout
