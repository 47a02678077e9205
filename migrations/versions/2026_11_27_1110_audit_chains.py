"""The audit trail in 64 hash chains instead of 8.

Revision ID: 0009_audit_chains
Revises: 0008_ledger_one_statement
Create Date: 2026-11-27 11:10

Each transaction appends its audit entries to one chain (its backend's pid modulo the number of
chains) and holds that chain's head until it commits. With eight chains, the service's
connections queued on the heads under concurrent writes, and — the append being a transaction's
last write — held their other row locks (two hot ledger accounts, say) while they waited: measured
at 64 concurrent ledger transfers, the database made about a third more of them with 64 chains.
Entries already written keep their chains; the new chains start at the genesis hash, and
``kith audit verify`` walks every chain as before.
"""

from __future__ import annotations

from alembic import op

revision = "0009_audit_chains"
down_revision = "0008_ledger_one_statement"
branch_labels = None
depends_on = None

TRIGGER = """CREATE OR REPLACE FUNCTION kith_audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  head audit_chain_heads%ROWTYPE;
BEGIN
  NEW.chain := pg_backend_pid() % {chains};
  SELECT * INTO head FROM audit_chain_heads WHERE chain = NEW.chain FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.prev_hash := head.hash;
  NEW.occurred_at := now();
  NEW.detail := coalesce(NEW.detail, '{{}}'::jsonb);
  NEW.hash := sha256(NEW.prev_hash || convert_to(kith_audit_canonical(NEW), 'UTF8'));
  UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash WHERE chain = NEW.chain;
  RETURN NEW;
END $$"""


def upgrade() -> None:
    op.execute(
        "INSERT INTO audit_chain_heads (chain, seq, hash) "
        "SELECT g, 0, decode(repeat('00', 32), 'hex') FROM generate_series(8, 63) AS g ON CONFLICT DO NOTHING"
    )
    op.execute(TRIGGER.format(chains=64))


def downgrade() -> None:
    # Entries in chains 8 to 63 stay where they are (the trail is append-only); only new entries
    # go back to eight chains, so the heads of the others are kept for verification.
    op.execute(TRIGGER.format(chains=8))
