"""The ledger API's single transfers in one statement: context, transfer and audit in one call.

Revision ID: 0008_ledger_one_statement
Revises: 0007_indicators
Create Date: 2026-11-27 11:00

``POST /v1/ledger/transfers`` (and posting or voiding a hold) is the busiest write there is, and
all of its work is database work: open the caller's organisation context and check its client is
still enabled (``kith_begin``), make the transfer (``kith_ledger_apply``, owner-only), append the
audit entry, and answer with the transfer. ``kith_ledger_request`` does all of it in one statement,
which runs as its own transaction: one round trip instead of five (BEGIN, context, transfer, audit,
COMMIT), and the accounts' row locks are held for less time. The audit entry is still the last
write before the commit, as everywhere (see app/audit/service.py).
"""

from __future__ import annotations

from alembic import op

from app.db.rls import APP_ROLE

revision = "0008_ledger_one_statement"
down_revision = "0007_indicators"
branch_labels = None
depends_on = None

_ARGS = "text, boolean, uuid, text, text, uuid, uuid, uuid, bigint, text, text, uuid, timestamptz, jsonb"

REQUEST_FUNCTION = """CREATE FUNCTION kith_ledger_request(
  p_client text, p_platform boolean, p_org uuid, p_actor text, p_request_id text,
  p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid,
  p_timeout_at timestamptz, p_metadata jsonb)
RETURNS TABLE (result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text,
               phase text, pending_id uuid, timeout_at timestamptz, metadata jsonb, created_at timestamptz,
               status text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  outcome text;
BEGIN
  -- One API request's transfer, called as a statement of its own (its transaction): the caller's
  -- context first, exactly as every request's transaction opens (kith_begin).
  IF NOT kith_begin(p_org, p_platform, p_client) THEN
    result := 'client_disabled';
    RETURN NEXT;
    RETURN;
  END IF;
  -- As kith_ledger_transfer: the transfer touches two owners' accounts, so it runs in the platform
  -- scope, and p_org may debit only its own accounts and end only holds it made.
  PERFORM set_config('kith.platform', 'on', true);
  outcome := kith_ledger_apply(p_id, p_debit, p_credit, p_amount, p_code, p_phase, p_pending_id, p_timeout_at,
                               p_metadata, p_org, true);
  IF outcome = 'created' THEN
    INSERT INTO audit_log (chain, seq, prev_hash, hash, org_id, actor, action, subject_type, subject_id, detail,
                           request_id)
    SELECT 0, 0, ''::bytea, ''::bytea, p_org, p_actor, 'ledger.' || p_phase, 'ledger_transfer', p_id::text,
           jsonb_build_object('code', t.code, 'amount', t.amount), p_request_id
      FROM ledger_transfers t WHERE t.id = p_id;
  END IF;
  IF outcome = 'created' AND p_phase = 'single' THEN
    -- What was just written, as kith_ledger_view would show it (a single transfer is posted at
    -- once; created_at is the transaction's now(), the column's default): not reading it back
    -- saves a planned query per call, a sixth of the statement's time.
    result := outcome; id := p_id; debit_account_id := p_debit; credit_account_id := p_credit;
    amount := p_amount; code := p_code; phase := p_phase; pending_id := p_pending_id;
    timeout_at := p_timeout_at; metadata := p_metadata; created_at := now(); status := 'posted';
    RETURN NEXT;
  ELSE
    RETURN QUERY SELECT outcome, v.* FROM kith_ledger_view(p_id) v;
    IF NOT FOUND THEN
      result := outcome;
      RETURN NEXT;
    END IF;
  END IF;
  PERFORM set_config('kith.platform', CASE WHEN p_platform THEN 'on' ELSE '' END, true);
END $$"""


def upgrade() -> None:
    op.execute(REQUEST_FUNCTION)
    op.execute(f"GRANT EXECUTE ON FUNCTION kith_ledger_request({_ARGS}) TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION kith_ledger_request({_ARGS})")
