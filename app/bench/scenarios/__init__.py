"""The scenarios of kith bench, by name, in the order they run. A scenario is a module with ``NAME``
and ``async def run(bench: Bench) -> ScenarioReport`` that seeds what it needs into the run's
database (and ``BY_DEFAULT = False`` if it runs only when named); adding one is one more module in
this tuple."""

from __future__ import annotations

from types import ModuleType

from app.bench.scenarios import (
    identity,
    identity_quality,
    import_csv,
    indicators,
    ingest,
    ledger,
    profile_read,
    timeline_read,
)

SCENARIOS: dict[str, ModuleType] = {
    m.NAME: m
    for m in (profile_read, timeline_read, ingest, ledger, identity, identity_quality, import_csv, indicators)
}
