"""An audit trail that proves itself: links keyed with a secret the database does not hold, and
signed checkpoints of each chain's head.

Revision ID: 2026_12_06_audit_keyed
Revises: 2026_12_06_trust
Create Date: 2026-12-06 21:00

Each link was SHA-256 of (previous hash ‖ entry): anyone who could write the table could recompute
it. Now it is HMAC-SHA256 under a key the service holds (KITH_AUDIT_KEY, or audit.key in
KITH_DATA_DIR). The service's connections carry the key's inner and outer pads as settings of
their own session (sent when they connect, never stored), and the trigger computes
sha256(opad ‖ sha256(ipad ‖ prev_hash ‖ entry)) with PostgreSQL's core sha256(). A connection
without them cannot append at all.

audit_checkpoints keeps, per chain, the head (seq, hash) signed with the platform's ES256 key, so
that deleting the newest entries and winding the head back, or rewriting the chain with a stolen
audit key, is caught; `kith audit export-checkpoints` hands them to someone outside to hold.

Entries appended before this revision were hashed without a key and would not verify: a database
that holds any is refused (nothing was released with them; recreate it).
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_06_audit_keyed"
down_revision = "2026_12_06_trust"
branch_labels = None
depends_on = None

REFUSE_OLD_ENTRIES = r"""
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM audit_log) THEN
    RAISE EXCEPTION 'this database holds audit entries hashed without a key, which cannot be verified '
      'from this revision on; recreate the database (nothing was released with them)';
  END IF;
END $$
"""

CHAIN_KEYED = r"""
CREATE OR REPLACE FUNCTION public.kith_audit_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO '$user', 'public'
    AS $$
DECLARE
  head audit_chain_heads%ROWTYPE;
  ipad bytea := decode(nullif(current_setting('kith.audit_ipad', true), ''), 'hex');
  opad bytea := decode(nullif(current_setting('kith.audit_opad', true), ''), 'hex');
BEGIN
  IF ipad IS NULL OR opad IS NULL THEN
    RAISE EXCEPTION 'audit entries are appended only by the service, with its audit key'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  NEW.chain := pg_backend_pid() % 64;
  SELECT * INTO head FROM audit_chain_heads WHERE chain = NEW.chain FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.prev_hash := head.hash;
  NEW.occurred_at := now();
  NEW.detail := coalesce(NEW.detail, '{}'::jsonb);
  NEW.hash := sha256(opad || sha256(ipad || NEW.prev_hash || convert_to(kith_audit_canonical(NEW), 'UTF8')));
  UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash WHERE chain = NEW.chain;
  RETURN NEW;
END $$
"""

CHAIN_UNKEYED = r"""
CREATE OR REPLACE FUNCTION public.kith_audit_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO '$user', 'public'
    AS $$
DECLARE
  head audit_chain_heads%ROWTYPE;
BEGIN
  NEW.chain := pg_backend_pid() % 64;
  SELECT * INTO head FROM audit_chain_heads WHERE chain = NEW.chain FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.prev_hash := head.hash;
  NEW.occurred_at := now();
  NEW.detail := coalesce(NEW.detail, '{}'::jsonb);
  NEW.hash := sha256(NEW.prev_hash || convert_to(kith_audit_canonical(NEW), 'UTF8'));
  UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash WHERE chain = NEW.chain;
  RETURN NEW;
END $$
"""

# The heads, for the service's role (which may not read the table) to checkpoint them.
HEADS = r"""
CREATE FUNCTION public.kith_audit_heads() RETURNS TABLE (chain smallint, seq bigint, hash bytea)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO '$user', 'public'
    AS $$ SELECT chain, seq, hash FROM audit_chain_heads ORDER BY chain $$
"""

UPGRADE = [
    REFUSE_OLD_ENTRIES,
    CHAIN_KEYED,
    HEADS,
    "REVOKE ALL ON FUNCTION kith_audit_heads() FROM PUBLIC",
    "GRANT EXECUTE ON FUNCTION kith_audit_heads() TO kith_app",
    """
CREATE TABLE audit_checkpoints (
    id bigint GENERATED ALWAYS AS IDENTITY,
    chain smallint NOT NULL,
    seq bigint NOT NULL,
    hash bytea NOT NULL,
    made_at timestamp with time zone DEFAULT now() NOT NULL,
    jws text NOT NULL,
    CONSTRAINT pk_audit_checkpoints PRIMARY KEY (id)
)""",
    "CREATE INDEX ix_audit_checkpoints_chain ON audit_checkpoints (chain, seq)",
    "CREATE TRIGGER audit_checkpoints_no_update BEFORE DELETE OR UPDATE ON audit_checkpoints "
    "FOR EACH ROW EXECUTE FUNCTION kith_refuse_change()",
    "CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints "
    "FOR EACH STATEMENT EXECUTE FUNCTION kith_refuse_change()",
    "ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY",
    "CREATE POLICY audit_checkpoints_platform ON audit_checkpoints USING (kith_is_platform()) "
    "WITH CHECK (kith_is_platform())",
    "GRANT SELECT, INSERT ON audit_checkpoints TO kith_app",
]

DOWNGRADE = [
    "DROP TABLE audit_checkpoints",
    "DROP FUNCTION kith_audit_heads()",
    CHAIN_UNKEYED,
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
