"""kith_ledger_apply in fewer statements for transfers and holds (the busiest kinds).

Revision ID: 0010_ledger_fewer_statements
Revises: 0009_audit_chains
Create Date: 2026-11-27 11:20

The same rules and the same answers, in a different order of work for a single transfer or a new
hold: both accounts are locked and read by one statement (they were locked by one and read by two
more), both balances move in one UPDATE (two before), and the replay check — a look-up of the id —
is made only when it can matter: when a refusal is about to be answered (a replay is answered as
a replay, whatever the balances are now) or when the insert finds the id taken. Posting and voiding
a hold keep the previous order, replay check first. Measured on the database alone, 64 connections
making transfers through kith_ledger_request on 100 hot accounts: about a fifth more per second.

Locking stays in id order (so concurrent transfers queue and never deadlock); a replay now takes
the two row locks too, which is harmless.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

from app.db.rls import APP_ROLE

revision = "0010_ledger_fewer_statements"
down_revision = "0009_audit_chains"
branch_labels = None
depends_on = None

_REPLAY_ARGS = "uuid, uuid, uuid, bigint, text, text, uuid, jsonb"

# The answer to a transfer whose id is taken: the same transfer again, or a different one; NULL
# when the id is free. (Volatile, as everything in the ledger: it must see a transfer committed
# while the calling statement ran.)
REPLAY_FUNCTION = """CREATE FUNCTION kith_ledger_replay(
  p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid,
  p_metadata jsonb)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  t ledger_transfers%ROWTYPE;
BEGIN
  SELECT * INTO t FROM ledger_transfers x WHERE x.id = p_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF t.phase = p_phase AND (p_phase IN ('post', 'void') OR t.code = p_code)
     AND t.pending_id IS NOT DISTINCT FROM p_pending_id
     AND (p_phase IN ('post', 'void') OR (t.debit_account_id = p_debit AND t.credit_account_id = p_credit))
     AND (p_amount IS NULL OR t.amount = p_amount)
     AND t.metadata IS NOT DISTINCT FROM p_metadata THEN
    RETURN 'exists';
  END IF;
  RETURN 'exists_with_different_fields';
END $$"""

APPLY_FUNCTION = """CREATE OR REPLACE FUNCTION kith_ledger_apply(
  p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid,
  p_timeout_at timestamptz, p_metadata jsonb, p_org uuid, p_owner_only boolean)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  pend ledger_transfers%ROWTYPE;
  da ledger_accounts%ROWTYPE;
  ca ledger_accounts%ROWTYPE;
  acc ledger_accounts%ROWTYPE;
  amt bigint := p_amount;
  ends_hold boolean := p_phase IN ('post', 'void');
  refused text;
  inserted uuid;
BEGIN
  IF ends_hold THEN
    refused := kith_ledger_replay(p_id, p_debit, p_credit, p_amount, p_code, p_phase, p_pending_id,
                                  p_metadata);
    IF refused IS NOT NULL THEN
      RETURN refused;
    END IF;
    SELECT * INTO pend FROM ledger_transfers x WHERE x.id = p_pending_id;
    IF NOT FOUND OR (p_owner_only AND pend.org_id IS DISTINCT FROM p_org) THEN
      RETURN 'pending_transfer_not_found';
    END IF;
    IF pend.phase <> 'pending' THEN
      RETURN 'pending_transfer_not_pending';
    END IF;
    p_debit := pend.debit_account_id;
    p_credit := pend.credit_account_id;
    p_code := pend.code;
    IF p_phase = 'void' THEN
      amt := pend.amount;
    ELSE
      amt := coalesce(p_amount, pend.amount);
      IF amt > pend.amount THEN
        RETURN 'exceeds_pending_transfer_amount';
      END IF;
    END IF;
  END IF;

  -- Both accounts locked in id order and read, in one statement.
  FOR acc IN SELECT * FROM ledger_accounts x WHERE x.id IN (p_debit, p_credit) ORDER BY x.id FOR UPDATE LOOP
    IF acc.id = p_debit THEN
      da := acc;
    END IF;
    IF acc.id = p_credit THEN
      ca := acc;
    END IF;
  END LOOP;

  IF da.id IS NULL THEN
    refused := 'debit_account_not_found';
  ELSIF ca.id IS NULL THEN
    refused := 'credit_account_not_found';
  ELSIF ends_hold THEN
    IF EXISTS (SELECT 1 FROM ledger_transfers x WHERE x.pending_id = p_pending_id) THEN
      refused := 'pending_transfer_already_resolved';
    ELSIF p_phase = 'post' AND pend.timeout_at IS NOT NULL AND pend.timeout_at <= now() THEN
      refused := 'pending_transfer_expired';
    END IF;
  ELSIF p_owner_only AND da.org_id IS DISTINCT FROM p_org THEN
    refused := 'debit_not_allowed';
  ELSIF da.closed_at IS NOT NULL OR ca.closed_at IS NOT NULL THEN
    refused := 'account_closed';
  ELSIF da.debits_must_not_exceed_credits AND da.debits_posted + da.debits_pending + amt > da.credits_posted THEN
    refused := 'exceeds_credits';
  END IF;
  IF refused IS NOT NULL THEN
    -- A transfer or hold already made with this id is answered as a replay, whatever the
    -- accounts hold now (an end of a hold had its replay check first).
    IF NOT ends_hold THEN
      RETURN coalesce(kith_ledger_replay(p_id, p_debit, p_credit, p_amount, p_code, p_phase, p_pending_id,
                                         p_metadata), refused);
    END IF;
    RETURN refused;
  END IF;

  INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, code, phase, pending_id,
                                timeout_at, metadata, org_id)
  VALUES (p_id, p_debit, p_credit, amt, p_code, p_phase, p_pending_id, p_timeout_at, p_metadata, p_org)
  ON CONFLICT DO NOTHING RETURNING ledger_transfers.id INTO inserted;
  IF inserted IS NULL THEN
    IF NOT ends_hold THEN  -- the same id, committed meanwhile: a replay
      RETURN kith_ledger_replay(p_id, p_debit, p_credit, p_amount, p_code, p_phase, p_pending_id,
                                p_metadata);
    END IF;
    -- the same id, or another end of the same hold, committed meanwhile: answered from the start
    RETURN kith_ledger_apply(p_id, p_debit, p_credit, p_amount, p_code, p_phase, p_pending_id, p_timeout_at,
                             p_metadata, p_org, p_owner_only);
  END IF;

  IF p_phase = 'single' THEN
    UPDATE ledger_accounts x
       SET debits_posted = x.debits_posted + CASE WHEN x.id = p_debit THEN amt ELSE 0 END,
           credits_posted = x.credits_posted + CASE WHEN x.id = p_credit THEN amt ELSE 0 END
     WHERE x.id IN (p_debit, p_credit);
  ELSIF p_phase = 'pending' THEN
    UPDATE ledger_accounts x
       SET debits_pending = x.debits_pending + CASE WHEN x.id = p_debit THEN amt ELSE 0 END,
           credits_pending = x.credits_pending + CASE WHEN x.id = p_credit THEN amt ELSE 0 END
     WHERE x.id IN (p_debit, p_credit);
  ELSIF p_phase = 'post' THEN
    UPDATE ledger_accounts x SET debits_pending = x.debits_pending - pend.amount,
                                 debits_posted = x.debits_posted + amt WHERE x.id = p_debit;
    UPDATE ledger_accounts x SET credits_pending = x.credits_pending - pend.amount,
                                 credits_posted = x.credits_posted + amt WHERE x.id = p_credit;
  ELSE
    UPDATE ledger_accounts x SET debits_pending = x.debits_pending - pend.amount WHERE x.id = p_debit;
    UPDATE ledger_accounts x SET credits_pending = x.credits_pending - pend.amount WHERE x.id = p_credit;
  END IF;
  RETURN 'created';
END $$"""


def _previous_apply() -> str:
    """kith_ledger_apply as the ledger's first revision made it (for the downgrade)."""
    path = Path(__file__).with_name("2026_11_23_1100_ledger.py")
    spec = importlib.util.spec_from_file_location("kith_migration_0005_ledger", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (statement,) = [s for s in module.TRANSFER_FUNCTION if "CREATE FUNCTION kith_ledger_apply(" in s]
    return statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    op.execute(REPLAY_FUNCTION)
    op.execute(f"GRANT EXECUTE ON FUNCTION kith_ledger_replay({_REPLAY_ARGS}) TO {APP_ROLE}")
    op.execute(APPLY_FUNCTION)


def downgrade() -> None:
    op.execute(_previous_apply())
    op.execute(f"DROP FUNCTION kith_ledger_replay({_REPLAY_ARGS})")
