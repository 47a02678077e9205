"""A resident's portal pages run in the resident's own scope: row-level security, not only the rights
functions, keeps a resident to their own rows."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from app.auth.principal import Principal
from app.db.session import resident_scope
from app.rights import service as rights
from tests.conftest import SERVICE_KEY
from tests.relationships.test_endpoints import grant_in_portal, make_family, relationships_of

# Each table a resident's scope may read, and which of its rows are the resident's (``$1``: the
# resident's person ids). Every other table shows a resident nothing.
MINE = {
    "people": "id = ANY($1)",
    "person_records": "person_id = ANY($1)",
    "org_people": "canonical_id = ANY($1)",
    "organisations": "id IN (SELECT org_id FROM org_people WHERE canonical_id = ANY($1))",
    "consent_grants": "org_person_id IN (SELECT org_person_id FROM org_people WHERE canonical_id = ANY($1))",
    "consent_receipts": "grant_id IN (SELECT g.id FROM consent_grants g JOIN org_people op "
    "ON op.org_person_id = g.org_person_id WHERE op.canonical_id = ANY($1))",
    "access_log": "person_id = ANY($1)",
    "interactions": "person_id = ANY($1)",
    "relationships": "person_id = ANY($1) OR other_person_id = ANY($1)",
    "ledger_accounts": "kind = 'wallet' AND person_id = ANY($1)",
    "ledger_transfers": "debit_account_id IN (SELECT id FROM ledger_accounts WHERE person_id = ANY($1)) "
    "OR credit_account_id IN (SELECT id FROM ledger_accounts WHERE person_id = ANY($1))",
    "reward_cards": "person_id = ANY($1)",
    "spend_codes": "person_id = ANY($1)",
    "portal_sessions": "person_id = ANY($1)",
}
NO_RLS = {"alembic_version", "audit_chain_heads", "kith_context_secret", "kith_service_keys"}


@pytest.fixture
async def family(app, client, platform, owner_conn):
    """Margaret and Zed, family by a food bank's record; both have granted the council their
    relationships, and the council has read Margaret's (an access-log entry)."""
    family = await make_family(client, platform)
    for name in ("margaret", "zed"):
        await grant_in_portal(app, owner_conn, family[name], family["council_org"], "case_coordination")
    assert await relationships_of(client, family["council"], family["margaret"])
    for name in ("margaret", "zed"):
        family[f"{name}_person"] = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(family[name])
        )
    return family


async def _as_resident(conn: asyncpg.Connection, person: uuid.UUID) -> None:
    await conn.execute("BEGIN")
    await conn.fetchval("SELECT kith_begin(NULL, false, NULL, $1)", SERVICE_KEY)
    await conn.execute("SELECT kith_resident_on($1, $2)", SERVICE_KEY, person)


async def _ids_of(owner_conn: asyncpg.Connection, person: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await owner_conn.fetchval(
            "SELECT array_agg(id) FROM people WHERE canonical_id = (SELECT canonical_id FROM people WHERE id = $1)",
            person,
        )
    )


class TestResidentScope:
    async def test_a_resident_sees_their_own_rows_of_every_table_and_nothing_else(
        self, family, owner_conn, app_role_conn
    ):
        margaret = family["margaret_person"]
        ids = await _ids_of(owner_conn, margaret)
        tables = [
            r["relname"]
            for r in await owner_conn.fetch(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            )
            if r["relname"] not in NO_RLS
        ]
        expected = {
            table: await owner_conn.fetchval(f"SELECT count(*) FROM {table} WHERE {MINE[table]}", ids)
            if table in MINE
            else 0
            for table in tables
        }
        # The fixture gave Margaret rows in these: the test would prove little otherwise.
        for table in ("people", "person_records", "org_people", "organisations", "consent_grants",
                      "consent_receipts", "access_log", "relationships"):  # fmt: skip
            assert expected[table] > 0, table
        await _as_resident(app_role_conn, margaret)
        seen = {table: await app_role_conn.fetchval(f"SELECT count(*) FROM {table}") for table in tables}
        await app_role_conn.execute("ROLLBACK")
        assert seen == expected

    async def test_a_resident_cannot_write_another_persons_rows(self, family, owner_conn, app_role_conn):
        margaret, zed = family["margaret_person"], family["zed_person"]
        await _as_resident(app_role_conn, margaret)
        assert (
            await app_role_conn.execute("UPDATE people SET research_objection_at = now() WHERE id = $1", zed)
            == "UPDATE 0"
        )
        assert (
            await app_role_conn.execute(
                "UPDATE consent_grants SET withdrawn_at = now(), withdrawn_by = 'x' "
                "WHERE org_person_id IN (SELECT org_person_id FROM org_people WHERE org_id = $1)",
                family["council_org"],
            )
            == "UPDATE 1"
        )  # hers alone of the two
        assert await app_role_conn.execute("DELETE FROM person_records") == "DELETE 0"  # others' claims
        await app_role_conn.execute("ROLLBACK")
        refused = [
            ("INSERT INTO person_records (id, person_id, org_id, source_sector, claims) "
             "VALUES (gen_random_uuid(), $1, NULL, 'resident', '{}')", [zed]),
            ("INSERT INTO reward_cards (id, person_id, token_hash) VALUES (gen_random_uuid(), $1, 'x')", [zed]),
            ("INSERT INTO audit_log (org_id, actor, action, subject_type, subject_id, detail) "
             "VALUES (NULL, $1, 'person.erased', 'person', $2, '{}')", [f"resident:{zed}", str(zed)]),
            ("INSERT INTO audit_log (org_id, actor, action, subject_type, subject_id, detail) "
             "VALUES ($1, $2, 'x', 'person', $3, '{}')", [family["council_org"], f"resident:{margaret}", str(margaret)]),
        ]  # fmt: skip
        for statement, args in refused:
            await _as_resident(app_role_conn, margaret)
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await app_role_conn.execute(statement, *args)
            await app_role_conn.execute("ROLLBACK")
        assert (
            await owner_conn.fetchval(
                "SELECT count(*) FROM consent_grants g JOIN org_people op ON op.org_person_id = g.org_person_id "
                "WHERE op.canonical_id = $1 AND g.withdrawn_at IS NULL",
                zed,
            )
            == 1
        )

    async def test_a_resident_set_by_hand_opens_nothing(self, family, app_role_conn):
        await app_role_conn.execute("BEGIN")
        await app_role_conn.fetchval("SELECT kith_begin(NULL, false, NULL, $1)", SERVICE_KEY)
        await app_role_conn.execute(
            "SELECT set_config('kith.resident', $1, true)", str(family["margaret_person"])
        )
        assert await app_role_conn.fetchval("SELECT count(*) FROM people") == 0
        assert await app_role_conn.fetchval("SELECT count(*) FROM consent_grants") == 0
        await app_role_conn.execute("ROLLBACK")
        await app_role_conn.execute("BEGIN")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_role_conn.execute(
                "SELECT kith_resident_on($1, $2)", b"not the key", family["margaret_person"]
            )
        await app_role_conn.execute("ROLLBACK")

    async def test_a_rights_function_asked_for_someone_else_finds_no_one(self, app, family):
        # Were the portal to pass the wrong person to a rights function, the database would still
        # keep the page to the signed-in resident's rows.
        async with app.state.db.session(platform=True) as session:
            await resident_scope(session, family["margaret_person"])
            assert (await rights.profile(session, Principal.resident(family["margaret_person"])))["claims"]
            with pytest.raises(rights.ResidentNotFound):
                await rights.export(session, Principal.resident(family["zed_person"]))

    async def test_a_resident_scope_cannot_move_itself_into_another_person(self, family, app_role_conn):
        # Its ids are fixed when it opens; and a resident changes nothing of a people row but
        # their objection to research.
        margaret, zed = family["margaret_person"], family["zed_person"]
        await _as_resident(app_role_conn, margaret)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_role_conn.execute("UPDATE people SET canonical_id = $2 WHERE id = $1", margaret, zed)
        await app_role_conn.execute("ROLLBACK")
        await _as_resident(app_role_conn, margaret)
        assert (
            await app_role_conn.fetchval("SELECT count(*) FROM person_records WHERE person_id = $1", zed) == 0
        )
        assert (
            await app_role_conn.execute(
                "UPDATE people SET research_objection_at = now() WHERE id = $1", margaret
            )
            == "UPDATE 1"
        )
        await app_role_conn.execute("ROLLBACK")

    async def test_a_resident_scope_writes_no_organisations_grant_event_mail_card_or_session(
        self, family, app_role_conn
    ):
        margaret = family["margaret_person"]
        statements = [
            # A grant with an organisation's method and evidence, in the resident's name.
            ("INSERT INTO consent_grants (id, org_id, org_person_id, purpose, categories, method, evidence, "
             "granted_by, granted_at, confirmed_at) VALUES (gen_random_uuid(), $1, $2, 'offers', '{identity}', "
             "'recorded_by_org', '{\"kind\": \"verbal\", \"reference\": \"x\"}', $3, now(), now())",
             [family["council_org"], uuid.UUID(family["margaret"]), f"resident:{margaret}"]),
            ("INSERT INTO outbox_events (event_id, org_id, event_type, payload) "
             "VALUES (gen_random_uuid(), $1, 'person.erased', '{}')", [family["council_org"]]),
            ("INSERT INTO resident_mail (to_address, subject, body, next_attempt_at) "
             "VALUES ('x@example.org', 'x', 'x', now())", []),
            ("INSERT INTO portal_sessions (id, token_hash, email, person_id, expires_at) "
             "VALUES (gen_random_uuid(), 'forged', 'x@example.org', $1, now() + interval '10 years')", [margaret]),
            ("INSERT INTO reward_cards (id, person_id, token_hash) VALUES (gen_random_uuid(), $1, 'x')", [margaret]),
        ]  # fmt: skip
        for statement, args in statements:
            await _as_resident(app_role_conn, margaret)
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await app_role_conn.execute(statement, *args)
            await app_role_conn.execute("ROLLBACK")
