"""The audit trail: append-only, hash-chained, and verifiable."""

from __future__ import annotations

import asyncpg
import pytest

from app.audit import service as audit
from app.db.session import Database
from tests.conftest import _plain, fresh_database, make_settings


async def _verify(url: str, tmp_path):
    db = Database.connect(url, make_settings(url, tmp_path), role=None)
    try:
        async with db.session(platform=True) as session:
            return await audit.verify(session)
    finally:
        await db.dispose()


class TestAuditTrail:
    async def test_writes_are_audited(self, client, platform, owner_conn):
        headers = await platform.admin_headers()
        response = await client.post(
            "/v1/admin/organisations",
            json={"name": "Food Bank", "sector": "social", "kind": "charity"},
            headers=headers,
        )
        org_id = response.json()["id"]
        rows = await owner_conn.fetch(
            "SELECT action, actor, detail FROM audit_log WHERE subject_id = $1", org_id
        )
        assert [r["action"] for r in rows] == ["organisation.created"]
        assert rows[0]["actor"].startswith("client:kc_")

    async def test_failed_request_leaves_no_audit_entry(self, client, platform, owner_conn):
        headers = await platform.admin_headers()
        before = await owner_conn.fetchval("SELECT count(*) FROM audit_log")
        response = await client.post(
            "/v1/admin/organisations",
            json={"name": "X", "sector": "space", "kind": "charity"},
            headers=headers,
        )
        assert response.status_code == 422
        assert await owner_conn.fetchval("SELECT count(*) FROM audit_log") == before

    async def test_chain_verifies(self, platform, database_url, tmp_path):
        for _ in range(5):
            await platform.make_org()
        reports = await _verify(database_url, tmp_path)
        assert all(r.ok for r in reports), reports
        assert sum(r.entries for r in reports) >= 5

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_log SET actor = 'someone else'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ],
    )
    async def test_database_refuses_changes_even_from_the_owner(self, platform, owner_conn, statement):
        await platform.make_org()
        with pytest.raises(asyncpg.PostgresError, match=r"append-only|permission denied"):
            await owner_conn.execute(statement)

    async def test_app_role_cannot_change_entries(self, platform, app_role_conn):
        org = await platform.make_org()
        await app_role_conn.execute("BEGIN")
        await app_role_conn.fetchval("SELECT kith_begin($1, false, NULL)", org.id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_role_conn.execute("UPDATE audit_log SET actor = 'x'")
        await app_role_conn.execute("ROLLBACK")


class TestTamperDetection:
    """Each test tampers with its own database, as a superuser behind the service's back."""

    @pytest.fixture
    async def tampered_db(self, server_url, data_dir):
        from tests.conftest import running_app
        from tests.factories import Platform

        async with fresh_database(server_url) as url:
            async with running_app(make_settings(url, data_dir)) as app:
                import httpx

                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as c:
                    platform = Platform(app, c)
                    for _ in range(12):
                        await platform.make_org()
            yield url

    async def test_altered_entry_is_detected(self, tampered_db, tmp_path):
        conn = await asyncpg.connect(_plain(tampered_db))
        try:
            target = await conn.fetchrow(
                "SELECT chain, seq FROM audit_log ORDER BY chain, seq OFFSET 3 LIMIT 1"
            )
            await conn.execute("SET session_replication_role = replica")  # bypasses the refusal trigger
            await conn.execute(
                'UPDATE audit_log SET detail = \'{"kind": "forged"}\' WHERE chain = $1 AND seq = $2',
                target["chain"],
                target["seq"],
            )
        finally:
            await conn.close()
        reports = {r.chain: r for r in await _verify(tampered_db, tmp_path)}
        broken = reports[target["chain"]]
        assert not broken.ok
        assert broken.broken_at == target["seq"]
        assert "hash" in broken.reason
        assert all(r.ok for c, r in reports.items() if c != target["chain"])

    async def test_deleted_entry_is_detected(self, tampered_db, tmp_path):
        conn = await asyncpg.connect(_plain(tampered_db))
        try:
            target = await conn.fetchrow(
                "SELECT chain, seq FROM audit_log WHERE seq = 1 ORDER BY chain LIMIT 1"
            )
            await conn.execute("SET session_replication_role = replica")
            await conn.execute(
                "DELETE FROM audit_log WHERE chain = $1 AND seq = $2", target["chain"], target["seq"]
            )
        finally:
            await conn.close()
        reports = {r.chain: r for r in await _verify(tampered_db, tmp_path)}
        assert not reports[target["chain"]].ok
        assert reports[target["chain"]].broken_at == 1

    async def test_cli_reports_the_break(self, tampered_db, data_dir):
        import os
        import subprocess
        import sys

        conn = await asyncpg.connect(_plain(tampered_db))
        try:
            await conn.execute("SET session_replication_role = replica")
            await conn.execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2")
        finally:
            await conn.close()
        env = {**os.environ, "KITH_DATABASE_URL": tampered_db, "KITH_DATA_DIR": str(data_dir)}
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "audit", "verify"], env=env, capture_output=True, text=True
        )
        assert result.returncode == 1, result.stdout + result.stderr
        assert "BROKEN at entry 2" in result.stdout
