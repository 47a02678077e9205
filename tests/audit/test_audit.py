"""The audit trail: append-only, hash-chained, and verifiable."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import asyncpg
import pytest

from app.audit import service as audit
from app.auth.keys import SigningKey
from app.db.session import Database
from tests.conftest import SERVICE_KEY, _plain, fresh_database, make_settings


async def _verify(url: str, data_dir, outside=None):
    """``kith audit verify``'s checks, with the audit key every test process shares and the
    signing key of ``data_dir`` (an app's checkpoints verify only with that app's key)."""
    settings = make_settings(url, data_dir)
    db = Database.connect(url, settings, role=None)
    try:
        async with db.session(platform=True) as session:
            return await audit.verify(
                session, settings.audit_secret(), SigningKey.load_or_create(data_dir), outside
            )
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
        await app_role_conn.fetchval("SELECT kith_begin($1, false, NULL, $2)", org.id, SERVICE_KEY)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_role_conn.execute("UPDATE audit_log SET actor = 'x'")
        await app_role_conn.execute("ROLLBACK")


class TestOneWriter:
    """Every entry, the service's and the ledger's SQL's alike, is appended by one database
    function, kith_audit_append."""

    async def test_no_other_function_or_module_inserts_into_the_trail(self, owner_conn):
        writers = await owner_conn.fetch(
            "SELECT p.oid::regprocedure::text AS f FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace "
            "AND p.prosrc ~* 'insert\\s+into\\s+(public\\.)?audit_log\\M'"
        )
        assert [r["f"] for r in writers] == ["kith_audit_append(uuid,text,text,text,text,jsonb,text)"]
        app = Path(__file__).resolve().parents[2] / "app"
        assert [
            str(path.relative_to(app))
            for path in sorted(app.rglob("*.py"))
            if re.search(r"insert\s+into\s+audit_log\b", path.read_text(), re.IGNORECASE)
        ] == []

    async def test_only_the_service_may_call_it(self, owner_conn):
        allowed = await owner_conn.fetchrow(
            "SELECT has_function_privilege('public', f, 'EXECUTE') AS anyone, "
            "has_function_privilege('kith_app', f, 'EXECUTE') AS service "
            "FROM CAST('kith_audit_append(uuid,text,text,text,text,jsonb,text)' AS regprocedure) f"
        )
        assert (allowed["anyone"], allowed["service"]) == (False, True)

    async def test_it_keeps_an_organisation_to_its_own_entries(self, platform, app_role_conn):
        a, b = await platform.make_org(), await platform.make_org()
        async with app_role_conn.transaction():
            await app_role_conn.fetchval("SELECT kith_begin($1, false, NULL, $2)", a.id, SERVICE_KEY)
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                await app_role_conn.execute(
                    "SELECT kith_audit_append($1, 'me', 'forged', 'nothing', NULL, '{}', NULL)", b.id
                )


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


KEY = b"kith-test-audit-key"  # tests/conftest.py gives every test process this audit key


class TestTamperingAfterACheckpoint:
    """The ways to rewrite history that an unkeyed chain let through, each after the chain's head
    was checkpointed: every one is reported. Each test tampers with a database of its own, as the
    database's owner behind the service's back (replica mode switches the refusal triggers off)."""

    @pytest.fixture
    async def trail(self, server_url, data_dir):
        """A database with a dozen audited writes and a signed checkpoint of every chain's head;
        (url, the longest chain, its length)."""
        from tests.conftest import running_app
        from tests.factories import Platform

        async with fresh_database(server_url) as url:
            async with running_app(make_settings(url, data_dir, db_pool_size=1)) as app:
                import httpx

                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as c:
                    platform = Platform(app, c)
                    for _ in range(12):
                        await platform.make_org(trusted=False)
                async with app.state.db.session(platform=True) as session:
                    assert await audit.checkpoint(session, app.state.signing_key) >= 1
            conn = await asyncpg.connect(_plain(url))
            try:
                chain, length = await conn.fetchrow(
                    "SELECT chain, max(seq) FROM audit_log GROUP BY chain ORDER BY 2 DESC LIMIT 1"
                )
            finally:
                await conn.close()
            assert length >= 6
            assert all(r.ok for r in await _verify(url, data_dir))
            yield url, chain, length

    @staticmethod
    async def rewrite(url: str, chain: int, from_seq: int, key: bytes | None, edit: bool = True) -> None:
        """Change entry ``from_seq``'s actor (if ``edit``) and recompute the links from it to the
        end, and the head: with SHA-256 as before (no key) or with the stolen audit ``key``."""
        conn = await asyncpg.connect(_plain(url))
        try:
            await conn.execute("SET session_replication_role = replica")
            if edit:
                await conn.execute(
                    "UPDATE audit_log SET actor = 'someone else' WHERE chain = $1 AND seq = $2",
                    chain,
                    from_seq,
                )
            rows = await conn.fetch(
                "SELECT seq, kith_audit_canonical(a) AS canonical FROM audit_log a WHERE chain = $1 AND seq >= $2 "
                "ORDER BY seq",
                chain,
                from_seq,
            )
            prev = bytes(
                await conn.fetchval(
                    "SELECT hash FROM audit_log WHERE chain = $1 AND seq = $2", chain, from_seq - 1
                )
                or bytes(32)
            )
            for row in rows:
                message = prev + row["canonical"].encode()
                new = (
                    audit.link_hash(key, prev, row["canonical"]) if key else hashlib.sha256(message).digest()
                )
                await conn.execute(
                    "UPDATE audit_log SET prev_hash = $3, hash = $4 WHERE chain = $1 AND seq = $2",
                    chain,
                    row["seq"],
                    prev,
                    new,
                )
                prev = new
            await conn.execute("UPDATE audit_chain_heads SET hash = $2 WHERE chain = $1", chain, prev)
        finally:
            await conn.close()

    @staticmethod
    async def drop_last(url: str, chain: int, length: int) -> None:
        """Delete the chain's newest entry and wind its head back to the one before."""
        conn = await asyncpg.connect(_plain(url))
        try:
            await conn.execute("SET session_replication_role = replica")
            await conn.execute("DELETE FROM audit_log WHERE chain = $1 AND seq = $2", chain, length)
            previous = await conn.fetchval(
                "SELECT hash FROM audit_log WHERE chain = $1 AND seq = $2", chain, length - 1
            )
            await conn.execute(
                "UPDATE audit_chain_heads SET seq = $2, hash = $3 WHERE chain = $1",
                chain,
                length - 1,
                previous,
            )
        finally:
            await conn.close()

    async def broken(self, url, data_dir, chain, outside=None) -> audit.ChainReport:
        reports = {r.chain: r for r in await _verify(url, data_dir, outside)}
        assert not reports[chain].ok, reports[chain]
        return reports[chain]

    async def test_the_last_entry_edited_and_its_hash_recomputed(self, trail, data_dir):
        url, chain, length = trail
        await self.rewrite(url, chain, length, key=None)
        assert (await self.broken(url, data_dir, chain)).broken_at == length

    async def test_the_last_entry_deleted_and_the_head_wound_back(self, trail, data_dir):
        url, chain, length = trail
        await self.drop_last(url, chain, length)
        assert "checkpoint" in (await self.broken(url, data_dir, chain)).reason

    async def test_entry_5_rewritten_and_the_rest_of_the_chain_recomputed(self, trail, data_dir):
        url, chain, _ = trail
        await self.rewrite(url, chain, 5, key=None)
        assert (await self.broken(url, data_dir, chain)).broken_at == 5

    async def test_entry_5_rewritten_with_the_stolen_audit_key(self, trail, data_dir):
        url, chain, length = trail
        await self.rewrite(url, chain, 5, key=KEY)
        report = await self.broken(url, data_dir, chain)  # every link holds; the signed head does not
        assert report.broken_at == length and "checkpoint" in report.reason

    async def test_the_head_alone_changed(self, trail, data_dir):
        url, chain, _ = trail
        conn = await asyncpg.connect(_plain(url))
        try:
            await conn.execute("UPDATE audit_chain_heads SET hash = $2 WHERE chain = $1", chain, bytes(32))
        finally:
            await conn.close()
        assert "head" in (await self.broken(url, data_dir, chain)).reason

    async def test_checkpoints_kept_outside_catch_what_the_databases_copies_no_longer_can(
        self, trail, data_dir, tmp_path
    ):
        url, chain, length = trail
        exported = tmp_path / "checkpoints.jsonl"
        done = kith_cli("audit", "export-checkpoints", "--out", str(exported), url=url, data_dir=data_dir)
        assert done.returncode == 0, done.stderr
        await self.drop_last(url, chain, length)
        conn = await asyncpg.connect(_plain(url))
        try:
            await conn.execute("SET session_replication_role = replica")
            await conn.execute("DELETE FROM audit_checkpoints")  # the database's copies gone too
        finally:
            await conn.close()
        assert all(r.ok for r in await _verify(url, data_dir))  # the residual risk, without them
        done = kith_cli("audit", "verify", "--checkpoints", str(exported), url=url, data_dir=data_dir)
        assert done.returncode == 1 and "BROKEN" in done.stdout, done.stdout + done.stderr

    async def test_a_transaction_without_the_key_cannot_append(self, trail):
        url, _, _ = trail
        conn = await asyncpg.connect(_plain(url))
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="audit key"):
                await conn.execute(
                    "INSERT INTO audit_log (chain, seq, prev_hash, hash, actor, action, subject_type) "
                    "VALUES (0, 0, '', '', 'me', 'forged', 'nothing')"
                )
        finally:
            await conn.close()


def kith_cli(*args: str, url: str, data_dir):
    import os
    import subprocess
    import sys

    env = {**os.environ, "KITH_DATABASE_URL": url, "KITH_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True)
