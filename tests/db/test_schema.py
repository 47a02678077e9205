"""The schema holds itself: the SQLAlchemy models and the schema the migrations build agree.

Alembic's autogenerate comparison covers tables, columns, types, nullability, server defaults,
primary, unique and foreign keys and the columns of indexes. It does not look at CHECK constraints,
nor at an index's WHERE clause or access method, so those are compared as PostgreSQL itself spells
them (pg_get_constraintdef, pg_get_indexdef) in two databases: the migrated one, and an empty one
the models were created in (``Base.metadata.create_all``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Column, Connection, Constraint, DefaultClause, Index, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import ClauseElement

from app.db.base import Base
from app.db.session import async_url
from app.models import import_all_models
from tests.conftest import _plain, fresh_database

import_all_models()

# Alembic's own bookkeeping, made by the migration runner and modelled by no one.
NOT_MODELLED = {"alembic_version"}


async def on_sync_connection(url: str, work: Callable[[Connection], Any]) -> Any:
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def migrated(server_url: str) -> AsyncIterator[str]:
    """A database of this module's own: other tests may add objects to the suite's shared one."""
    async with fresh_database(server_url) as url:
        yield url


@pytest.fixture(scope="module")
async def modelled(server_url: str) -> AsyncIterator[str]:
    """An empty database with only what the models declare."""
    async with fresh_database(server_url, migrated=False) as url:
        await on_sync_connection(url, Base.metadata.create_all)
        yield url


async def fetch(url: str, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_plain(url))
    try:
        return await conn.fetch(query)
    finally:
        await conn.close()


def differences(found: dict, expected: dict) -> str:
    """What the database has that the models lack, and the other way round, one per line."""
    lines = []
    for key in sorted(found.keys() | expected.keys()):
        if found.get(key) != expected.get(key):
            lines.append(f"{key}:\n    migrated: {found.get(key)}\n    models:   {expected.get(key)}")
    return "\n".join(lines)


def described(change: tuple | list) -> str:
    """One line per change Alembic would make: ('modify_default', schema, table, column, existing,
    database's, models') or ('add_index', Index(...)) and the like."""
    if isinstance(change, list):  # the changes to one column
        return "\n".join(described(c) for c in change)
    kind, *rest = change
    if kind.startswith("modify_"):
        _, table, column, _, in_database, in_models = rest
        return f"{kind} {table}.{column}: database {shown(in_database)}, models {shown(in_models)}"
    return f"{kind} {shown(rest[-1])}"


def shown(thing: Any) -> str:
    if isinstance(thing, DefaultClause):
        thing = thing.arg
    if isinstance(thing, ClauseElement):
        return str(thing.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    if isinstance(thing, Table):
        return f"table {thing.name}"
    if isinstance(thing, Column):
        return f"column {thing.table.name}.{thing.name} {thing.type}"
    if isinstance(thing, Index):
        what = ", ".join(shown(e) for e in thing.expressions)
        return f"{'unique ' if thing.unique else ''}index {thing.name} on {thing.table.name} ({what})"
    if isinstance(thing, Constraint):
        return (
            f"{type(thing).__name__} {thing.name} on {thing.table.name} ({', '.join(thing.columns.keys())})"
        )
    return repr(thing)


TABLES = """
SELECT tablename FROM pg_tables WHERE schemaname = 'public'
"""

CHECKS = """
SELECT c.conrelid::regclass::text AS table_name, c.conname AS name,
       pg_get_constraintdef(c.oid) AS definition
  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE n.nspname = 'public' AND c.contype = 'c'
"""

# Indexes of their own, not those PostgreSQL makes for primary keys and unique constraints (Alembic
# compares those constraints).
INDEXES = """
SELECT i.tablename AS table_name, i.indexname AS name, i.indexdef AS definition
  FROM pg_indexes i
 WHERE i.schemaname = 'public'
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('public.%I', i.indexname)::regclass
                                                  AND c.contype IN ('p', 'u', 'x'))
"""


async def settled(conn: asyncpg.Connection, table: str, definition: str) -> str:
    """A CHECK constraint's definition as PostgreSQL spells it once parsing it again changes nothing.

    Parsing pg_get_constraintdef's output does not always give the same tree back: the models'
    `kind IN ('a', 'b')` on a varchar column is spelt `(kind)::text = ANY ((ARRAY['a'::character
    varying, …])::text[])`, the migration holds that spelling (it was dumped), and that parses into
    `ARRAY[('a'::character varying)::text, …]`: the same condition. Both sides are settled alike, so
    a different condition still shows."""
    for _ in range(5):
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT kith_settled {definition}')
            again = await conn.fetchval(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'kith_settled' AND conrelid = $1::regclass",
                table,
            )
        finally:
            await transaction.rollback()
        if again == definition:
            return definition
        definition = again
    raise AssertionError(f"the definition of a CHECK constraint on {table} does not settle: {definition}")


async def test_every_table_has_a_model(migrated):
    tables = {r["tablename"] for r in await fetch(migrated, TABLES)} - NOT_MODELLED
    assert tables == set(Base.metadata.tables)


async def test_alembic_finds_no_difference(migrated):
    def compare(conn: Connection) -> list:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                # PostgreSQL's dialect answers this by evaluating `database default = model default`
                # on the server, so equal expressions spelt differently do not count as different.
                "compare_server_default": True,
                "include_name": lambda name, kind, parent: not (kind == "table" and name in NOT_MODELLED),
            },
        )
        return compare_metadata(context, Base.metadata)

    diff = await on_sync_connection(migrated, compare)
    assert diff == [], "to make the database match the models, Alembic would:\n" + "\n".join(
        map(described, diff)
    )


class TestCheckConstraints:
    async def test_the_models_declare_each_by_its_name(self, migrated):
        in_database = {(r["table_name"], r["name"]) for r in await fetch(migrated, CHECKS)}
        in_models = {
            (table.name, constraint.name)
            for table in Base.metadata.tables.values()
            for constraint in table.constraints
            if isinstance(constraint, CheckConstraint)
        }
        assert sorted(in_database - in_models) == [], "in the database, not in the models"
        assert sorted(in_models - in_database) == [], "in the models, not in the database"

    async def test_each_checks_the_same_condition(self, migrated, modelled):
        conn = await asyncpg.connect(_plain(modelled))
        try:
            found = {
                (r["table_name"], r["name"]): await settled(conn, r["table_name"], r["definition"])
                for r in await fetch(migrated, CHECKS)
            }
            expected = {
                (r["table_name"], r["name"]): await settled(conn, r["table_name"], r["definition"])
                for r in await fetch(modelled, CHECKS)
            }
        finally:
            await conn.close()
        assert found == expected, differences(found, expected)


class TestIndexes:
    async def test_the_models_declare_each_by_its_name(self, migrated):
        in_database = {(r["table_name"], r["name"]) for r in await fetch(migrated, INDEXES)}
        in_models = {
            (table.name, index.name) for table in Base.metadata.tables.values() for index in table.indexes
        }
        assert sorted(in_database - in_models) == [], "in the database, not in the models"
        assert sorted(in_models - in_database) == [], "in the models, not in the database"

    async def test_each_is_the_same_index(self, migrated, modelled):
        """Columns or expressions, uniqueness, access method and WHERE clause."""
        found = {(r["table_name"], r["name"]): r["definition"] for r in await fetch(migrated, INDEXES)}
        expected = {(r["table_name"], r["name"]): r["definition"] for r in await fetch(modelled, INDEXES)}
        assert found == expected, differences(found, expected)
