"""Queries of the indicators' tables, and the roll-up job's bulk statements. No commits here.

The roll-up job is driven by a high-water mark: each run looks at what arrived since the last run
(less an overlap, so that a transaction that began before the mark and committed after it is still
seen — recomputing a person's month is idempotent, so seeing a row twice does no harm), rebuilds
``indicator_activity`` for just the person-months touched, and recomputes ``indicator_values`` for
just the (area, period) cells those months feed. Residents are re-derived each run (one pass over
people, cheap beside the events) and diffed, so a move, a merge, an objection to research or an
erasure reaches exactly the areas it changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson

from app.indicators.computation import ACT_RAW, FULL_FIGURES, RES_RAW, RES_TOUCHED, ROLLUP_FIGURES, TZ
from app.indicators.periods import Period

_LOCK_KEY = "hashtext('kith.indicators.rollup')"
LOCK = f"SELECT pg_advisory_xact_lock({_LOCK_KEY})"
_TRY_LOCK = f"SELECT pg_try_advisory_xact_lock({_LOCK_KEY})"

# The interactions of given person-months, aggregated as indicator_activity rows.
_ACT_OF_DIRTY = f"""
INSERT INTO indicator_activity (person_id, month, org_id, interactions, day_mask, volunteer_minutes,
                                volunteering, services)
SELECT i.person_id, d.month, i.org_id, count(*)::int,
       bit_or(1 << (extract(day FROM i.occurred_at AT TIME ZONE '{TZ}')::int - 1))::int,
       coalesce(sum(i.duration_minutes) FILTER (WHERE i.kind = 'volunteering'), 0)::int,
       (count(*) FILTER (WHERE i.kind = 'volunteering'))::int,
       (count(*) FILTER (WHERE i.kind IN ('service_contact', 'referral')))::int
  FROM ind_dirty d
  JOIN interactions i ON i.person_id = d.person_id
   AND i.occurred_at >= (d.month::timestamp AT TIME ZONE '{TZ}')
   AND i.occurred_at < ((d.month + interval '1 month')::timestamp AT TIME ZONE '{TZ}')
 GROUP BY 1, 2, 3
"""

_DIRTY_SINCE = f"""
INSERT INTO ind_dirty (person_id, month)
SELECT DISTINCT person_id, date_trunc('month', occurred_at AT TIME ZONE '{TZ}')::date AS month
  FROM interactions WHERE created_at >= $1
"""

# The roll-up's work tables (what temporary tables would hold: the service's role may make none),
# emptied before and after each use; runs are one at a time (lock_rollup).
_EMPTY_WORK = "TRUNCATE ind_new_res, ind_changed, ind_touched"
_NEW_RES_COLUMNS = "(person_id, canonical_id, ward, lsoa, msoa, registered_on)"

# What a run derived (ind_new_res) against the residents' rows in its scope ({scope}: true, or _TOUCHED).
_RESIDENTS_DIFF = """
SELECT o.ward AS old_ward, o.lsoa AS old_lsoa, o.msoa AS old_msoa, n.ward, n.lsoa, n.msoa
  FROM ind_new_res n FULL JOIN (SELECT * FROM indicator_residents o WHERE {scope}) o USING (person_id)
 WHERE n.person_id IS NULL OR o.person_id IS NULL
    OR (n.canonical_id, n.ward, n.lsoa, n.msoa, n.registered_on)
       IS DISTINCT FROM (o.canonical_id, o.ward, o.lsoa, o.msoa, o.registered_on)
"""
_TOUCHED = "(o.canonical_id IN (SELECT c FROM ind_touched) OR o.person_id IN (SELECT id FROM ind_changed))"
# The canonical people something happened to since $1: people rows changed (made, merged, unmerged,
# erased, objecting to research), the people they were canonical under before, and the owners of
# records made or changed (a record can move its person's home).
_TOUCHED_SINCE = (
    "INSERT INTO ind_changed (id) SELECT id FROM people WHERE changed_at >= $1",
    "INSERT INTO ind_touched (c) "
    "SELECT p.canonical_id AS c FROM ind_changed x JOIN people p ON p.id = x.id "
    "UNION SELECT o.canonical_id FROM ind_changed x JOIN indicator_residents o ON o.person_id = x.id "
    "UNION SELECT p.canonical_id FROM person_records r JOIN people p ON p.id = r.person_id WHERE r.updated_at >= $1",
)

# A fingerprint of the person–person and organisation ties (rows, ends): what a run saw, so the next
# can tell whether anything it saw has since changed or gone (rather than only new rows arriving).
_RELATIONSHIPS_PRINT = (
    "SELECT count(*)::text || ':' || coalesce(sum(hashtextextended(id::text || coalesce(ended_on::text, '') "
    "|| coalesce(person_id::text, '') || coalesce(other_person_id::text, ''), 0)), 0)::text FROM relationships "
    "WHERE kind <> 'person_organisation' AND ($1::timestamptz IS NULL OR created_at < $1)"
)


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


decoded = _json


async def areas_of_level(conn: asyncpg.Connection, level: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT code, level, name FROM areas WHERE level = $1 ORDER BY name, code", level)


async def lock_rollup(conn: asyncpg.Connection, *, wait: bool = True) -> bool:
    """One roll-up run at a time: others wait (then find little to do) or, ``wait=False``, give up
    at once (False). A batch job: the service's statement timeout, meant for requests, does not apply."""
    if wait:
        await conn.execute(LOCK)
    elif not await conn.fetchval(_TRY_LOCK):
        return False
    await conn.execute("SET LOCAL statement_timeout = 0")
    return True


async def state(conn: asyncpg.Connection) -> tuple[datetime | None, str | None]:
    row = await conn.fetchrow("SELECT high_water, fingerprint FROM indicator_state WHERE name = 'rollup'")
    return (row["high_water"], row["fingerprint"]) if row else (None, None)


async def save_state(conn: asyncpg.Connection, high_water: datetime, fingerprint: str) -> None:
    await conn.execute(
        "INSERT INTO indicator_state (name, high_water, fingerprint, updated_at) VALUES ('rollup', $1, $2, now()) "
        "ON CONFLICT (name) DO UPDATE SET high_water = $1, fingerprint = $2, updated_at = now()",
        high_water,
        fingerprint,
    )


async def relationships_fingerprint(conn: asyncpg.Connection, before: datetime | None = None) -> str:
    """The fingerprint of the ties (made before ``before``, if given)."""
    return await conn.fetchval(_RELATIONSHIPS_PRINT, before)


async def new_ties(conn: asyncpg.Connection, since: datetime) -> tuple[set[str], bool]:
    """Ties recorded since ``since``: the areas of the people they join, and whether any joins
    organisations (which can move every area's cross-sector figure)."""
    rows = await conn.fetch(
        "SELECT x.code FROM relationships rel JOIN people p ON p.id IN (rel.person_id, rel.other_person_id) "
        "JOIN indicator_residents r ON r.canonical_id = p.canonical_id "
        "CROSS JOIN LATERAL (VALUES (r.ward), (r.lsoa), (r.msoa)) x(code) "
        "WHERE rel.kind = 'person_person' AND rel.created_at >= $1 AND x.code IS NOT NULL",
        since,
    )
    organisations = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM relationships WHERE kind = 'organisation_organisation' AND created_at >= $1)",
        since,
    )
    return {r["code"] for r in rows}, organisations


async def refresh_residents(conn: asyncpg.Connection, since: datetime | None = None) -> set[str]:
    """Re-derive the residents — all of them, or (``since``) those of the people something happened to
    since then — and apply the difference; the areas whose residents changed."""
    await conn.execute(_EMPTY_WORK)
    if since is None:
        await conn.execute(f"INSERT INTO ind_new_res {_NEW_RES_COLUMNS} {RES_RAW}")
        scope = "true"
    else:
        for statement in _TOUCHED_SINCE:
            await conn.execute(statement, since)
        await conn.execute("SELECT kith_analyze_rollup_work()")  # a few rows, or a million: plan for which
        await conn.execute(f"INSERT INTO ind_new_res {_NEW_RES_COLUMNS} {RES_TOUCHED}")
        scope = _TOUCHED
    changed = await conn.fetch(_RESIDENTS_DIFF.format(scope=scope))
    areas = {code for row in changed for code in row.values() if code}
    if changed:
        await conn.execute(
            f"DELETE FROM indicator_residents o WHERE {scope} "
            "AND NOT EXISTS (SELECT 1 FROM ind_new_res n WHERE n.person_id = o.person_id)"
        )
        await conn.execute(
            "INSERT INTO indicator_residents (person_id, canonical_id, ward, lsoa, msoa, registered_on) "
            "SELECT person_id, canonical_id, ward, lsoa, msoa, registered_on FROM ind_new_res "
            "ON CONFLICT (person_id) DO UPDATE SET canonical_id = excluded.canonical_id, ward = excluded.ward, "
            "lsoa = excluded.lsoa, msoa = excluded.msoa, registered_on = excluded.registered_on "
            "WHERE (indicator_residents.canonical_id, indicator_residents.ward, indicator_residents.lsoa, "
            "indicator_residents.msoa, indicator_residents.registered_on) IS DISTINCT FROM "
            "(excluded.canonical_id, excluded.ward, excluded.lsoa, excluded.msoa, excluded.registered_on)"
        )
    await conn.execute(_EMPTY_WORK)
    return areas


async def rebuild_activity(conn: asyncpg.Connection) -> None:
    """All of indicator_activity from the interactions (the first run, or ``--full``)."""
    await conn.execute("DELETE FROM indicator_activity")
    await conn.execute(
        "INSERT INTO indicator_activity (person_id, month, org_id, interactions, day_mask, volunteer_minutes, "
        f"volunteering, services) {ACT_RAW}"
    )


async def refresh_activity_since(conn: asyncpg.Connection, since: datetime) -> list[tuple[str, date]]:
    """Recompute the person-months that interactions arriving since ``since`` touched; the (area,
    month) pairs they belong to."""
    await conn.execute("TRUNCATE ind_dirty")
    await conn.execute(_DIRTY_SINCE, since)
    await conn.execute(
        "DELETE FROM indicator_activity a USING ind_dirty d WHERE a.person_id = d.person_id AND a.month = d.month"
    )
    await conn.execute(_ACT_OF_DIRTY)
    rows = await conn.fetch(
        "SELECT DISTINCT x.code, d.month FROM ind_dirty d JOIN indicator_residents r ON r.person_id = d.person_id "
        "CROSS JOIN LATERAL (VALUES (r.ward), (r.lsoa), (r.msoa)) x(code) WHERE x.code IS NOT NULL"
    )
    await conn.execute("TRUNCATE ind_dirty")
    return [(r["code"], r["month"]) for r in rows]


async def ledger_cells_since(conn: asyncpg.Connection, since: datetime) -> list[tuple[str, date]]:
    """(area, month) of the ledger transfers made since ``since``: the areas of the residents whose
    wallets they touch, and the areas the organisations they touch are based in."""
    rows = await conn.fetch(
        f"""
WITH t AS (
  SELECT date_trunc('month', created_at AT TIME ZONE '{TZ}')::date AS month, debit_account_id, credit_account_id
    FROM ledger_transfers WHERE created_at >= $1
), acc AS (
  SELECT t.month, a.person_id, a.org_id FROM t JOIN ledger_accounts a ON a.id IN (t.debit_account_id, t.credit_account_id)
)
SELECT DISTINCT x.code, acc.month FROM acc JOIN people p ON p.id = acc.person_id
  JOIN indicator_residents r ON r.canonical_id = p.canonical_id
  CROSS JOIN LATERAL (VALUES (r.ward), (r.lsoa), (r.msoa)) x(code) WHERE x.code IS NOT NULL
UNION
SELECT o.area_code, acc.month FROM acc JOIN organisations o ON o.id = acc.org_id WHERE o.area_code IS NOT NULL
UNION
SELECT x.code, acc.month FROM acc JOIN organisations o ON o.id = acc.org_id
  JOIN area_links l ON o.area_code IN (l.ward, l.lsoa, l.msoa)
  CROSS JOIN LATERAL (VALUES (l.ward), (l.lsoa), (l.msoa)) x(code)
""",
        since,
    )
    return [(r["code"], r["month"]) for r in rows]


async def first_month(conn: asyncpg.Connection) -> date | None:
    return await conn.fetchval(
        f"SELECT least((SELECT min(month) FROM indicator_activity), "
        f"(SELECT date_trunc('month', min(created_at) AT TIME ZONE '{TZ}')::date FROM ledger_transfers))"
    )


async def resident_areas(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """(code, level) of every area with at least one resident counted."""
    rows = await conn.fetch(
        "SELECT DISTINCT x.code, x.level FROM indicator_residents r CROSS JOIN LATERAL "
        "(VALUES (r.ward, 'ward'), (r.lsoa, 'lsoa'), (r.msoa, 'msoa')) x(code, level) WHERE x.code IS NOT NULL"
    )
    return [(r["code"], r["level"]) for r in rows]


def _cell_arrays(cells: Iterable[tuple[str, str, Period]]) -> list[list[Any]]:
    cols: list[list[Any]] = [[], [], [], [], [], [], []]
    for code, level, p in cells:
        for col, value in zip(
            cols, (code, level, p.label, p.start, p.end, p.previous.start, p.months), strict=True
        ):
            col.append(value)
    return cols


async def figures(
    conn: asyncpg.Connection,
    cells: list[tuple[str, str, Period]],
    *,
    volunteer_cap_minutes: int,
    degree_cap: int,
    shared_residents: int,
    full: bool = False,
) -> dict[tuple[str, str], dict[str, Any]]:
    """The raw figures of each (area code, level, period) cell: from the roll-ups, or ``full``:
    straight from the raw tables."""
    if not cells:
        return {}
    # The planner cannot see inside the statement's CTEs and guesses one row for each; nested loops
    # chosen on that guess go quadratic. Hash and merge joins are right at every size here.
    await conn.execute("SELECT set_config('enable_nestloop', 'off', true)")
    try:
        rows = await conn.fetch(
            FULL_FIGURES if full else ROLLUP_FIGURES,
            *_cell_arrays(cells),
            volunteer_cap_minutes,
            degree_cap,
            shared_residents,
        )
    finally:
        await conn.execute("SELECT set_config('enable_nestloop', 'on', true)")
    return {(r["area_code"], r["period"]): _json(r["parts"]) for r in rows}


async def store_values(conn: asyncpg.Connection, values: dict[tuple[str, str], dict[str, Any]]) -> None:
    if not values:
        return
    keys = list(values)
    await conn.execute(
        "INSERT INTO indicator_values (area_code, period, parts, computed_at) "
        "SELECT a, p, v, now() FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS t(a, p, v) "
        "ON CONFLICT (area_code, period) DO UPDATE SET parts = excluded.parts, computed_at = excluded.computed_at",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [orjson.dumps(values[k]).decode() for k in keys],
    )


async def drop_values_outside(conn: asyncpg.Connection, areas: list[str]) -> None:
    """Forget the cells of areas that no longer have residents."""
    await conn.execute("DELETE FROM indicator_values WHERE NOT (area_code = ANY($1::text[]))", areas)


async def record_key_salt(conn: asyncpg.Connection) -> str:
    """The installation's secret for residents' record keys (made by the migrations)."""
    salt = await conn.fetchval("SELECT fingerprint FROM indicator_state WHERE name = 'record_key_salt'")
    if not salt:
        raise RuntimeError("indicator_state holds no record_key_salt: run kith db upgrade")
    return salt


async def stored_parts(conn: asyncpg.Connection, periods: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT area_code, period, parts FROM indicator_values WHERE period = ANY($1::text[])", periods
    )
    return {(r["area_code"], r["period"]): _json(r["parts"]) for r in rows}


async def nesting(conn: asyncpg.Connection) -> dict[str, list[str]]:
    """Each ward and MSOA that its LSOAs partition (every LSOA linked to it lies wholly inside it):
    its LSOAs. Residents are placed by postcode, so such a parent's count of people is the sum of
    its LSOAs' counts."""
    rows = await conn.fetch(
        """
WITH lsoa_in AS (
  SELECT lsoa, min(ward) AS ward, count(DISTINCT ward) AS wards, min(msoa) AS msoa, count(DISTINCT msoa) AS msoas
    FROM postcodes WHERE lsoa IS NOT NULL GROUP BY lsoa
)
SELECT parent, array_agg(lsoa ORDER BY lsoa) AS lsoas, bool_and(whole) AS whole FROM (
  SELECT p.ward AS parent, p.lsoa, l.wards = 1 AS whole
    FROM (SELECT DISTINCT ward, lsoa FROM postcodes WHERE ward IS NOT NULL AND lsoa IS NOT NULL) p
    JOIN lsoa_in l USING (lsoa)
  UNION ALL
  SELECT p.msoa, p.lsoa, l.msoas = 1
    FROM (SELECT DISTINCT msoa, lsoa FROM postcodes WHERE msoa IS NOT NULL AND lsoa IS NOT NULL) p
    JOIN lsoa_in l USING (lsoa)
) x GROUP BY parent
"""
    )
    return {r["parent"]: list(r["lsoas"]) for r in rows if r["whole"]}


async def published(
    conn: asyncpg.Connection, periods: list[str], areas: list[str] | None = None
) -> dict[tuple[str, str], asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT area_code, period, figures, published_at, revised_at, revision FROM indicator_published "
        "WHERE period = ANY($1::text[]) AND ($2::text[] IS NULL OR area_code = ANY($2::text[]))",
        periods,
        areas,
    )
    return {(r["area_code"], r["period"]): r for r in rows}


async def published_periods(conn: asyncpg.Connection) -> set[str]:
    return {r["period"] for r in await conn.fetch("SELECT DISTINCT period FROM indicator_published")}


async def write_published(
    conn: asyncpg.Connection, rows: list[tuple[str, str, dict[str, Any]]], revision: int, revised: bool
) -> None:
    """Publish cells (area, period, figures): new ones as first published now; existing ones
    rewritten, with ``revised_at`` now when ``revised`` (a revision changed them)."""
    if not rows:
        return
    await conn.execute(
        "INSERT INTO indicator_published (area_code, period, figures, published_at, revision) "
        "SELECT a, p, f, now(), $4 FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS t(a, p, f) "
        "ON CONFLICT (area_code, period) DO UPDATE SET figures = excluded.figures, revision = $4, "
        "revised_at = CASE WHEN $5 THEN now() ELSE indicator_published.revised_at END",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [orjson.dumps(r[2]).decode() for r in rows],
        revision,
        revised,
    )


async def publication_state(conn: asyncpg.Connection) -> tuple[datetime | None, int]:
    row = await conn.fetchrow(
        "SELECT high_water, coalesce(fingerprint, '0') AS revision FROM indicator_state WHERE name = 'publication'"
    )
    return (row["high_water"], int(row["revision"])) if row else (None, 0)


async def save_publication_state(conn: asyncpg.Connection, revised_at: datetime, revision: int) -> None:
    await conn.execute(
        "INSERT INTO indicator_state (name, high_water, fingerprint, updated_at) "
        "VALUES ('publication', $1, $2, now()) "
        "ON CONFLICT (name) DO UPDATE SET high_water = $1, fingerprint = $2, updated_at = now()",
        revised_at,
        str(revision),
    )


async def area(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT code, level, name, postcodes FROM areas WHERE code = $1", code)


async def list_areas(
    conn: asyncpg.Connection, level: str | None, after: str | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT a.code, a.level, a.name, a.postcodes, "
        "(SELECT p.figures -> 'residents' FROM indicator_published p WHERE p.area_code = a.code "
        "  AND p.period ~ '^[0-9]{4}-[0-9]{2}$' ORDER BY p.period DESC LIMIT 1) AS residents "
        "FROM areas a WHERE ($1::text IS NULL OR a.level = $1) AND ($2::text IS NULL OR a.code > $2) "
        "ORDER BY a.code LIMIT $3",
        level,
        after,
        limit,
    )


async def import_postcodes(conn: asyncpg.Connection, rows: list[tuple[str, str, str, str]]) -> None:
    """Upsert (postcode, ward, lsoa, msoa) rows."""
    await conn.execute(
        "INSERT INTO postcodes (postcode, ward, lsoa, msoa) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) "
        "ON CONFLICT (postcode) DO UPDATE SET ward = excluded.ward, lsoa = excluded.lsoa, msoa = excluded.msoa",
        *[list(col) for col in zip(*rows, strict=True)],
    )
    # Postcodes place every resident: the roll-up's next run re-derives them all (a run re-derives
    # only the people touched since the last unless its fingerprint no longer matches).
    await conn.execute("UPDATE indicator_state SET fingerprint = NULL WHERE name = 'rollup'")


async def rebuild_areas(conn: asyncpg.Connection, names: dict[str, str]) -> dict[str, int]:
    """Areas and their links from the postcode table (names kept, or taken from ``names``)."""
    await conn.execute(
        "INSERT INTO areas (code, level, postcodes) "
        "SELECT code, level, count(*) FROM postcodes CROSS JOIN LATERAL "
        "(VALUES (ward, 'ward'), (lsoa, 'lsoa'), (msoa, 'msoa')) x(code, level) WHERE code IS NOT NULL "
        "GROUP BY 1, 2 ON CONFLICT (code) DO UPDATE SET postcodes = excluded.postcodes, level = excluded.level"
    )
    if names:
        await conn.execute(
            "UPDATE areas SET name = n.name FROM unnest($1::text[], $2::text[]) AS n(code, name) "
            "WHERE areas.code = n.code",
            list(names),
            list(names.values()),
        )
    await conn.execute(
        "INSERT INTO area_links (ward, lsoa, msoa) SELECT DISTINCT ward, lsoa, msoa FROM postcodes "
        "WHERE ward IS NOT NULL AND lsoa IS NOT NULL AND msoa IS NOT NULL ON CONFLICT DO NOTHING"
    )
    rows = await conn.fetch("SELECT level, count(*) AS n FROM areas GROUP BY level")
    return {r["level"]: r["n"] for r in rows}
