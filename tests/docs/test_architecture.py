"""docs/architecture.md names the owning package of every table the migrations make."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

ARCHITECTURE = Path(__file__).parents[2] / "docs" / "architecture.md"
NOT_OWNED = {"alembic_version"}  # Alembic's own


async def test_every_table_has_an_owner_in_the_architecture(owner_conn):
    text = ARCHITECTURE.read_text()
    rows = [line for line in text.splitlines() if re.match(r"\| `[a-z_]+/` \|", line)]
    owned: dict[str, str] = {}
    for row in rows:
        package, tables = row.split("|")[1].strip(), row.split("|")[2]
        for name in re.findall(r"`([a-z_*]+)`", tables):
            owned[name] = package
    tables = [
        r["relname"]
        for r in await owner_conn.fetch(
            "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace"
        )
        if r["relname"] not in NOT_OWNED
    ]
    unowned = [t for t in tables if not any(fnmatch.fnmatchcase(t, pattern) for pattern in owned)]
    assert tables and not unowned, f"tables with no owner in docs/architecture.md: {unowned}"
    stale = [p for p in owned if "*" not in p and p not in tables]
    assert not stale, f"docs/architecture.md names tables that do not exist: {stale}"
