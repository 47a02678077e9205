"""Least privilege in PostgreSQL: the service's own login, and contexts only its key opens.

Tried as an attacker who has the service's login and can run any SQL on it (a flaw that let a
statement through): it must not become the owner or a superuser, and setting the context
variables itself must show it nothing.
"""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from app.db import roles
from tests.conftest import SERVICE_KEY, _plain, as_the_service, fresh_database, make_settings
from tests.factories import org_with_token, unique_resident

# Every variable a transaction's context is made of, and the audit key's pads.
CONTEXT_VARIABLES = ["kith.org_id", "kith.platform", "kith.context", "kith.purpose", "kith.read_person"]


def _login_url(app) -> str:
    """The URL the running app's queries use (its engine's)."""
    return _plain(app.state.db.engine.url.render_as_string(hide_password=False))


async def _tenant_tables(owner_conn) -> list[str]:
    """Every table row-level security guards."""
    return [
        r["relname"]
        for r in await owner_conn.fetch(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace "
            "AND relrowsecurity ORDER BY relname"
        )
    ]


async def _rows_seen(conn, tables: list[str]) -> dict[str, int]:
    """Rows of each table ``conn`` sees (tables it may not read at all count as none)."""
    seen = {}
    for table in tables:
        try:
            async with conn.transaction():
                seen[table] = await conn.fetchval(f'SELECT count(*) FROM "{table}"')
        except asyncpg.InsufficientPrivilegeError:
            seen[table] = 0
    return {t: n for t, n in seen.items() if n}


@pytest.fixture
async def login_conn(app):
    """A connection as the service opens one: its login, acting as kith_app."""
    conn = await asyncpg.connect(_login_url(app), server_settings=as_the_service())
    try:
        yield conn
    finally:
        await conn.close()


class TestTheServiceLogin:
    async def test_the_service_connects_as_a_login_of_its_own(self, app, database_url, data_dir, owner_conn):
        database = make_url(database_url).database
        assert make_url(_login_url(app)).username == roles.login_name(database)
        async with app.state.db.engine.connect() as conn:
            who = (await conn.exec_driver_sql("SELECT session_user, current_user")).one()
        assert tuple(who) == (roles.login_name(database), "kith_app")
        role = await owner_conn.fetchrow(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin, "
            "ARRAY(SELECT b.rolname::text FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid "
            "WHERE m.member = r.oid) AS member_of FROM pg_roles r WHERE rolname = $1",
            roles.login_name(database),
        )
        assert role["rolcanlogin"] and role["member_of"] == ["kith_app"]
        assert not any(
            role[f] for f in ("rolsuper", "rolcreatedb", "rolcreaterole", "rolreplication", "rolbypassrls")
        )
        owned = await owner_conn.fetchval(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1",
            roles.login_name(database),
        )
        assert owned == 0
        password = Path(data_dir) / f"{roles.login_name(database)}.password"
        assert stat.S_IMODE(os.stat(password).st_mode) == 0o600

    async def test_it_cannot_become_the_owner_or_a_superuser(self, login_conn, owner_conn):
        owner = await owner_conn.fetchval(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'people'"
        )
        database_owner = await owner_conn.fetchval(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        )
        for target in {owner, database_owner, "postgres"}:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await login_conn.execute(f'SET ROLE "{target}"')
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await login_conn.execute(f'SET SESSION AUTHORIZATION "{target}"')
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await login_conn.execute("CREATE ROLE kith_planted SUPERUSER")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await login_conn.execute("ALTER TABLE people DISABLE ROW LEVEL SECURITY")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await login_conn.execute("SELECT * FROM kith_context_secret")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await login_conn.execute("INSERT INTO kith_service_keys (digest) VALUES ('\\x00')")

    async def test_as_itself_the_login_can_do_nothing(self, login_conn, platform):
        """NOINHERIT: kith_app's rights only while acting as kith_app. Stepping out of it (SET ROLE
        NONE) must not step round the checks that ask whether the caller is kith_app (the trust
        and grant guards)."""
        await platform.make_org()
        await login_conn.execute("SET ROLE NONE")
        assert await login_conn.fetchval("SELECT current_user") != "kith_app"
        for statement in (
            "SELECT count(*) FROM organisations",
            "UPDATE organisations SET records_consent = true, verifies_identity = true",
            "SELECT kith_begin(NULL, false, NULL, NULL)",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await login_conn.execute(statement)

    async def test_it_can_make_no_temporary_object(self, login_conn):
        """A temporary view named like a table is searched before it, and outlives the request on
        a pooled connection: none may be made."""
        for statement in (
            "CREATE TEMP VIEW consent_grants AS SELECT 1",
            "CREATE TEMP TABLE audit_chain_heads (chain smallint)",
            "CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await login_conn.execute(statement)

    async def test_every_function_keeps_the_temporary_schema_last(self, owner_conn):
        """Whatever the caller's search_path, no plpgsql function looks in pg_temp first."""
        unpinned = await owner_conn.fetch(
            "SELECT p.oid::regprocedure::text AS f FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
            "WHERE p.pronamespace = 'public'::regnamespace AND (l.lanname = 'plpgsql' OR p.prosecdef) "
            "AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%pg_temp')"
        )
        assert [r["f"] for r in unpinned] == []

    async def test_provisioning_again_keeps_the_login_and_its_password(self, app, database_url, data_dir):
        settings = make_settings(database_url, data_dir)
        first = await roles.provision(database_url, settings)
        again = await roles.provision(database_url, settings)
        assert first == again
        conn = await asyncpg.connect(_plain(again), server_settings={"role": "kith_app"})
        try:
            assert await conn.fetchval("SELECT session_user") == roles.login_name(
                make_url(database_url).database
            )
        finally:
            await conn.close()

    async def test_a_login_of_one_database_cannot_enter_another(self, server_url, app, tmp_path):
        """Roles are cluster-wide: each database admits its own login only."""
        async with fresh_database(server_url) as other:
            other_url = await roles.provision(other, make_settings(other, tmp_path))
            mine = make_url(_login_url(app))
            theirs = make_url(other_url)
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await asyncpg.connect(_plain(mine.set(database=theirs.database).render_as_string(False)))
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await asyncpg.connect(_plain(theirs.set(database=mine.database).render_as_string(False)))
        # Dropping the database drops its login.
        admin = await asyncpg.connect(_plain(server_url))
        try:
            assert not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", theirs.username)
        finally:
            await admin.close()

    async def test_a_role_that_holds_more_is_not_taken_for_the_login(self, server_url, tmp_path):
        async with fresh_database(server_url) as url:
            login = roles.login_name(make_url(url).database)
            admin = await asyncpg.connect(_plain(url))
            try:
                await admin.execute(f"CREATE ROLE {login} LOGIN CREATEDB")
                with pytest.raises(roles.CannotProvision, match="CREATEDB"):
                    await roles.provision(url, make_settings(url, tmp_path))
            finally:
                await admin.close()


class TestContextsOnlyTheServiceOpens:
    async def test_setting_the_context_variables_opens_nothing(
        self, client, platform, login_conn, owner_conn
    ):
        a, _ = await org_with_token(platform, "people:write people:read")
        b, b_headers = await org_with_token(platform, "people:write people:read")
        await client.post("/v1/people", json=unique_resident(), headers=b_headers)
        tables = await _tenant_tables(owner_conn)
        # What the service's key opens, for comparison: the organisation's own rows.
        async with login_conn.transaction():
            await login_conn.execute("SELECT kith_begin($1, false, NULL, $2)", b, SERVICE_KEY)
            assert await login_conn.fetchval("SELECT count(*) FROM org_people") >= 1
            token = await login_conn.fetchval("SELECT current_setting('kith.context')")

        forged = [
            {"kith.org_id": str(b)},
            {"kith.platform": "on"},
            {"kith.org_id": str(b), "kith.platform": "on", "kith.context": token},  # yesterday's token
            {"kith.org_id": str(b), "kith.context": "0" * 64},
            {"kith.org_id": str(b), "kith.platform": "on", "kith.context": "", "kith.purpose": "rewards"},
        ]
        for variables in forged:
            for local in (True, False):
                for name in CONTEXT_VARIABLES:
                    await login_conn.execute("SELECT set_config($1, '', false)", name)
                async with login_conn.transaction():
                    for name, value in variables.items():
                        await login_conn.execute("SELECT set_config($1, $2, $3)", name, value, local)
                    seen = await _rows_seen(login_conn, tables)
                assert seen == {}, (variables, seen)

        # The audit key's pads ride on the connection; nothing derived from them opens a context.
        ipad = await login_conn.fetchval("SELECT current_setting('kith.audit_ipad', true)")
        assert ipad, "the service's connections carry the audit pads"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with login_conn.transaction():
                await login_conn.execute(
                    "SELECT kith_begin(NULL, true, NULL, sha256(decode(current_setting('kith.audit_opad'), 'hex') "
                    "|| sha256(decode(current_setting('kith.audit_ipad'), 'hex') "
                    "|| 'kith service key: transaction contexts'::bytea)))"
                )
        # Every way into a context wants the key.
        for statement, args in [
            ("SELECT kith_begin($1, true, NULL, $2)", (None, b"not the key")),
            ("SELECT kith_begin($1, false, NULL, NULL)", (b,)),
            ("SELECT kith_platform_on($1)", (b"not the key",)),
            ("SELECT kith_platform_restore('on')", ()),
        ]:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with login_conn.transaction():
                    await login_conn.execute(statement, *args)
        # The functions that set a context without one are the owner's alone.
        for statement in ("SELECT kith_context_put($1, 'on')", "SELECT kith_context_token($1, 'on')"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await login_conn.execute(statement, str(a))

    async def test_a_statement_inside_an_organisations_transaction_stays_inside(
        self, client, platform, login_conn
    ):
        a, a_headers = await org_with_token(platform, "people:write people:read")
        b, b_headers = await org_with_token(platform, "people:write people:read")
        await client.post("/v1/people", json=unique_resident(), headers=a_headers)
        await client.post("/v1/people", json=unique_resident(), headers=b_headers)
        async with login_conn.transaction():
            await login_conn.execute("SELECT kith_begin($1, false, NULL, $2)", a, SERVICE_KEY)
            own = await login_conn.fetchval("SELECT count(*) FROM org_people")
            assert own >= 1
            assert await login_conn.fetchval("SELECT count(*) FROM org_people WHERE org_id <> $1", a) == 0
            # What a smuggled statement would try: another organisation's context, the platform's.
            await login_conn.execute("SELECT set_config('kith.org_id', $1, true)", str(b))
            assert await login_conn.fetchval("SELECT count(*) FROM org_people") == 0
            await login_conn.execute("SELECT set_config('kith.org_id', $1, true)", str(a))
            assert await login_conn.fetchval("SELECT count(*) FROM org_people") == own
            await login_conn.execute("SELECT set_config('kith.platform', 'on', true)")
            assert await login_conn.fetchval("SELECT count(*) FROM org_people") == 0
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await login_conn.execute("SELECT kith_platform_on($1)", SERVICE_KEY)

    async def test_the_ledger_crosses_accounts_only_with_the_key(self, login_conn):
        """The ledger's functions work across two owners' accounts in the platform scope: without
        the key they cannot widen to it."""
        for statement in (
            "SELECT * FROM kith_ledger_transfer($1, $1, $1, 1, 'fund', 'single', NULL, NULL, NULL, NULL, "
            "false, true, NULL)",
            "SELECT * FROM kith_ledger_view($1, NULL, true, '\\x00')",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with login_conn.transaction():
                    await login_conn.execute(statement, uuid.uuid4())
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await login_conn.fetch(
                "SELECT * FROM kith_ledger_request(NULL, NULL, true, NULL, 'x', NULL, $1, $1, $1, 1, 'fund', "
                "'single', NULL, NULL, NULL)",
                uuid.uuid4(),
            )


class TestWhatAPartnersStatementCannotWrite:
    """Inside its own organisation's transaction, a smuggled statement sees that organisation's
    rows: it still may not write balances, ids for other people, or a resident's confirmation."""

    async def test_balances_and_accounts_are_the_platforms_to_write(self, platform, login_conn, owner_conn):
        org = (await platform.make_org()).id
        account = uuid.uuid4()
        await owner_conn.execute(
            "INSERT INTO ledger_accounts (id, kind, owner_kind, org_id, debits_must_not_exceed_credits) "
            "VALUES ($1, 'operating', 'organisation', $2, true)",
            account,
            org,
        )
        async with login_conn.transaction():
            await login_conn.execute("SELECT kith_begin($1, false, NULL, $2)", org, SERVICE_KEY)
            assert (
                await login_conn.fetchval("SELECT count(*) FROM ledger_accounts WHERE id = $1", account) == 1
            )
            updated = await login_conn.execute(
                "UPDATE ledger_accounts SET credits_posted = 1000000000, debits_must_not_exceed_credits = false "
                "WHERE id = $1",
                account,
            )
            assert updated == "UPDATE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with login_conn.transaction():
                await login_conn.execute("SELECT kith_begin($1, false, NULL, $2)", org, SERVICE_KEY)
                await login_conn.execute(
                    "INSERT INTO ledger_accounts (id, kind, owner_kind, org_id, debits_must_not_exceed_credits) "
                    "VALUES ($1, 'issuance', 'platform', $2, false)",
                    uuid.uuid4(),
                    org,
                )
        assert (
            await owner_conn.fetchval("SELECT credits_posted FROM ledger_accounts WHERE id = $1", account)
            == 0
        )

    async def test_no_confirmation_link_of_its_own_making(self, client, platform, login_conn, owner_conn):
        org, headers = await org_with_token(platform, "people:write people:read consent:write", trusted=False)
        made = await client.post("/v1/people", json=unique_resident(), headers=headers)
        mine = uuid.UUID(made.json()["person_id"])
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="platform's to make"):
            async with login_conn.transaction():
                await login_conn.execute("SELECT kith_begin($1, false, NULL, $2)", org, SERVICE_KEY)
                await login_conn.execute(
                    "INSERT INTO consent_grants (id, org_id, org_person_id, purpose, categories, method, granted_by, "
                    "confirm_token_hash) VALUES ($1, $2, $3, 'service_delivery', ARRAY['identity'], 'portal', 'x', "
                    "encode(sha256('attacker-token'), 'hex'))",
                    uuid.uuid4(),
                    org,
                    mine,
                )
        # The service's own grant awaiting the resident still gets its link (set in the platform scope).
        asked = await client.post(
            f"/v1/people/{mine}/consents",
            json={"purpose": "service_delivery", "categories": ["contact"], "method": "recorded_by_org",
                  "evidence": {"kind": "written", "reference": "form 7"}},
            headers=headers,
        )  # fmt: skip
        assert asked.status_code in (200, 201), asked.text
        assert await owner_conn.fetchval(
            "SELECT confirm_token_hash IS NOT NULL FROM consent_grants WHERE org_person_id = $1", mine
        )

    @pytest.mark.parametrize("variable", ["kith.purpose", "kith.read_person"])
    async def test_what_a_read_states_left_on_the_connection_goes_with_the_next_context(
        self, platform, login_conn, variable
    ):
        org = (await platform.make_org()).id
        await login_conn.execute("SELECT set_config($1, 'not what it should be', false)", variable)
        async with login_conn.transaction():
            await login_conn.execute("SELECT kith_begin($1, false, NULL, $2)", org, SERVICE_KEY)
            assert await login_conn.fetchval("SELECT coalesce(current_setting($1, true), '')", variable) == ""


class TestStatingWhomAReadIsFor:
    """A consented read states the person it reads (``kith.read_person``) so the policies ask the
    person's grants once a statement; a statement that states a person itself gets exactly what
    the grants give, and no more."""

    async def test_a_stated_person_opens_only_what_their_grants_open(
        self, client, platform, login_conn, owner_conn
    ):
        council, council_headers = await org_with_token(platform, "people:write interactions:write")
        cafe, cafe_headers = await org_with_token(platform, "people:write")
        her = unique_resident()
        theirs = (await client.post("/v1/people", json=her, headers=council_headers)).json()["person_id"]
        mine = (await client.post("/v1/people", json=her, headers=cafe_headers)).json()["person_id"]
        visit = {"person_id": theirs, "kind": "visit", "occurred_at": "2026-11-01T10:00:00Z"}
        assert (await client.post("/v1/interactions", json=visit, headers=council_headers)).status_code == 201
        person = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(mine)
        )
        assert person == await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(theirs)
        )

        async def seen() -> tuple[int, int]:
            async with login_conn.transaction():
                await login_conn.execute("SELECT kith_begin($1, false, NULL, $2)", cafe, SERVICE_KEY)
                await login_conn.execute(
                    "SELECT set_config('kith.purpose', 'service_delivery', true), "
                    "set_config('kith.read_person', $1, true)",
                    str(person),
                )
                return (
                    await login_conn.fetchval("SELECT count(*) FROM interactions WHERE org_id = $1", council),
                    await login_conn.fetchval(
                        "SELECT count(*) FROM person_records WHERE org_id = $1", council
                    ),
                )

        assert await seen() == (0, 0)  # no grant: stating her opens nothing
        async with login_conn.transaction():  # stating what is not an id opens nothing, breaks nothing
            await login_conn.execute("SELECT kith_begin($1, false, NULL, $2)", cafe, SERVICE_KEY)
            await login_conn.execute(
                "SELECT set_config('kith.purpose', 'service_delivery', true), "
                "set_config('kith.read_person', 'not-an-id', true)"
            )
            assert (
                await login_conn.fetchval("SELECT count(*) FROM interactions WHERE org_id = $1", council) == 0
            )
        await owner_conn.execute(
            "INSERT INTO consent_grants (id, org_id, org_person_id, purpose, categories, method, evidence, "
            "granted_by, granted_at, confirmed_at) VALUES ($1, $2, $3, 'service_delivery', '{interactions}', "
            "'recorded_by_org', '{\"kind\": \"written\"}', 'test', now(), now())",
            uuid.uuid4(),
            cafe,
            uuid.UUID(mine),
        )
        assert await seen() == (1, 0)  # her interactions, and not her records: identity was not granted
        await owner_conn.execute(
            "UPDATE consent_grants SET withdrawn_at = now() WHERE org_id = $1 AND org_person_id = $2",
            cafe,
            uuid.UUID(mine),
        )
        assert await seen() == (0, 0)

    @pytest.mark.parametrize("limit", [None, 0, -1])
    async def test_a_timeline_page_of_no_rows_is_refused_and_not_logged(
        self, client, platform, login_conn, owner_conn, limit
    ):
        org, headers = await org_with_token(platform, "people:write")
        person = (await client.post("/v1/people", json=unique_resident(), headers=headers)).json()[
            "person_id"
        ]
        with pytest.raises(asyncpg.InvalidParameterValueError):
            await login_conn.fetchrow(
                "SELECT * FROM kith_timeline_read($1, NULL, $2, $3, 'service_delivery', NULL, NULL, NULL, $4)",
                SERVICE_KEY,
                org,
                uuid.UUID(person),
                limit,
            )
        assert await owner_conn.fetchval("SELECT count(*) FROM access_log WHERE org_id = $1", org) == 0
