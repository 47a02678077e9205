"""Row-level security: the second wall between organisations, below the service layer."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.conftest import SERVICE_KEY
from tests.factories import org_with_token, unique_resident
from tests.relationships.test_endpoints import grant_in_portal, make_family

# Tables that hold no organisation-owned or person data and so need no RLS; the last two are the
# context's secret and the service keys' digests, which only their owner may read (the service's
# role has no privilege on them: tests/db/test_least_privilege.py).
NOT_TENANT_DATA = {"alembic_version", "audit_chain_heads", "kith_context_secret", "kith_service_keys"}


async def _in_context(conn: asyncpg.Connection, org_id: uuid.UUID | None, platform: bool = False):
    await conn.execute("BEGIN")
    await conn.fetchval("SELECT kith_begin($1, $2, NULL, $3)", org_id, platform, SERVICE_KEY)


class TestRowLevelSecurity:
    async def test_app_role_is_neither_owner_nor_superuser(self, app_role_conn):
        row = await app_role_conn.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert (row["rolsuper"], row["rolbypassrls"]) == (False, False)
        owned = await app_role_conn.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
        assert owned == 0

    async def test_every_tenant_table_has_forced_rls(self, owner_conn):
        rows = await owner_conn.fetch(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
        )
        tables = {r["relname"]: (r["relrowsecurity"], r["relforcerowsecurity"]) for r in rows}
        assert {"organisations", "api_clients", "audit_log"} <= tables.keys()
        unprotected = [t for t, flags in tables.items() if t not in NOT_TENANT_DATA and flags != (True, True)]
        assert unprotected == []

    async def test_no_context_sees_nothing(self, platform, app_role_conn):
        await platform.make_org()
        await _in_context(app_role_conn, None)
        assert await app_role_conn.fetchval("SELECT count(*) FROM organisations") == 0
        assert await app_role_conn.fetchval("SELECT count(*) FROM api_clients") == 0
        assert await app_role_conn.fetchval("SELECT count(*) FROM audit_log") == 0
        await app_role_conn.execute("ROLLBACK")

    async def test_context_is_per_transaction(self, platform, app_role_conn):
        org = await platform.make_org()
        await _in_context(app_role_conn, org.id)
        assert await app_role_conn.fetchval("SELECT count(*) FROM organisations") == 1
        await app_role_conn.execute("COMMIT")
        # The next transaction on the same connection starts with no organisation.
        assert await app_role_conn.fetchval("SELECT count(*) FROM organisations") == 0

    async def test_org_cannot_read_or_write_another_orgs_rows(self, platform, app_role_conn):
        a = await platform.make_org()
        b = await platform.make_org()
        b_client = await platform.make_client(b.id, ["people:read"])
        await _in_context(app_role_conn, a.id)
        assert await app_role_conn.fetchval("SELECT count(*) FROM organisations WHERE id = $1", b.id) == 0
        assert (
            await app_role_conn.fetchval(
                "SELECT count(*) FROM api_clients WHERE client_id = $1", b_client.client_id
            )
            == 0
        )
        updated = await app_role_conn.execute(
            "UPDATE organisations SET name = 'hijacked' WHERE id = $1", b.id
        )
        assert updated == "UPDATE 0"
        deleted = await app_role_conn.execute("DELETE FROM api_clients WHERE org_id = $1", b.id)
        assert deleted == "DELETE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_role_conn.execute(
                "INSERT INTO api_clients (client_id, org_id, name, secret_hash, scopes) "
                "VALUES ('kc_planted', $1, 'x', 'x', '{}')",
                b.id,
            )
        await app_role_conn.execute("ROLLBACK")

    async def test_org_cannot_move_its_rows_to_another_org(self, platform, app_role_conn):
        a = await platform.make_org()
        b = await platform.make_org()
        a_client = await platform.make_client(a.id, ["people:read"])
        await _in_context(app_role_conn, a.id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_role_conn.execute(
                "UPDATE api_clients SET org_id = $1 WHERE client_id = $2", b.id, a_client.client_id
            )
        await app_role_conn.execute("ROLLBACK")

    async def test_platform_context_sees_all(self, platform, app_role_conn):
        a = await platform.make_org()
        b = await platform.make_org()
        await _in_context(app_role_conn, None, platform=True)
        seen = await app_role_conn.fetchval(
            "SELECT count(*) FROM organisations WHERE id = ANY($1::uuid[])", [a.id, b.id]
        )
        assert seen == 2
        await app_role_conn.execute("ROLLBACK")

    async def test_admin_endpoint_for_unknown_org_is_404(self, client, platform):
        headers = await platform.admin_headers()
        response = await client.get(f"/v1/admin/organisations/{uuid.uuid4()}", headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "organisation_not_found"
        response = await client.post(
            f"/v1/admin/organisations/{uuid.uuid4()}/clients",
            json={"scopes": ["people:read"]},
            headers=headers,
        )
        assert response.status_code == 404

    async def test_an_organisation_writes_its_identity_decisions_but_never_reads_them(
        self, client, platform, app_role_conn
    ):
        # A decision holds the score against, and the person found among, other organisations'
        # records: the platform's to read, not the organisation's that registered the record.
        org_id, headers = await org_with_token(platform)
        registered = await client.post("/v1/people", json=unique_resident(), headers=headers)
        assert registered.status_code == 201, registered.text
        await _in_context(app_role_conn, org_id)
        assert await app_role_conn.fetchval("SELECT count(*) FROM identity_decisions") == 0
        await app_role_conn.execute("ROLLBACK")
        await _in_context(app_role_conn, None, platform=True)
        count = "SELECT count(*) FROM identity_decisions WHERE org_id = $1"
        assert await app_role_conn.fetchval(count, org_id) == 1
        await app_role_conn.execute("ROLLBACK")

    async def test_a_relationship_to_a_person_is_visible_only_under_that_persons_grant(
        self, app, client, platform, owner_conn, app_role_conn
    ):
        family = await make_family(client, platform)

        # As the service's role, in the council's context, stating the purpose: the food bank's record
        # that Margaret and Zed are family shows only once both have granted the council.
        async def visible() -> dict[str, int]:
            await _in_context(app_role_conn, family["council_org"])
            await app_role_conn.execute("SELECT set_config('kith.purpose', 'case_coordination', true)")
            rows = await app_role_conn.fetch(
                "SELECT r.type, count(*) FROM relationships r JOIN people p ON p.id = r.person_id "
                "JOIN org_people op ON op.canonical_id = p.canonical_id WHERE op.org_person_id = $1 "
                "GROUP BY r.type",
                uuid.UUID(family["margaret"]),
            )
            await app_role_conn.execute("ROLLBACK")
            return dict(rows)

        assert await visible() == {}
        await grant_in_portal(app, owner_conn, family["margaret"], family["council_org"], "case_coordination")
        assert await visible() == {"member": 1}
        await grant_in_portal(app, owner_conn, family["zed"], family["council_org"], "case_coordination")
        assert await visible() == {"member": 1, "family": 1}
