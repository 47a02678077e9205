"""The ledger in organisation-scoped ids.

Revision ID: 2026_12_06_ledger_org_scoped
Revises: 2026_12_06_cross_org_privacy
Create Date: 2026-12-06 12:00

Organisations are partners, not the platform: no id an organisation is handed may let it correlate
a resident with another organisation, nor reach another organisation's transfers.

- Transfer ids are each organisation's own. ``ledger_transfers.ref`` keeps the id the organisation
  chose; the stored id is ``kith_transfer_key(org, ref)``, so the same id from two organisations
  names two transfers, and a replay or a conflict is only ever with the organisation's own. A
  transfer another made is shown under an alias derived from the stored id (``kith_transfer_alias``).
  Existing transfers are re-keyed in place (their ``ref`` is the id they had).
- Account ids: an organisation sees its own accounts and every pool (a pool's id is how others fund
  it) as they are, and any other account (a resident's wallet, another organisation's operating
  account, the platform's) under an alias of its own, kept in ``ledger_account_aliases`` as person
  ids are kept in ``org_people``. It may name only what it was shown.
- The low-level API cannot credit a resident's wallet (``credit_not_allowed``): credits reach one
  by earning, under the resident's consent.
- Operating accounts may not go below zero unless the platform lets one: existing ones that are
  not overdrawn are flagged (an overdrawn one stays as it is, as if the platform had let it).
- Residents' one-time spend codes (``spend_codes``): spending needs the card or a code the
  resident received, kept only as a keyed hash, valid ten minutes, used once.
- Mail to residents about what happened (``resident_mail``), queued with the change and sent by the
  worker: every spend of their credits is told to them.

Card codes change form (ten characters of Crockford base32, kept as a keyed hash) with no change to
``reward_cards``: cards issued before keep their tokens and SHA-256 hashes, and keep working.

Downgrading puts back the functions as they were; it fails if two organisations have used the same
transfer id since (their transfers cannot share one id again).
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_06_ledger_org_scoped"
down_revision = "2026_12_06_cross_org_privacy"
branch_labels = None
depends_on = None

# Transfer ids: each organisation's own.
TRANSFER_KEY = r"""
CREATE FUNCTION public.kith_transfer_key(p_org uuid, p_ref uuid) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  -- The stored id of the transfer organisation p_org calls p_ref: its ids are its own, so the same
  -- id chosen by two organisations names two transfers. Transfers Kith itself makes (no
  -- organisation) are stored under the id they were made with.
  SELECT CASE WHEN p_org IS NULL THEN p_ref
              ELSE encode(substr(sha256(uuid_send(p_org) || uuid_send(p_ref)), 1, 16), 'hex')::uuid END $$
"""

TRANSFER_ALIAS = r"""
CREATE FUNCTION public.kith_transfer_alias(p_viewer uuid, p_id uuid) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  -- The id organisation p_viewer is shown for a transfer another made: its own, derived from the
  -- stored id (which no organisation sees), so two organisations shown one transfer cannot match
  -- their ids for it.
  SELECT encode(substr(sha256(uuid_send(p_viewer) || uuid_send(p_id) || '\x01'::bytea), 1, 16), 'hex')::uuid $$
"""

TRANSFER_SHOWN = r"""
CREATE FUNCTION public.kith_transfer_shown(p_id uuid, p_org uuid, p_ref uuid, p_viewer uuid, p_platform boolean)
    RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  -- A transfer's id as p_viewer is shown it: the id it chose, if it made the transfer; the stored
  -- id, to the platform; else an alias of its own.
  SELECT CASE WHEN p_id IS NULL THEN NULL
              WHEN p_org IS NOT DISTINCT FROM p_viewer THEN p_ref
              WHEN p_platform OR p_viewer IS NULL THEN p_id
              ELSE kith_transfer_alias(p_viewer, p_id) END $$
"""

# Account ids: an organisation's own accounts and every pool under their ids, everything else under
# an alias of the organisation's.
ALIASES_TABLE = r"""
CREATE TABLE public.ledger_account_aliases (
    alias_id uuid NOT NULL,
    org_id uuid NOT NULL,
    account_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_ledger_account_aliases PRIMARY KEY (alias_id),
    CONSTRAINT uq_ledger_account_aliases_org_id UNIQUE (org_id, account_id),
    CONSTRAINT fk_ledger_account_aliases_org_id_organisations FOREIGN KEY (org_id)
        REFERENCES public.organisations(id),
    CONSTRAINT fk_ledger_account_aliases_account_id_ledger_accounts FOREIGN KEY (account_id)
        REFERENCES public.ledger_accounts(id)
)
"""

ACCOUNT_SHOWN = r"""
CREATE FUNCTION public.kith_account_shown(p_viewer uuid, p_platform boolean, p_account uuid) RETURNS uuid
    LANGUAGE plpgsql
    AS $$
DECLARE
  acc ledger_accounts%ROWTYPE;
  shown uuid;
BEGIN
  -- An account's id as organisation p_viewer is shown it: its own accounts and pools (a pool's id
  -- is how others fund it) as they are; any other account — a resident's wallet, another
  -- organisation's operating account, the platform's — under an alias of p_viewer's, made the
  -- first time it is shown, as an organisation's person ids are. The platform sees ids as they
  -- are. The caller is in the platform scope (it reads and writes others' rows).
  IF p_account IS NULL OR p_viewer IS NULL OR p_platform THEN
    RETURN p_account;
  END IF;
  SELECT * INTO acc FROM ledger_accounts x WHERE x.id = p_account;
  IF acc.org_id = p_viewer OR acc.kind = 'pool' THEN
    RETURN p_account;
  END IF;
  SELECT a.alias_id INTO shown FROM ledger_account_aliases a WHERE a.org_id = p_viewer AND a.account_id = p_account;
  IF shown IS NULL THEN
    INSERT INTO ledger_account_aliases (alias_id, org_id, account_id) VALUES (gen_random_uuid(), p_viewer, p_account)
    ON CONFLICT (org_id, account_id) DO NOTHING RETURNING alias_id INTO shown;
    IF shown IS NULL THEN  -- made meanwhile by another transaction
      SELECT a.alias_id INTO shown FROM ledger_account_aliases a
       WHERE a.org_id = p_viewer AND a.account_id = p_account;
    END IF;
  END IF;
  RETURN shown;
END $$
"""

ACCOUNT_OF = r"""
CREATE FUNCTION public.kith_account_of(p_org uuid, p_id uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  found uuid;
BEGIN
  -- The account organisation p_org means by p_id: one of its own, a pool, or an organisation's or
  -- resident's account it was shown under its alias p_id. NULL: none (another organisation's
  -- alias, a real id it was never shown, a platform account). The caller is in the platform scope.
  -- (PL/pgSQL, not SQL: its plans are kept for the session, and this runs twice per transfer.)
  SELECT x.id INTO found FROM ledger_accounts x WHERE x.id = p_id AND (x.org_id = p_org OR x.kind = 'pool');
  IF found IS NULL THEN
    SELECT a.account_id INTO found FROM ledger_account_aliases a JOIN ledger_accounts x ON x.id = a.account_id
     WHERE a.alias_id = p_id AND a.org_id = p_org AND x.owner_kind <> 'platform';
  END IF;
  RETURN found;
END $$
"""

VIEW = r"""
CREATE FUNCTION public.kith_ledger_view(p_id uuid, p_viewer uuid, p_platform boolean) RETURNS TABLE(id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
  previous text := kith_platform_on();
BEGIN
  -- The transfer stored as p_id, as organisation p_viewer is shown it (its ids and its accounts'
  -- ids in p_viewer's terms), with a hold's status derived in one place.
  RETURN QUERY
  SELECT kith_transfer_shown(t.id, t.org_id, t.ref, p_viewer, p_platform),
         kith_account_shown(p_viewer, p_platform, t.debit_account_id),
         kith_account_shown(p_viewer, p_platform, t.credit_account_id),
         t.amount, t.code::text, t.phase::text,
         kith_transfer_shown(h.id, h.org_id, h.ref, p_viewer, p_platform),
         t.timeout_at, t.metadata, t.created_at,
         CASE WHEN t.phase <> 'pending' THEN 'posted' WHEN r.phase = 'post' THEN 'posted'
              WHEN r.phase = 'void' THEN 'voided' WHEN t.timeout_at IS NOT NULL AND t.timeout_at <= now() THEN 'expired'
              ELSE 'pending' END
    FROM ledger_transfers t
    LEFT JOIN ledger_transfers r ON r.pending_id = t.id
    LEFT JOIN ledger_transfers h ON h.id = t.pending_id
   WHERE t.id = p_id;
  PERFORM set_config('kith.platform', previous, true);
END $$
"""

APPLY = r"""
CREATE OR REPLACE FUNCTION public.kith_ledger_apply(p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb, p_org uuid, p_owner_only boolean) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
  pend ledger_transfers%ROWTYPE;
  da ledger_accounts%ROWTYPE;
  ca ledger_accounts%ROWTYPE;
  acc ledger_accounts%ROWTYPE;
  amt bigint := p_amount;
  ends_hold boolean := p_phase IN ('post', 'void');
  -- p_id and p_pending_id are p_org's own ids: stored under its key (kith_transfer_key).
  tid uuid := kith_transfer_key(p_org, p_id);
  hold uuid := kith_transfer_key(p_org, p_pending_id);
  refused text;
  inserted uuid;
BEGIN
  IF ends_hold THEN
    refused := kith_ledger_replay(tid, p_debit, p_credit, p_amount, p_code, p_phase, hold, p_metadata);
    IF refused IS NOT NULL THEN
      RETURN refused;
    END IF;
    SELECT * INTO pend FROM ledger_transfers x WHERE x.id = hold;
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
  ELSIF p_owner_only THEN
    -- An organisation names accounts as it is shown them (kith_account_shown).
    p_debit := kith_account_of(p_org, p_debit);
    p_credit := kith_account_of(p_org, p_credit);
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
    IF EXISTS (SELECT 1 FROM ledger_transfers x WHERE x.pending_id = hold) THEN
      refused := 'pending_transfer_already_resolved';
    ELSIF p_phase = 'post' AND pend.timeout_at IS NOT NULL AND pend.timeout_at <= now() THEN
      refused := 'pending_transfer_expired';
    END IF;
  ELSIF p_owner_only AND da.org_id IS DISTINCT FROM p_org THEN
    refused := 'debit_not_allowed';
  ELSIF p_owner_only AND ca.kind = 'wallet' THEN
    -- Credits reach a resident's wallet only by earning (rewards, under the resident's consent).
    refused := 'credit_not_allowed';
  ELSIF da.closed_at IS NOT NULL OR ca.closed_at IS NOT NULL THEN
    refused := 'account_closed';
  ELSIF da.debits_must_not_exceed_credits AND da.debits_posted + da.debits_pending + amt > da.credits_posted THEN
    refused := 'exceeds_credits';
  END IF;
  IF refused IS NOT NULL THEN
    -- A transfer or hold already made with this id is answered as a replay, whatever the
    -- accounts hold now (an end of a hold had its replay check first).
    IF NOT ends_hold THEN
      RETURN coalesce(kith_ledger_replay(tid, p_debit, p_credit, p_amount, p_code, p_phase, hold, p_metadata),
                      refused);
    END IF;
    RETURN refused;
  END IF;

  INSERT INTO ledger_transfers (id, ref, debit_account_id, credit_account_id, amount, code, phase, pending_id,
                                timeout_at, metadata, org_id)
  VALUES (tid, p_id, p_debit, p_credit, amt, p_code, p_phase, hold, p_timeout_at, p_metadata, p_org)
  ON CONFLICT DO NOTHING RETURNING ledger_transfers.id INTO inserted;
  IF inserted IS NULL THEN
    IF NOT ends_hold THEN  -- the same id, committed meanwhile: a replay
      RETURN kith_ledger_replay(tid, p_debit, p_credit, p_amount, p_code, p_phase, hold, p_metadata);
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
END $$
"""

REQUEST = r"""
CREATE OR REPLACE FUNCTION public.kith_ledger_request(p_client text, p_platform boolean, p_org uuid, p_actor text, p_request_id text, p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb) RETURNS TABLE(result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    AS $$
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
    RETURN QUERY SELECT outcome, v.* FROM kith_ledger_view(kith_transfer_key(p_org, p_id), p_org, p_platform) v;
    IF NOT FOUND THEN
      result := outcome;
      RETURN NEXT;
    END IF;
  END IF;
  PERFORM set_config('kith.platform', CASE WHEN p_platform THEN 'on' ELSE '' END, true);
END $$
"""

REQUESTS = r"""
CREATE OR REPLACE FUNCTION public.kith_ledger_requests(p_client text[], p_platform boolean[], p_org uuid[], p_actor text[], p_request_id text[], p_id uuid[], p_debit uuid[], p_credit uuid[], p_amount bigint[], p_code text[], p_phase text[], p_pending_id uuid[], p_timeout_at timestamp with time zone[], p_metadata text[]) RETURNS TABLE(ord integer, result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
  i integer;
BEGIN
  -- Every account any request touches, locked in id order before the first request runs (the
  -- platform scope: a transfer touches two owners' accounts; each request then opens its own).
  -- Accounts and holds are named in each organisation's own ids, as kith_ledger_apply reads them.
  PERFORM set_config('kith.platform', 'on', true);
  PERFORM 1 FROM ledger_accounts a
    WHERE a.id IN (SELECT kith_account_of(u.o, u.d) FROM unnest(p_org, p_debit) AS u(o, d)
                   UNION SELECT kith_account_of(u.o, u.c) FROM unnest(p_org, p_credit) AS u(o, c)
                   UNION SELECT t.debit_account_id FROM ledger_transfers t
                          WHERE t.id IN (SELECT kith_transfer_key(u.o, u.p) FROM unnest(p_org, p_pending_id) AS u(o, p))
                   UNION SELECT t.credit_account_id FROM ledger_transfers t
                          WHERE t.id IN (SELECT kith_transfer_key(u.o, u.p) FROM unnest(p_org, p_pending_id) AS u(o, p)))
    ORDER BY a.id FOR UPDATE;
  FOR i IN 1 .. coalesce(array_length(p_id, 1), 0) LOOP
    RETURN QUERY SELECT i, r.*
      FROM kith_ledger_request(p_client[i], p_platform[i], p_org[i], p_actor[i], p_request_id[i], p_id[i],
                               p_debit[i], p_credit[i], p_amount[i], p_code[i], p_phase[i], p_pending_id[i],
                               p_timeout_at[i], p_metadata[i]::jsonb) r;
  END LOOP;
END $$
"""

TRANSFER = r"""
CREATE FUNCTION public.kith_ledger_transfer(p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb, p_org uuid, p_owner_only boolean DEFAULT false, p_platform boolean DEFAULT false) RETURNS TABLE(result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    AS $$
DECLARE
  previous text := coalesce(current_setting('kith.platform', true), '');
  outcome text;
BEGIN
  -- A transfer touches two owners' accounts: the function works in the platform scope and restores
  -- the caller's afterwards. p_owner_only: the caller (p_org) may debit only its own accounts, and
  -- end only holds it made. The transfer is answered as p_org is shown it (p_platform: as it is).
  PERFORM set_config('kith.platform', 'on', true);
  outcome := kith_ledger_apply(p_id, p_debit, p_credit, p_amount, p_code, p_phase, p_pending_id, p_timeout_at,
                               p_metadata, p_org, p_owner_only);
  RETURN QUERY SELECT outcome, v.* FROM kith_ledger_view(kith_transfer_key(p_org, p_id), p_org, p_platform) v
    UNION ALL SELECT outcome, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    WHERE NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = kith_transfer_key(p_org, p_id));
  PERFORM set_config('kith.platform', previous, true);
END $$
"""

# The functions as the baseline made them, for the downgrade.
OLD_APPLY = r"""
CREATE FUNCTION public.kith_ledger_apply(p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb, p_org uuid, p_owner_only boolean) RETURNS text
    LANGUAGE plpgsql
    AS $$
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
END $$
"""

OLD_REQUEST = r"""
CREATE FUNCTION public.kith_ledger_request(p_client text, p_platform boolean, p_org uuid, p_actor text, p_request_id text, p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb) RETURNS TABLE(result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    AS $$
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
END $$
"""

OLD_REQUESTS = r"""
CREATE FUNCTION public.kith_ledger_requests(p_client text[], p_platform boolean[], p_org uuid[], p_actor text[], p_request_id text[], p_id uuid[], p_debit uuid[], p_credit uuid[], p_amount bigint[], p_code text[], p_phase text[], p_pending_id uuid[], p_timeout_at timestamp with time zone[], p_metadata text[]) RETURNS TABLE(ord integer, result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    AS $$
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
END $$
"""

OLD_TRANSFER = r"""
CREATE FUNCTION public.kith_ledger_transfer(p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb, p_org uuid, p_owner_only boolean DEFAULT false) RETURNS TABLE(result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    AS $$
DECLARE
  previous text := coalesce(current_setting('kith.platform', true), '');
  outcome text;
BEGIN
  -- A transfer touches two owners' accounts: the function works in the platform scope and restores
  -- the caller's afterwards. p_owner_only: the caller (p_org) may debit only its own accounts, and
  -- end only holds it made.
  PERFORM set_config('kith.platform', 'on', true);
  outcome := kith_ledger_apply(p_id, p_debit, p_credit, p_amount, p_code, p_phase, p_pending_id, p_timeout_at,
                               p_metadata, p_org, p_owner_only);
  RETURN QUERY SELECT outcome, v.* FROM kith_ledger_view(p_id) v
    UNION ALL SELECT outcome, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    WHERE NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = p_id);
  PERFORM set_config('kith.platform', previous, true);
END $$
"""

OLD_VIEW = r"""
CREATE FUNCTION public.kith_ledger_view(p_id uuid) RETURNS TABLE(id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE sql STABLE
    AS $$
  SELECT t.id, t.debit_account_id, t.credit_account_id, t.amount, t.code, t.phase, t.pending_id, t.timeout_at,
         t.metadata, t.created_at,
         CASE WHEN t.phase <> 'pending' THEN 'posted' WHEN r.phase = 'post' THEN 'posted'
              WHEN r.phase = 'void' THEN 'voided' WHEN t.timeout_at IS NOT NULL AND t.timeout_at <= now() THEN 'expired'
              ELSE 'pending' END
    FROM ledger_transfers t LEFT JOIN ledger_transfers r ON r.pending_id = t.id WHERE t.id = p_id $$
"""

# One-time codes a resident gives a business to spend credits without the card (kept as keyed hashes).
SPEND_CODES = [
    """
CREATE TABLE public.spend_codes (
    id uuid NOT NULL,
    person_id uuid NOT NULL,
    code_hash character varying(64) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    used_by uuid,
    CONSTRAINT pk_spend_codes PRIMARY KEY (id),
    CONSTRAINT fk_spend_codes_person_id_people FOREIGN KEY (person_id) REFERENCES public.people(id),
    CONSTRAINT fk_spend_codes_used_by_organisations FOREIGN KEY (used_by) REFERENCES public.organisations(id)
)
""",
    "CREATE INDEX ix_spend_codes_person_id ON public.spend_codes USING btree (person_id)",
    "ALTER TABLE public.spend_codes ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE public.spend_codes FORCE ROW LEVEL SECURITY",
    "CREATE POLICY spend_codes_platform ON public.spend_codes USING (public.kith_is_platform()) "
    "WITH CHECK (public.kith_is_platform())",
    "GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.spend_codes TO kith_app",
]

# Mail telling residents of what happened (a spend of their credits), queued in the transaction of
# the change and sent by the worker.
RESIDENT_MAIL = [
    """
CREATE TABLE public.resident_mail (
    id bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL,
    to_address text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    sent_at timestamp with time zone,
    last_error text,
    CONSTRAINT pk_resident_mail PRIMARY KEY (id)
)
""",
    "CREATE INDEX ix_resident_mail_due ON public.resident_mail USING btree (next_attempt_at) "
    "WHERE (sent_at IS NULL)",
    "ALTER TABLE public.resident_mail ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE public.resident_mail FORCE ROW LEVEL SECURITY",
    "CREATE POLICY resident_mail_platform ON public.resident_mail USING (public.kith_is_platform()) "
    "WITH CHECK (public.kith_is_platform())",
    "GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.resident_mail TO kith_app",
]

_OLD_TRANSFER_ARGS = (
    "uuid, uuid, uuid, bigint, text, text, uuid, timestamp with time zone, jsonb, uuid, boolean"
)
_NEW_TRANSFER_ARGS = f"{_OLD_TRANSFER_ARGS}, boolean"

# Table owners are subject to these tables' row-level security (FORCE): the data steps below lift it
# for the migration's own statements and put it back.
REKEY_TRANSFERS = [
    "ALTER TABLE public.ledger_transfers ADD COLUMN ref uuid",
    "ALTER TABLE public.ledger_transfers NO FORCE ROW LEVEL SECURITY",
    "ALTER TABLE public.ledger_transfers DISABLE TRIGGER ledger_transfers_immutable",
    # One statement: the self-reference (pending_id) is checked at its end, when both sides moved.
    """UPDATE public.ledger_transfers t SET ref = t.id, id = kith_transfer_key(t.org_id, t.id),
           pending_id = (SELECT kith_transfer_key(h.org_id, h.id) FROM public.ledger_transfers h
                          WHERE h.id = t.pending_id)""",
    "ALTER TABLE public.ledger_transfers ENABLE TRIGGER ledger_transfers_immutable",
    "ALTER TABLE public.ledger_transfers FORCE ROW LEVEL SECURITY",
    "ALTER TABLE public.ledger_transfers ALTER COLUMN ref SET NOT NULL",
]

FLAG_OPERATING = [
    "ALTER TABLE public.ledger_accounts NO FORCE ROW LEVEL SECURITY",
    """UPDATE public.ledger_accounts SET debits_must_not_exceed_credits = true
        WHERE kind = 'operating' AND debits_posted + debits_pending <= credits_posted""",
    "ALTER TABLE public.ledger_accounts FORCE ROW LEVEL SECURITY",
]

ALIASES_SECURITY = [
    "ALTER TABLE public.ledger_account_aliases ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE public.ledger_account_aliases FORCE ROW LEVEL SECURITY",
    "CREATE POLICY ledger_account_aliases_tenant ON public.ledger_account_aliases "
    "USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) "
    "WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))",
    "GRANT SELECT,INSERT ON TABLE public.ledger_account_aliases TO kith_app",
]

NEW_FUNCTIONS = [
    TRANSFER_KEY,
    TRANSFER_ALIAS,
    TRANSFER_SHOWN,
    ACCOUNT_SHOWN,
    ACCOUNT_OF,
    f"DROP FUNCTION public.kith_ledger_transfer({_OLD_TRANSFER_ARGS})",
    "DROP FUNCTION public.kith_ledger_view(uuid)",
    VIEW,
    APPLY,
    REQUEST,
    REQUESTS,
    TRANSFER,
    "GRANT ALL ON FUNCTION public.kith_transfer_key(uuid, uuid) TO kith_app",
    "GRANT ALL ON FUNCTION public.kith_transfer_alias(uuid, uuid) TO kith_app",
    "GRANT ALL ON FUNCTION public.kith_transfer_shown(uuid, uuid, uuid, uuid, boolean) TO kith_app",
    "GRANT ALL ON FUNCTION public.kith_account_shown(uuid, boolean, uuid) TO kith_app",
    "GRANT ALL ON FUNCTION public.kith_account_of(uuid, uuid) TO kith_app",
    "GRANT ALL ON FUNCTION public.kith_ledger_view(uuid, uuid, boolean) TO kith_app",
    f"GRANT ALL ON FUNCTION public.kith_ledger_transfer({_NEW_TRANSFER_ARGS}) TO kith_app",
]


def upgrade() -> None:
    for statement in [TRANSFER_KEY, *REKEY_TRANSFERS, *FLAG_OPERATING, ALIASES_TABLE, *ALIASES_SECURITY]:
        op.execute(statement)
    for statement in NEW_FUNCTIONS[1:]:
        op.execute(statement)
    for statement in [*SPEND_CODES, *RESIDENT_MAIL]:
        op.execute(statement)


DUPLICATE_REFS = """
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM public.ledger_transfers GROUP BY ref HAVING count(*) > 1) THEN
    RAISE EXCEPTION 'two organisations have used the same transfer id: the ledger cannot go back to one id space';
  END IF;
END $$
"""


def downgrade() -> None:
    op.execute("DROP TABLE public.resident_mail")
    op.execute("DROP TABLE public.spend_codes")
    op.execute(f"DROP FUNCTION public.kith_ledger_transfer({_NEW_TRANSFER_ARGS})")
    op.execute("DROP FUNCTION public.kith_ledger_view(uuid, uuid, boolean)")
    for statement in (OLD_VIEW, OLD_APPLY, OLD_REQUEST, OLD_REQUESTS, OLD_TRANSFER):
        op.execute(statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    op.execute("GRANT ALL ON FUNCTION public.kith_ledger_view(uuid) TO kith_app")
    op.execute(f"GRANT ALL ON FUNCTION public.kith_ledger_transfer({_OLD_TRANSFER_ARGS}) TO kith_app")
    for name in ("kith_account_of(uuid, uuid)", "kith_account_shown(uuid, boolean, uuid)"):
        op.execute(f"DROP FUNCTION public.{name}")
    op.execute("DROP TABLE public.ledger_account_aliases")
    op.execute("ALTER TABLE public.ledger_accounts NO FORCE ROW LEVEL SECURITY")
    op.execute(
        "UPDATE public.ledger_accounts SET debits_must_not_exceed_credits = false WHERE kind = 'operating'"
    )
    op.execute("ALTER TABLE public.ledger_accounts FORCE ROW LEVEL SECURITY")
    op.execute(DUPLICATE_REFS)
    op.execute("ALTER TABLE public.ledger_transfers NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.ledger_transfers DISABLE TRIGGER ledger_transfers_immutable")
    op.execute(
        """UPDATE public.ledger_transfers t SET id = t.ref,
               pending_id = (SELECT h.ref FROM public.ledger_transfers h WHERE h.id = t.pending_id)"""
    )
    op.execute("ALTER TABLE public.ledger_transfers ENABLE TRIGGER ledger_transfers_immutable")
    op.execute("ALTER TABLE public.ledger_transfers FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.ledger_transfers DROP COLUMN ref")
    for name in ("kith_transfer_shown(uuid, uuid, uuid, uuid, boolean)", "kith_transfer_alias(uuid, uuid)"):
        op.execute(f"DROP FUNCTION public.{name}")
    op.execute("DROP FUNCTION public.kith_transfer_key(uuid, uuid)")
