"""The incremental roll-up equals the full computation, whatever arrives in whatever order."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.auth.principal import Principal
from app.core.config import Settings
from app.db.session import Database
from app.identity import merges as identity
from app.indicators import repository, service
from app.indicators.computation import RES_RAW
from app.indicators.periods import Period
from tests.conftest import _plain
from tests.indicators.neighbourhood import Neighbourhood

PERIODS = [Period.parse(p) for p in ("2026-08", "2026-09", "2026-10", "2026-Q3", "2026-Q4", "2026")]
KINDS = ("visit", "purchase", "service_contact", "referral", "volunteering", "event")

event = st.tuples(
    st.integers(0, 11),  # resident
    st.integers(0, 3),  # organisation
    st.sampled_from(KINDS),
    st.integers(0, 120),  # day offset from 2026-07-01
    st.integers(1, 600),  # minutes
)
step = st.one_of(
    st.lists(event, min_size=1, max_size=25).map(lambda e: ("interactions", e)),
    st.tuples(st.integers(0, 11), st.integers(0, 11)).map(lambda t: ("tie", t)),
    st.integers(0, 11).map(lambda i: ("object", i)),
    st.integers(0, 11).map(lambda i: ("move", i)),
    st.tuples(st.integers(0, 11), st.integers(0, 11)).map(lambda t: ("merge", t)),
    st.integers(0, 11).map(lambda i: ("unmerge", i)),
    st.integers(0, 1).map(lambda a: ("newcomer", a)),
)


class _App:
    """What Neighbourhood needs of the app, on this test's own event loop."""

    def __init__(self, db: Database, settings_: Settings) -> None:
        self.state = type("State", (), {"db": db, "settings": settings_})()


async def _canonical(owner: asyncpg.Connection, person_id):
    return await owner.fetchval("SELECT canonical_id FROM people WHERE id = $1", person_id)


@pytest.mark.slow  # a dozen Hypothesis runs, each checking every area and period against a full scan
def test_rollup_equals_full_computation_after_random_inserts(database_url):
    loop = asyncio.new_event_loop()
    run = loop.run_until_complete
    config = Settings(database_url=database_url, env="test", indicator_rollup_overlap_seconds=0)
    db = Database.connect(database_url, config)
    owner = run(asyncpg.connect(_plain(database_url)))
    hood = Neighbourhood(_App(db, config), owner)
    w, w2 = run(hood.areas(2))
    people = run(hood.people(w, 9)) + run(hood.people(w2, 3))
    orgs = [run(hood.org(s, w)) for s in ("public", "social", "commercial")] + [run(hood.org("social"))]

    async def apply(kind, payload):
        if kind == "interactions":
            for who, org, what, day, minutes in payload:
                when = datetime(2026, 7, 1, 9, tzinfo=UTC) + timedelta(days=day)
                await hood.interact([people[who]], orgs[org], when, kind=what, minutes=minutes)
        elif kind == "tie":
            a, b = payload
            if a != b:
                await hood.tie(people[a], people[b], org=orgs[0])
        elif kind == "object":
            await owner.execute(
                "UPDATE people SET research_objection_at = now() WHERE id = $1", people[payload]
            )
        elif kind == "move":  # the resident's record now gives a home in the other area
            await owner.execute(
                "UPDATE person_records SET m_postcode = CASE m_postcode WHEN $2 THEN $3 ELSE $2 END, "
                "updated_at = now() WHERE person_id = $1",
                people[payload],
                w.postcode,
                w2.postcode,
            )
        elif kind == "newcomer":
            everyone.extend(await hood.people((w, w2)[payload], 1))
        else:  # merges and unmerges, as an administrator makes them (refused ones change nothing)
            async with db.session(platform=True) as session:
                with contextlib.suppress(identity.MergeRefused):
                    if kind == "merge":
                        keep, merged = [await _canonical(owner, people[i]) for i in payload]
                        await identity.merge(session, Principal.operator(), keep, merged)
                    else:
                        await identity.unmerge(session, Principal.operator(), people[payload])

    everyone = list(people)
    _RESIDENTS = "SELECT person_id, canonical_id, ward, lsoa, msoa, registered_on FROM ({}) r WHERE person_id = ANY($1) ORDER BY 1"

    async def check():
        await hood.refresh()
        # The residents as the run left them are those a derivation from scratch finds.
        kept = await owner.fetch(_RESIDENTS.format("SELECT * FROM indicator_residents"), everyone)
        assert kept == await owner.fetch(_RESIDENTS.format(RES_RAW), everyone)
        for area in (w.ward, w.lsoa, w2.ward):
            async with db.session(platform=True) as session:
                full = await service.raw_figures(session, config, area, PERIODS, full=True)
                rolled = await service.raw_figures(session, config, area, PERIODS, full=False)
            for p in PERIODS:
                # A period the job keeps no cell for yet (no activity seen in it) is computed from
                # the roll-ups when asked for, as GET /v1/indicators/values does.
                stored = await hood.stored(area, p.label)
                assert (rolled[p.label] if stored is None else stored) == full[p.label], (area, p.label)

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(step, min_size=1, max_size=4))
    # A merge, the merged person's home moved (the merged pair's home with it), then the unmerge:
    # the person kept must get their own home back though nothing happened to their own rows.
    @example([("merge", (0, 1)), ("move", 1), ("unmerge", 1)])
    def scenario(steps):
        for kind, payload in steps:
            run(apply(kind, payload))
            run(check())

    try:
        scenario()
    finally:
        run(owner.close())
        run(db.dispose())
        loop.close()


def test_a_background_run_gives_way_to_one_under_way(database_url):
    """The worker of each server process asks for a run every so often; while one is under way,
    another asked for without waiting does nothing rather than redo it after."""
    loop = asyncio.new_event_loop()
    run = loop.run_until_complete
    config = Settings(database_url=database_url, env="test")
    db = Database.connect(database_url, config)
    holder = run(asyncpg.connect(_plain(database_url)))
    try:
        run(holder.execute("BEGIN"))
        run(holder.execute(repository.LOCK))

        async def refresh(**kwargs):
            async with db.session(platform=True) as session:
                return await service.refresh(session, config, **kwargs)

        assert run(refresh(wait=False)) is None
        run(holder.execute("ROLLBACK"))
        assert run(refresh(wait=False)) is not None
    finally:
        run(holder.close())
        run(db.dispose())
        loop.close()
