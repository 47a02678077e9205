"""One audit writer: ``kith_audit_append``, which the service and the ledger's SQL both call.

Revision ID: 2026_12_07_one_audit_writer
Revises: 2026_12_07_ledger_speed
Create Date: 2026-12-07 13:00

The service's audit writer (``app/audit/service.py``) and ``kith_ledger_request`` (which
``kith_ledger_requests`` calls for each request it makes) each carried their own
``INSERT INTO audit_log``. Now both call ``kith_audit_append(org, actor, action, subject_type,
subject_id, detail, request_id)``, the one statement that appends an entry; the chain, sequence and
hashes are still the trigger's (``kith_audit_chain``). It runs as its caller (row-level security
holds an organisation to its own entries, as before) and is kith_app's alone to call.

``kith_ledger_request`` is otherwise as the context_keyed revision made it, its path pinned as the
no_temp_objects revision pinned it. The downgrade puts that definition back and drops the function.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_one_audit_writer"
down_revision = "2026_12_07_ledger_speed"
branch_labels = None
depends_on = None

APPEND_ARGS = "uuid, text, text, text, text, jsonb, text"

APPEND = r"""
CREATE FUNCTION public.kith_audit_append(p_org uuid, p_actor text, p_action text, p_subject_type text, p_subject_id text, p_detail jsonb, p_request_id text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  -- The one statement that appends to the audit trail. Its chain, sequence and hashes are set by
  -- the trigger (kith_audit_chain), which takes the chain head's lock: callers append last in
  -- their transaction, so the lock is held only until the commit.
  INSERT INTO audit_log (chain, seq, prev_hash, hash, org_id, actor, action, subject_type, subject_id, detail,
                         request_id)
  VALUES (0, 0, ''::bytea, ''::bytea, p_org, p_actor, p_action, p_subject_type, p_subject_id, p_detail,
          p_request_id);
END $$
"""

# kith_ledger_request as the context_keyed revision made it.
REQUEST_BEFORE = r"""
CREATE OR REPLACE FUNCTION public.kith_ledger_request(p_key bytea, p_client text, p_platform boolean, p_org uuid, p_actor text, p_request_id text, p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb) RETURNS TABLE(result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
  outcome text;
BEGIN
  -- One API request's transfer, called as a statement of its own (its transaction): the caller's
  -- context first, exactly as every request's transaction opens (kith_begin).
  IF NOT kith_begin(p_org, p_platform, p_client, p_key) THEN
    result := 'client_disabled';
    RETURN NEXT;
    RETURN;
  END IF;
  -- As kith_ledger_transfer: the transfer touches two owners' accounts, so it runs in the platform
  -- scope, and p_org may debit only its own accounts and end only holds it made.
  PERFORM kith_platform_on(p_key);
  outcome := kith_ledger_apply(p_id, p_debit, p_credit, p_amount, p_code, p_phase, p_pending_id, p_timeout_at,
                               p_metadata, p_org, true);
  IF outcome = 'created' THEN
    INSERT INTO audit_log (chain, seq, prev_hash, hash, org_id, actor, action, subject_type, subject_id, detail,
                           request_id)
    SELECT 0, 0, ''::bytea, ''::bytea, p_org, p_actor, 'ledger.' || p_phase, 'ledger_transfer', p_id::text,
           jsonb_build_object('code', t.code, 'amount', t.amount), p_request_id
      FROM ledger_transfers t WHERE t.id = kith_transfer_key(p_org, p_id);
  END IF;
  IF outcome = 'created' AND p_phase = 'single' AND NOT coalesce(p_platform, false) THEN
    -- What was just written, as kith_ledger_view would show it to p_org (a single transfer is
    -- posted at once; created_at is the transaction's now(), the column's default; the accounts
    -- are named as p_org named them, which is how it is shown them): not reading it back saves a
    -- planned query per call, a sixth of the statement's time.
    result := outcome; id := p_id; debit_account_id := p_debit; credit_account_id := p_credit;
    amount := p_amount; code := p_code; phase := p_phase; pending_id := p_pending_id;
    timeout_at := p_timeout_at; metadata := p_metadata; created_at := now(); status := 'posted';
    RETURN NEXT;
  ELSE
    RETURN QUERY SELECT outcome, v.* FROM kith_ledger_view(kith_transfer_key(p_org, p_id), p_org, p_platform, p_key) v;
    IF NOT FOUND THEN
      result := outcome;
      RETURN NEXT;
    END IF;
  END IF;
  PERFORM kith_platform_restore(CASE WHEN p_platform THEN 'on' ELSE '' END);
END $$
"""

_INSERT_BEFORE = r"""    INSERT INTO audit_log (chain, seq, prev_hash, hash, org_id, actor, action, subject_type, subject_id, detail,
                           request_id)
    SELECT 0, 0, ''::bytea, ''::bytea, p_org, p_actor, 'ledger.' || p_phase, 'ledger_transfer', p_id::text,
           jsonb_build_object('code', t.code, 'amount', t.amount), p_request_id
      FROM ledger_transfers t WHERE t.id = kith_transfer_key(p_org, p_id);
"""

_APPEND_CALL = r"""    PERFORM kith_audit_append(p_org, p_actor, 'ledger.' || p_phase, 'ledger_transfer', p_id::text,
                              jsonb_build_object('code', t.code, 'amount', t.amount), p_request_id)
      FROM ledger_transfers t WHERE t.id = kith_transfer_key(p_org, p_id);
"""

assert REQUEST_BEFORE.count(_INSERT_BEFORE) == 1
# The same function, its audit entry appended by the one writer.
REQUEST = REQUEST_BEFORE.replace(_INSERT_BEFORE, _APPEND_CALL)

REQUEST_SIGNATURE = (
    "kith_ledger_request(bytea, text, boolean, uuid, text, text, uuid, uuid, uuid, bigint, text, text, uuid, "
    "timestamp with time zone, jsonb)"
)
APPEND_SIGNATURE = f"kith_audit_append({APPEND_ARGS})"


def _pin(signature: str) -> None:
    # plpgsql functions run with a pinned search path (no_temp_objects revision); CREATE OR REPLACE
    # resets a replaced function's settings, so it is pinned again.
    op.execute(f"ALTER FUNCTION public.{signature} SET search_path = pg_catalog, public, pg_temp")


def upgrade() -> None:
    op.execute(APPEND)
    _pin(APPEND_SIGNATURE)
    op.execute(f"REVOKE ALL ON FUNCTION public.{APPEND_SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION public.{APPEND_SIGNATURE} TO kith_app")
    op.execute(REQUEST)
    _pin(REQUEST_SIGNATURE)


def downgrade() -> None:
    op.execute(REQUEST_BEFORE)
    _pin(REQUEST_SIGNATURE)
    op.execute(f"DROP FUNCTION public.{APPEND_SIGNATURE}")
