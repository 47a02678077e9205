"""The suite's own machinery, which every test relies on: random data that a seed reproduces, and
the session whose writes are rolled back."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import text

from app.auth.principal import Principal
from app.organisations import service as organisations
from tests.conftest import rolled_back_session, seed_of
from tests.factories import random_data, unique_resident

ROOT = Path(__file__).resolve().parents[1]


class TestRandomData:
    def test_a_tests_seed_is_made_of_the_runs_and_the_tests_id(self, request, seeded_random):
        assert seeded_random == seed_of(request.node.nodeid)
        assert seed_of("tests/x.py::test_a") != seed_of("tests/x.py::test_b")

    def test_the_same_seed_makes_the_same_residents_and_other_tests_make_others(self, request, seeded_random):
        try:
            random_data.begin("tests/x.py::test_a", 7)
            first = [unique_resident() for _ in range(3)]
            random_data.begin("tests/x.py::test_a", 7)
            assert [unique_resident() for _ in range(3)] == first
            assert len({r["email"] for r in first}) == 3
            # Another test drawing from the same seed still makes residents of its own.
            random_data.begin("tests/x.py::test_b", 7)
            assert {r["email"] for r in (unique_resident() for _ in range(3))}.isdisjoint(
                r["email"] for r in first
            )
        finally:
            random_data.begin(request.node.nodeid, seeded_random)

    def test_a_failures_report_names_the_seed_that_reproduces_it(self, tmp_path):
        (tmp_path / "test_fails.py").write_text(
            "import os, random\n\n"
            "def test_draws():\n"
            "    print('drew', random.random(), os.environ['PYTEST_CURRENT_TEST'].split(' ')[0])\n"
            "    assert False\n"
        )
        pytest_with_our_conftest = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
        ]
        done = subprocess.run(
            [*pytest_with_our_conftest, str(tmp_path / "test_fails.py")],
            cwd=ROOT,
            env={**os.environ, "KITH_TEST_SEED": "4242"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1, done.stdout + done.stderr
        assert "KITH_TEST_SEED=4242 reproduces this" in done.stdout
        # What it drew is what run seed 4242 gives that test, whichever run (or machine) it is.
        _, drawn, node_id = next(line for line in done.stdout.splitlines() if line.startswith("drew")).split()
        assert float(drawn) == random.Random(seed_of(node_id, 4242)).random()


class TestRolledBackSession:
    async def test_writes_are_gone_afterwards_even_committed_ones(self, app, owner_conn):
        name = f"Rolled back {uuid.uuid4().hex[:8]}"
        async with rolled_back_session(app) as session:
            assert await session.scalar(text("SELECT current_user")) == "kith_app"
            org = await organisations.create_organisation(
                session, Principal.operator(), name=name, sector="public", kind="council"
            )
            await session.commit()  # as the code under test might: it ends only a savepoint
            # The platform context lets the app's role see it; no other connection does.
            assert (
                await session.scalar(
                    text("SELECT count(*) FROM organisations WHERE id = :id"), {"id": org.id}
                )
                == 1
            )
            assert await owner_conn.fetchval("SELECT count(*) FROM organisations WHERE name = $1", name) == 0
        assert await owner_conn.fetchval("SELECT count(*) FROM organisations WHERE name = $1", name) == 0
