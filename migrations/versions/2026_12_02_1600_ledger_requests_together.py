"""Concurrent ledger API requests made together: many kith_ledger_request calls in one statement.

Revision ID: 0013_ledger_requests_together
Revises: 0012_identity_fewer_keys
Create Date: 2026-12-02 16:00

``kith_ledger_requests`` takes the arguments of several ``kith_ledger_request`` calls as parallel
arrays and makes each of them, in order, exactly as that function does (its context, client check,
transfer, audit entry and answer), in one statement and so one transaction: one commit, one round
trip and one chain-head lock for all of them. Each request is answered on its own: a refusal is a
result, not an error, and does not touch the others. This is TigerBeetle's batching: under load the
cost of a transfer is mostly the transaction around it, not the rows it writes.

Deadlocks: every account any of the requests touches (the accounts of a hold being posted or
voided included, read from the hold, which never changes) is locked first, in id order, by one
statement, before the first request runs. So this transaction, like every other ledger transaction,
takes its account locks in id order and before anything else it writes, and it cannot deadlock with
them. Should anything still go wrong in it (a lock or statement timeout), the whole statement rolls
back and the caller makes each request alone (app/db/coalesce.py).
"""

from __future__ import annotations

from alembic import op

from app.db.rls import APP_ROLE

revision = "0013_ledger_requests_together"
down_revision = "0012_identity_fewer_keys"
branch_labels = None
depends_on = None

_ARGS = (
    "text[], boolean[], uuid[], text[], text[], uuid[], uuid[], uuid[], bigint[], text[], text[], uuid[], "
    "timestamptz[], text[]"
)

REQUESTS_FUNCTION = """CREATE FUNCTION kith_ledger_requests(
  p_client text[], p_platform boolean[], p_org uuid[], p_actor text[], p_request_id text[],
  p_id uuid[], p_debit uuid[], p_credit uuid[], p_amount bigint[], p_code text[], p_phase text[],
  p_pending_id uuid[], p_timeout_at timestamptz[], p_metadata text[])
RETURNS TABLE (ord integer, result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint,
               code text, phase text, pending_id uuid, timeout_at timestamptz, metadata jsonb,
               created_at timestamptz, status text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  i integer;
BEGIN
  -- Every account any request touches, locked in id order before the first request runs (the
  -- platform scope: a transfer touches two owners' accounts; each request then opens its own).
  PERFORM set_config('kith.platform', 'on', true);
  PERFORM 1 FROM ledger_accounts a
    WHERE a.id IN (SELECT unnest(p_debit) UNION SELECT unnest(p_credit)
                   UNION SELECT t.debit_account_id FROM ledger_transfers t WHERE t.id = ANY (p_pending_id)
                   UNION SELECT t.credit_account_id FROM ledger_transfers t WHERE t.id = ANY (p_pending_id))
    ORDER BY a.id FOR UPDATE;
  FOR i IN 1 .. coalesce(array_length(p_id, 1), 0) LOOP
    RETURN QUERY SELECT i, r.*
      FROM kith_ledger_request(p_client[i], p_platform[i], p_org[i], p_actor[i], p_request_id[i], p_id[i],
                               p_debit[i], p_credit[i], p_amount[i], p_code[i], p_phase[i], p_pending_id[i],
                               p_timeout_at[i], p_metadata[i]::jsonb) r;
  END LOOP;
END $$"""


def upgrade() -> None:
    op.execute(REQUESTS_FUNCTION)
    op.execute(f"GRANT EXECUTE ON FUNCTION kith_ledger_requests({_ARGS}) TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION kith_ledger_requests({_ARGS})")
