"""Foundation: the app role, tenant context functions, organisations, API clients, audit trail.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-22 08:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import APP_ROLE, CONTEXT_FUNCTIONS, drop_tenant_table, tenant_table

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

AUDIT_CHAINS = 8  # fixed for the life of the data: chain = backend pid mod this

APP_ROLE_SQL = f"""DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    BEGIN
      CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION WHEN duplicate_object THEN NULL;  -- another database on this server made it meanwhile
    END;
  END IF;
  IF NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN
    EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
  END IF;
END $$"""

BEGIN_FUNCTION = [
    """
CREATE FUNCTION kith_begin(p_org uuid, p_platform boolean, p_client text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM set_config('kith.org_id', coalesce(p_org::text, ''), true);
  PERFORM set_config('kith.platform', CASE WHEN p_platform THEN 'on' ELSE '' END, true);
  IF p_client IS NULL THEN
    RETURN true;
  END IF;
  RETURN EXISTS (SELECT 1 FROM api_clients WHERE client_id = p_client AND disabled_at IS NULL);
END $$""",
    f"GRANT EXECUTE ON FUNCTION kith_begin(uuid, boolean, text) TO {APP_ROLE}",
]

AUDIT_SQL = [
    """CREATE FUNCTION kith_audit_canonical(e audit_log) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_array(
    e.chain, e.seq,
    to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    e.org_id, e.actor, e.action, e.subject_type, e.subject_id, e.detail, e.request_id
  )::text
$$""",
    f"""-- Links each new entry into its chain. SECURITY DEFINER: the app role may insert entries but can
-- neither read nor move the chain heads. The head row's lock serialises appends to one chain only,
-- and appends are made last in each transaction, so the lock is held just until commit.
CREATE FUNCTION kith_audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  head audit_chain_heads%ROWTYPE;
BEGIN
  NEW.chain := pg_backend_pid() % {AUDIT_CHAINS};
  SELECT * INTO head FROM audit_chain_heads WHERE chain = NEW.chain FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.prev_hash := head.hash;
  NEW.occurred_at := now();
  NEW.detail := coalesce(NEW.detail, '{{}}'::jsonb);
  NEW.hash := sha256(NEW.prev_hash || convert_to(kith_audit_canonical(NEW), 'UTF8'));
  UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash WHERE chain = NEW.chain;
  RETURN NEW;
END $$""",
    """CREATE FUNCTION kith_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$""",
    """CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION kith_audit_chain()""",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION kith_refuse_change()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION kith_refuse_change()""",
    """REVOKE ALL ON audit_log, audit_chain_heads FROM PUBLIC""",
    f"""INSERT INTO audit_chain_heads (chain, seq, hash)
  SELECT g, 0, decode(repeat('00', 32), 'hex') FROM generate_series(0, {AUDIT_CHAINS - 1}) AS g""",
]


def upgrade() -> None:
    op.execute(APP_ROLE_SQL)
    for statement in CONTEXT_FUNCTIONS:
        op.execute(statement)
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")

    op.create_table(
        "organisations",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sector", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("area_code", sa.String(16)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("sector IN ('public', 'social', 'commercial')", name="sector"),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
    )
    op.create_index("ix_organisations_created", "organisations", ["created_at", "id"])

    op.create_table(
        "api_clients",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("org_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("client_id", name="pk_api_clients"),
    )
    op.create_index("ix_api_clients_org", "api_clients", ["org_id", "created_at"])

    op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("chain", name="pk_audit_chain_heads"),
    )
    op.create_table(
        "audit_log",
        sa.Column("chain", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("org_id", postgresql.UUID(as_uuid=True)),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject_type", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.Text()),
        sa.Column("detail", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("request_id", sa.Text()),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("chain", "seq", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_org", "audit_log", ["org_id", "occurred_at"])
    for statement in AUDIT_SQL:
        op.execute(statement)

    # Organisations are keyed by their own id; everything else by org_id.
    for statement in tenant_table("organisations", org_column="id"):
        op.execute(statement)
    for statement in tenant_table("api_clients"):
        op.execute(statement)
    for statement in tenant_table("audit_log", privileges="SELECT, INSERT"):
        op.execute(statement)
    for statement in BEGIN_FUNCTION:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP FUNCTION kith_begin(uuid, boolean, text)")
    for table in ("audit_log", "api_clients", "organisations"):
        for statement in drop_tenant_table(table):
            op.execute(statement)
    op.execute("DROP FUNCTION kith_audit_canonical(audit_log)")
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION kith_audit_chain()")
    op.execute("DROP FUNCTION kith_refuse_change()")
    op.drop_table("audit_chain_heads")
    op.drop_table("api_clients")
    op.drop_table("organisations")
    op.execute("DROP FUNCTION kith_current_org()")
    op.execute("DROP FUNCTION kith_is_platform()")
    op.execute(f"REVOKE SELECT ON alembic_version FROM {APP_ROLE}")
