"""The ledger's statements planned small again: wallets' consent asked once a statement, holds by key.

Revision ID: 2026_12_07_ledger_speed
Revises: 2026_12_07_timeline_read
Create Date: 2026-12-07 12:50

Every statement that reads ``ledger_accounts`` — and every one that reads ``ledger_transfers``,
whose policy reads the accounts — carries the accounts' policies, the consent policy on wallets
among them. Since the consented_read revision that policy held the consent rule inlined: an
``EXISTS`` over ``kith_active_grants``, that is a join of people, org_people and consent_grants,
each with row-level security of its own (people's an ``EXISTS`` over org_people again). Nothing of
it runs in the ledger's platform scope (the accounts' own policy admits every row first), but all
of it is planned, initialised and costed in each of the half dozen statements of every transfer:
planning one of them went from 0.1–0.3 ms to 1.0–3.3 ms, and the statements of a transfer took
1.4–1.5 ms instead of 1.0 ms.

And in ``kith_ledger_requests`` the statement that locks every account of the batch found the
holds being ended by joining ``ledger_transfers`` to the keys computed from the unnested requests.
That join clause calls functions that are not leakproof (``kith_transfer_key``: sha256, encode),
so row-level security may not use it below the table's policy as an index condition: the
transfers could only be scanned, each row costed with the visibility policy (and through it the
wallets' consent policy), an estimate that grew with the ledger — 0.41 million at 3,000
transfers, 3.4 million at 35,000. Two ways this made every batch slow, growing with the ledger:

- with JIT on (PostgreSQL's default; the bench's direct connections), past ``jit_above_cost`` and
  then the inlining and optimisation thresholds, some 300 functions were compiled for every batch
  before anything was locked: about 0.2 s a statement at 3,000 transfers, 1.2–1.6 s at 35,000;
- with JIT off (the service's connections), after five calls the function's plan cache kept the
  generic plan, a nested-loop semi join over every transfer computing the key of each (transfer,
  request) pair: 1.2 million keys in each of its two arms, 0.38 s a statement at 38,000 transfers.

(The scan is older than the consent policy, whose costs only brought it over the thresholds
sooner: with the policy as it was before, 0.65 million at 35,000 transfers, 0.7 s of JIT a
statement; its generic plan was a hash join.) The statement now costs 125–430 (custom and generic
plans) whatever the ledger holds, and runs in about 1.5 ms.

Now:

- ``ledger_accounts_via_consent`` asks, after the person being read (``kith_read_admits``), for
  ``kith_grants_admit(categories)``: the ids of every person whose active grants to the caller for
  the purpose cover the categories, by the same one rule (``kith_active_grants``), once a statement
  (an InitPlan, computed only when a wallet row reaches it). That is what PostgreSQL already did
  with the inlined ``EXISTS`` (a hashed subplan of the same set, built once a statement), so a
  wallet is admitted exactly when it was before, under the same context and the same snapshot (a
  stable function, run as the caller, row-level security applying inside it as it did inlined);
  only the planner no longer sees the join. The other consent policies, whose reads gain from the
  rule inlined, are as they were.
- ``kith_ledger_requests`` computes the holds' stored ids first, as a value, and finds them by the
  transfers' primary key; the same accounts are then locked, in id order, in one statement.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_ledger_speed"
down_revision = "2026_12_07_timeline_read"
branch_labels = None
depends_on = None

GRANTS_ADMIT = r"""
CREATE FUNCTION public.kith_grants_admit(p_categories text[]) RETURNS uuid[]
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public, pg_temp
    AS $$
BEGIN
  -- The ids of every person whose active grants to the caller for the purpose cover any of the
  -- categories: by the one rule, kith_active_grants, as the caller (row-level security applying).
  -- A policy asks it once a statement, (SELECT kith_grants_admit(...)), and tests membership.
  RETURN (SELECT coalesce(array_agg(a.person_id), '{}')
            FROM public.kith_active_grants(public.kith_current_org(), public.kith_current_purpose()) AS a
           WHERE a.categories && p_categories);
END $$
"""

_WALLET = "(((kind)::text = 'wallet'::text) AND (public.kith_current_purpose() IS NOT NULL) AND "
_READ_PERSON = (
    "(ledger_accounts.person_id = ANY ((SELECT public.kith_read_admits(ARRAY['rewards'::text]))::uuid[]))"
)
WALLETS_POLICY = (
    f"ALTER POLICY ledger_accounts_via_consent ON public.ledger_accounts USING ({_WALLET}({_READ_PERSON} OR "
    "(ledger_accounts.person_id = ANY ((SELECT public.kith_grants_admit(ARRAY['rewards'::text]))::uuid[])))))"
)
# As the timeline_read revision left it.
WALLETS_POLICY_BEFORE = (
    f"ALTER POLICY ledger_accounts_via_consent ON public.ledger_accounts USING ({_WALLET}({_READ_PERSON} OR "
    "EXISTS (SELECT 1 FROM public.kith_active_grants(public.kith_current_org(), public.kith_current_purpose()) a "
    "WHERE a.person_id = ledger_accounts.person_id AND a.categories && ARRAY['rewards'::text]))))"
)

_REQUESTS_SIGNATURE = r"""public.kith_ledger_requests(p_key bytea, p_client text[], p_platform boolean[], p_org uuid[], p_actor text[], p_request_id text[], p_id uuid[], p_debit uuid[], p_credit uuid[], p_amount bigint[], p_code text[], p_phase text[], p_pending_id uuid[], p_timeout_at timestamp with time zone[], p_metadata text[]) RETURNS TABLE(ord integer, result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp"""

_REQUESTS_LOOP = r"""
  FOR i IN 1 .. coalesce(array_length(p_id, 1), 0) LOOP
    RETURN QUERY SELECT i, r.*
      FROM kith_ledger_request(p_key, p_client[i], p_platform[i], p_org[i], p_actor[i], p_request_id[i], p_id[i],
                               p_debit[i], p_credit[i], p_amount[i], p_code[i], p_phase[i], p_pending_id[i],
                               p_timeout_at[i], p_metadata[i]::jsonb) r;
  END LOOP;
END $$
"""

REQUESTS = (
    f"CREATE OR REPLACE FUNCTION {_REQUESTS_SIGNATURE}\n"
    r"""    AS $$
#variable_conflict use_column
DECLARE
  i integer;
  holds uuid[];
BEGIN
  -- Every account any request touches, locked in id order before the first request runs (the
  -- platform scope: a transfer touches two owners' accounts; each request then opens its own).
  -- Accounts and holds are named in each organisation's own ids, as kith_ledger_apply reads them.
  PERFORM kith_platform_on(p_key);
  -- The holds' stored ids first, as a value, so that they are found by the transfers' primary key:
  -- computed inside the locking statement, the key is a join clause row-level security may not use
  -- below the transfers' policy (its functions are not leakproof), and every transfer was scanned.
  holds := ARRAY(SELECT kith_transfer_key(u.o, u.p) FROM unnest(p_org, p_pending_id) AS u(o, p)
                  WHERE u.p IS NOT NULL);
  PERFORM 1 FROM ledger_accounts a
    WHERE a.id IN (SELECT kith_account_of(u.o, u.d) FROM unnest(p_org, p_debit) AS u(o, d)
                   UNION SELECT kith_account_of(u.o, u.c) FROM unnest(p_org, p_credit) AS u(o, c)
                   UNION SELECT t.debit_account_id FROM ledger_transfers t WHERE t.id = ANY (holds)
                   UNION SELECT t.credit_account_id FROM ledger_transfers t WHERE t.id = ANY (holds))
    ORDER BY a.id FOR UPDATE;"""
    f"{_REQUESTS_LOOP}"
)
# As the context_keyed revision made it (and no_temp_objects pinned its search path).
REQUESTS_BEFORE = (
    f"CREATE OR REPLACE FUNCTION {_REQUESTS_SIGNATURE}\n"
    r"""    AS $$
#variable_conflict use_column
DECLARE
  i integer;
BEGIN
  -- Every account any request touches, locked in id order before the first request runs (the
  -- platform scope: a transfer touches two owners' accounts; each request then opens its own).
  -- Accounts and holds are named in each organisation's own ids, as kith_ledger_apply reads them.
  PERFORM kith_platform_on(p_key);
  PERFORM 1 FROM ledger_accounts a
    WHERE a.id IN (SELECT kith_account_of(u.o, u.d) FROM unnest(p_org, p_debit) AS u(o, d)
                   UNION SELECT kith_account_of(u.o, u.c) FROM unnest(p_org, p_credit) AS u(o, c)
                   UNION SELECT t.debit_account_id FROM ledger_transfers t
                          WHERE t.id IN (SELECT kith_transfer_key(u.o, u.p) FROM unnest(p_org, p_pending_id) AS u(o, p))
                   UNION SELECT t.credit_account_id FROM ledger_transfers t
                          WHERE t.id IN (SELECT kith_transfer_key(u.o, u.p) FROM unnest(p_org, p_pending_id) AS u(o, p)))
    ORDER BY a.id FOR UPDATE;"""
    f"{_REQUESTS_LOOP}"
)


def upgrade() -> None:
    for statement in [
        GRANTS_ADMIT,
        "REVOKE ALL ON FUNCTION public.kith_grants_admit(text[]) FROM PUBLIC",
        "GRANT EXECUTE ON FUNCTION public.kith_grants_admit(text[]) TO kith_app",
        WALLETS_POLICY,
        REQUESTS,
    ]:
        op.execute(statement)


def downgrade() -> None:
    for statement in [
        REQUESTS_BEFORE,
        WALLETS_POLICY_BEFORE,
        "DROP FUNCTION public.kith_grants_admit(text[])",
    ]:
        op.execute(statement)
