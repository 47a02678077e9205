"""The schema as it stood on 2026-12-06, as one revision.

Revision ID: 2026_12_06_baseline
Revises: (none)
Create Date: 2026-12-06 08:00

Replaces the sixteen revisions of 2026-11-22 to 2026-12-03 (0001_foundation to
0016_records_unchecked), none of which was released. The SQL below was written out from a database
built by those revisions (pg_dump --schema-only --no-owner of PostgreSQL 15) and is frozen here:
this file imports nothing from ``app``, so changing the service's code never changes what it
builds. A test compares the schema it builds with the SQLAlchemy models (tests/db/test_schema.py).

A database left by one of the old revisions cannot be upgraded from here; ``kith serve`` and
``kith db upgrade`` say so (app/db/migrate.py), and it must be recreated.

From here on: one revision per change, named YYYY_MM_DD_HHMM_slug.py, never importing app code.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_06_baseline"
down_revision = None
branch_labels = None
depends_on = None

# The service's role: cluster-wide, so another database on the same server may have made it.
APP_ROLE = r"""DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kith_app') THEN
    BEGIN
      CREATE ROLE kith_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION WHEN duplicate_object THEN NULL;  -- another database on this server made it meanwhile
    END;
  END IF;
  IF NOT pg_has_role(current_user, 'kith_app', 'MEMBER') THEN
    EXECUTE format('GRANT kith_app TO %I', current_user);
  END IF;
END $$"""

SCHEMA = [
    # Tables
    r"""
CREATE TABLE public.audit_log (
    chain smallint NOT NULL,
    seq bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    org_id uuid,
    actor text NOT NULL,
    action text NOT NULL,
    subject_type text NOT NULL,
    subject_id text,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    request_id text,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.audit_log FORCE ROW LEVEL SECURITY""",
    # Functions: the tenant context, the consent rule, the audit chain, the ledger
    r"""
CREATE FUNCTION public.kith_audit_canonical(e public.audit_log) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_array(
    e.chain, e.seq,
    to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    e.org_id, e.actor, e.action, e.subject_type, e.subject_id, e.detail, e.request_id
  )::text
$$
""",
    r"""
CREATE FUNCTION public.kith_audit_chain() RETURNS trigger
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
""",
    r"""
CREATE FUNCTION public.kith_begin(p_org uuid, p_platform boolean, p_client text) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
  PERFORM set_config('kith.org_id', coalesce(p_org::text, ''), true);
  PERFORM set_config('kith.platform', CASE WHEN p_platform THEN 'on' ELSE '' END, true);
  IF p_client IS NULL THEN
    RETURN true;
  END IF;
  RETURN EXISTS (SELECT 1 FROM api_clients WHERE client_id = p_client AND disabled_at IS NULL);
END $$
""",
    r"""
CREATE FUNCTION public.kith_consented(p_person uuid, p_categories text[]) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
       SELECT kith_current_purpose() IS NOT NULL AND kith_current_org() IS NOT NULL AND EXISTS (
         SELECT 1 FROM people rp
           JOIN org_people op ON op.canonical_id = rp.canonical_id AND op.org_id = kith_current_org()
           JOIN consent_grants g ON g.org_person_id = op.org_person_id
          WHERE rp.id = p_person
            AND g.purpose = kith_current_purpose()
            AND g.withdrawn_at IS NULL
            AND (g.expires_at IS NULL OR g.expires_at > now())
            AND g.categories && p_categories) $$
""",
    r"""
CREATE FUNCTION public.kith_current_org() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('kith.org_id', true), '')::uuid $$
""",
    r"""
CREATE FUNCTION public.kith_current_purpose() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('kith.purpose', true), '') $$
""",
    r"""
CREATE FUNCTION public.kith_is_platform() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('kith.platform', true), '') = 'on' $$
""",
    r"""
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
""",
    r"""
CREATE FUNCTION public.kith_ledger_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  RAISE EXCEPTION 'ledger transfers are immutable' USING ERRCODE = 'insufficient_privilege';
END $$
""",
    r"""
CREATE FUNCTION public.kith_ledger_replay(p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_metadata jsonb) RETURNS text
    LANGUAGE plpgsql
    AS $$
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
END $$
""",
    r"""
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
""",
    r"""
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
""",
    r"""
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
""",
    r"""
CREATE FUNCTION public.kith_ledger_view(p_id uuid) RETURNS TABLE(id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE sql STABLE
    AS $$
  SELECT t.id, t.debit_account_id, t.credit_account_id, t.amount, t.code, t.phase, t.pending_id, t.timeout_at,
         t.metadata, t.created_at,
         CASE WHEN t.phase <> 'pending' THEN 'posted' WHEN r.phase = 'post' THEN 'posted'
              WHEN r.phase = 'void' THEN 'voided' WHEN t.timeout_at IS NOT NULL AND t.timeout_at <= now() THEN 'expired'
              ELSE 'pending' END
    FROM ledger_transfers t LEFT JOIN ledger_transfers r ON r.pending_id = t.id WHERE t.id = p_id $$
""",
    r"""
CREATE FUNCTION public.kith_people_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NEW.changed_at := now(); RETURN NEW; END $$
""",
    r"""
CREATE FUNCTION public.kith_platform_on() RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
  previous text := coalesce(current_setting('kith.platform', true), '');
BEGIN
  PERFORM set_config('kith.platform', 'on', true);
  RETURN previous;
END $$
""",
    r"""
CREATE FUNCTION public.kith_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$
""",
    # Tables
    r"""
CREATE TABLE public.access_log (
    id bigint NOT NULL,
    org_id uuid NOT NULL,
    client_id text,
    person_id uuid NOT NULL,
    org_person_id uuid NOT NULL,
    purpose character varying(32) NOT NULL,
    categories text[] NOT NULL,
    action character varying(32) NOT NULL,
    request_id text,
    read_at timestamp with time zone NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.access_log FORCE ROW LEVEL SECURITY""",
    # Identity columns
    r"""
ALTER TABLE public.access_log ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.access_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
)
""",
    # Tables
    r"""
CREATE TABLE public.api_clients (
    client_id character varying(64) NOT NULL,
    org_id uuid NOT NULL,
    name text NOT NULL,
    secret_hash character varying(64) NOT NULL,
    scopes text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    disabled_at timestamp with time zone
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.api_clients FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.area_links (
    ward text NOT NULL,
    lsoa text NOT NULL,
    msoa text NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.area_links FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.areas (
    code text NOT NULL,
    level text NOT NULL,
    name text,
    postcodes integer DEFAULT 0 NOT NULL,
    CONSTRAINT ck_areas_level CHECK ((level = ANY (ARRAY['ward'::text, 'lsoa'::text, 'msoa'::text])))
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.areas FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.audit_chain_heads (
    chain smallint NOT NULL,
    seq bigint NOT NULL,
    hash bytea NOT NULL
)
""",
    # Identity columns
    r"""
CREATE SEQUENCE public.audit_chain_heads_chain_seq
    AS smallint
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
""",
    # SEQUENCE OWNED BY
    r"""ALTER SEQUENCE public.audit_chain_heads_chain_seq OWNED BY public.audit_chain_heads.chain""",
    # Tables
    r"""
CREATE TABLE public.consent_grants (
    id uuid NOT NULL,
    org_id uuid NOT NULL,
    org_person_id uuid NOT NULL,
    purpose character varying(32) NOT NULL,
    categories text[] NOT NULL,
    method character varying(24) NOT NULL,
    evidence jsonb,
    granted_by text NOT NULL,
    granted_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone,
    withdrawn_at timestamp with time zone,
    withdrawn_by text,
    CONSTRAINT ck_consent_grants_ck_consent_grants_categories CHECK ((cardinality(categories) > 0)),
    CONSTRAINT ck_consent_grants_ck_consent_grants_evidence CHECK ((((method)::text <> 'recorded_by_org'::text) OR (evidence IS NOT NULL))),
    CONSTRAINT ck_consent_grants_ck_consent_grants_method CHECK (((method)::text = ANY ((ARRAY['portal'::character varying, 'card_presented'::character varying, 'recorded_by_org'::character varying])::text[]))),
    CONSTRAINT ck_consent_grants_ck_consent_grants_purpose CHECK (((purpose)::text = ANY ((ARRAY['service_delivery'::character varying, 'case_coordination'::character varying, 'rewards'::character varying, 'offers'::character varying, 'research'::character varying])::text[])))
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.consent_grants FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.consent_receipts (
    id uuid NOT NULL,
    grant_id uuid NOT NULL,
    org_id uuid NOT NULL,
    event character varying(16) NOT NULL,
    receipt jsonb NOT NULL,
    jws text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_consent_receipts_ck_consent_receipts_event CHECK (((event)::text = ANY ((ARRAY['granted'::character varying, 'withdrawn'::character varying])::text[])))
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.consent_receipts FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.dev_outbox (
    id bigint NOT NULL,
    to_address text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    sent_at timestamp with time zone DEFAULT now() NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.dev_outbox FORCE ROW LEVEL SECURITY""",
    # Identity columns
    r"""
ALTER TABLE public.dev_outbox ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.dev_outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
)
""",
    # Tables
    r"""
CREATE TABLE public.identity_decisions (
    id uuid NOT NULL,
    org_id uuid,
    record_id uuid NOT NULL,
    person_id uuid NOT NULL,
    candidate_id uuid,
    status character varying(16) NOT NULL,
    method character varying(24) NOT NULL,
    score double precision,
    explanation jsonb,
    review_outcome character varying(16),
    decided_by text,
    decided_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.identity_decisions FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.identity_parameters (
    id bigint NOT NULL,
    params jsonb NOT NULL,
    sample_pairs bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.identity_parameters FORCE ROW LEVEL SECURITY""",
    # Identity columns
    r"""
ALTER TABLE public.identity_parameters ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.identity_parameters_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
)
""",
    # Tables
    r"""
CREATE TABLE public.indicator_activity (
    person_id uuid NOT NULL,
    month date NOT NULL,
    org_id uuid NOT NULL,
    interactions integer NOT NULL,
    day_mask integer NOT NULL,
    volunteer_minutes integer NOT NULL,
    volunteering integer NOT NULL,
    services integer NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.indicator_activity FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.indicator_residents (
    person_id uuid NOT NULL,
    canonical_id uuid NOT NULL,
    ward text,
    lsoa text,
    msoa text,
    registered_on date NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.indicator_residents FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.indicator_state (
    name text NOT NULL,
    high_water timestamp with time zone,
    fingerprint text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.indicator_state FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.indicator_values (
    area_code text NOT NULL,
    period text NOT NULL,
    parts jsonb NOT NULL,
    computed_at timestamp with time zone DEFAULT now() NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.indicator_values FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.interactions (
    id uuid NOT NULL,
    org_id uuid NOT NULL,
    person_id uuid NOT NULL,
    kind character varying(24) NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    channel character varying(32),
    area_code character varying(16),
    value_pence bigint,
    duration_minutes integer,
    counterpart_org_id uuid,
    attributes jsonb,
    external_id character varying(100),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_interactions_ck_interactions_kind CHECK (((kind)::text = ANY ((ARRAY['visit'::character varying, 'purchase'::character varying, 'service_contact'::character varying, 'referral'::character varying, 'volunteering'::character varying, 'event'::character varying, 'other'::character varying])::text[])))
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.interactions FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.ledger_accounts (
    id uuid NOT NULL,
    kind character varying(16) NOT NULL,
    owner_kind character varying(16) NOT NULL,
    person_id uuid,
    org_id uuid,
    name text,
    rule jsonb,
    debits_must_not_exceed_credits boolean NOT NULL,
    debits_posted bigint DEFAULT '0'::bigint NOT NULL,
    credits_posted bigint DEFAULT '0'::bigint NOT NULL,
    debits_pending bigint DEFAULT '0'::bigint NOT NULL,
    credits_pending bigint DEFAULT '0'::bigint NOT NULL,
    closed_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_ledger_accounts_ck_ledger_accounts_balance CHECK (((NOT debits_must_not_exceed_credits) OR ((debits_posted + debits_pending) <= credits_posted))),
    CONSTRAINT ck_ledger_accounts_ck_ledger_accounts_kind CHECK (((kind)::text = ANY ((ARRAY['wallet'::character varying, 'pool'::character varying, 'operating'::character varying, 'issuance'::character varying, 'expiry'::character varying])::text[]))),
    CONSTRAINT ck_ledger_accounts_ck_ledger_accounts_non_negative CHECK (((debits_posted >= 0) AND (credits_posted >= 0) AND (debits_pending >= 0) AND (credits_pending >= 0))),
    CONSTRAINT ck_ledger_accounts_ck_ledger_accounts_owner_kind CHECK (((owner_kind)::text = ANY ((ARRAY['person'::character varying, 'organisation'::character varying, 'platform'::character varying])::text[])))
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.ledger_accounts FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.ledger_transfers (
    id uuid NOT NULL,
    debit_account_id uuid NOT NULL,
    credit_account_id uuid NOT NULL,
    amount bigint NOT NULL,
    code character varying(16) NOT NULL,
    phase character varying(8) NOT NULL,
    pending_id uuid,
    timeout_at timestamp with time zone,
    metadata jsonb,
    org_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_ledger_transfers_ck_ledger_transfers_accounts CHECK ((debit_account_id <> credit_account_id)),
    CONSTRAINT ck_ledger_transfers_ck_ledger_transfers_amount CHECK ((amount > 0)),
    CONSTRAINT ck_ledger_transfers_ck_ledger_transfers_code CHECK (((code)::text = ANY ((ARRAY['earn'::character varying, 'redeem'::character varying, 'fund'::character varying, 'mint'::character varying, 'expire'::character varying, 'refund'::character varying, 'reverse'::character varying])::text[]))),
    CONSTRAINT ck_ledger_transfers_ck_ledger_transfers_pending_id CHECK ((((phase)::text = ANY ((ARRAY['post'::character varying, 'void'::character varying])::text[])) = (pending_id IS NOT NULL))),
    CONSTRAINT ck_ledger_transfers_ck_ledger_transfers_phase CHECK (((phase)::text = ANY ((ARRAY['single'::character varying, 'pending'::character varying, 'post'::character varying, 'void'::character varying])::text[])))
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.ledger_transfers FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.org_people (
    org_person_id uuid NOT NULL,
    org_id uuid NOT NULL,
    person_id uuid NOT NULL,
    canonical_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.org_people FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.organisations (
    id uuid NOT NULL,
    name text NOT NULL,
    sector character varying(16) NOT NULL,
    kind character varying(40) NOT NULL,
    area_code character varying(16),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_organisations_sector CHECK (((sector)::text = ANY ((ARRAY['public'::character varying, 'social'::character varying, 'commercial'::character varying])::text[])))
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.organisations FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.outbox_events (
    id bigint NOT NULL,
    event_id uuid NOT NULL,
    org_id uuid NOT NULL,
    event_type character varying(40) NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    fanned_out_at timestamp with time zone
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.outbox_events FORCE ROW LEVEL SECURITY""",
    # Identity columns
    r"""
ALTER TABLE public.outbox_events ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.outbox_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
)
""",
    # Tables
    r"""
CREATE TABLE public.people (
    id uuid NOT NULL,
    canonical_id uuid NOT NULL,
    merged_into uuid,
    status character varying(16) DEFAULT 'active'::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    research_objection_at timestamp with time zone,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_people_ck_people_status CHECK (((status)::text = ANY ((ARRAY['active'::character varying, 'provisional'::character varying, 'erased'::character varying])::text[])))
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.people FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.person_match (
    record_id uuid NOT NULL,
    org_id uuid,
    canonical_id uuid NOT NULL,
    m_given text,
    m_family text,
    m_dob date,
    m_postcode text,
    bk_dob_family text,
    bk_dob_given text,
    bk_names_area text,
    bk_email text,
    bk_phone text
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.person_match FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.person_merges (
    id uuid NOT NULL,
    keep_id uuid NOT NULL,
    merged_id uuid NOT NULL,
    reason character varying(24) NOT NULL,
    actor text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    undone_at timestamp with time zone
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.person_merges FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.person_records (
    id uuid NOT NULL,
    person_id uuid NOT NULL,
    org_id uuid,
    external_ref text,
    m_given text,
    m_family text,
    m_dob date,
    m_postcode text,
    bk_dob_family text,
    bk_dob_given text,
    bk_names_area text,
    bk_email text,
    bk_phone text,
    source_sector character varying(16) NOT NULL,
    claims jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_person_records_ck_person_records_sector CHECK (((source_sector)::text = ANY ((ARRAY['public'::character varying, 'social'::character varying, 'commercial'::character varying, 'resident'::character varying])::text[])))
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.person_records FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.portal_codes (
    id uuid NOT NULL,
    email text NOT NULL,
    code_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    used_at timestamp with time zone
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.portal_codes FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.portal_sessions (
    id uuid NOT NULL,
    token_hash text NOT NULL,
    email text NOT NULL,
    person_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.portal_sessions FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.postcodes (
    postcode text NOT NULL,
    ward text,
    lsoa text,
    msoa text
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.postcodes FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.relationships (
    id uuid NOT NULL,
    org_id uuid NOT NULL,
    kind character varying(32) NOT NULL,
    type character varying(24) NOT NULL,
    person_id uuid,
    other_person_id uuid,
    organisation_id uuid,
    other_organisation_id uuid,
    started_on date NOT NULL,
    ended_on date,
    evidence jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_relationships_ck_relationships_dates CHECK (((ended_on IS NULL) OR (ended_on >= started_on))),
    CONSTRAINT ck_relationships_ck_relationships_shape CHECK (((((kind)::text = 'person_organisation'::text) AND ((type)::text = ANY ((ARRAY['member'::character varying, 'volunteer'::character varying, 'customer'::character varying, 'client'::character varying, 'employee'::character varying])::text[])) AND (person_id IS NOT NULL) AND (organisation_id IS NOT NULL)) OR (((kind)::text = 'person_person'::text) AND ((type)::text = ANY ((ARRAY['family'::character varying, 'neighbour'::character varying, 'friend'::character varying, 'carer'::character varying])::text[])) AND (person_id IS NOT NULL) AND (other_person_id IS NOT NULL) AND (evidence IS NOT NULL)) OR (((kind)::text = 'organisation_organisation'::text) AND ((type)::text = ANY ((ARRAY['partner'::character varying, 'supplier'::character varying, 'funder'::character varying, 'referral_route'::character varying])::text[])) AND (organisation_id IS NOT NULL) AND (other_organisation_id IS NOT NULL))))
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.relationships FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.reward_cards (
    id uuid NOT NULL,
    person_id uuid NOT NULL,
    token_hash character varying(64) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.reward_cards FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.webhook_deliveries (
    id uuid NOT NULL,
    org_id uuid NOT NULL,
    subscription_id uuid NOT NULL,
    event_id uuid NOT NULL,
    event_type character varying(40) NOT NULL,
    payload jsonb NOT NULL,
    event_created_at timestamp with time zone NOT NULL,
    status character varying(16) DEFAULT 'pending'::character varying NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    leased_until timestamp with time zone,
    last_status_code integer,
    last_error text,
    delivered_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_webhook_deliveries_ck_webhook_deliveries_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'delivered'::character varying, 'failed'::character varying, 'cancelled'::character varying])::text[])))
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.webhook_deliveries FORCE ROW LEVEL SECURITY""",
    # Tables
    r"""
CREATE TABLE public.webhook_subscriptions (
    id uuid NOT NULL,
    org_id uuid NOT NULL,
    url text NOT NULL,
    events text[] NOT NULL,
    secret text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    disabled_at timestamp with time zone,
    disabled_reason text
)
""",
    # OTHER
    r"""ALTER TABLE ONLY public.webhook_subscriptions FORCE ROW LEVEL SECURITY""",
    # Column defaults
    r"""ALTER TABLE ONLY public.audit_chain_heads ALTER COLUMN chain SET DEFAULT nextval('public.audit_chain_heads_chain_seq'::regclass)""",
    # Primary keys, unique and check constraints
    r"""
ALTER TABLE ONLY public.access_log
    ADD CONSTRAINT pk_access_log PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.api_clients
    ADD CONSTRAINT pk_api_clients PRIMARY KEY (client_id)
""",
    r"""
ALTER TABLE ONLY public.area_links
    ADD CONSTRAINT pk_area_links PRIMARY KEY (ward, lsoa, msoa)
""",
    r"""
ALTER TABLE ONLY public.areas
    ADD CONSTRAINT pk_areas PRIMARY KEY (code)
""",
    r"""
ALTER TABLE ONLY public.audit_chain_heads
    ADD CONSTRAINT pk_audit_chain_heads PRIMARY KEY (chain)
""",
    r"""
ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT pk_audit_log PRIMARY KEY (chain, seq)
""",
    r"""
ALTER TABLE ONLY public.consent_grants
    ADD CONSTRAINT pk_consent_grants PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.consent_receipts
    ADD CONSTRAINT pk_consent_receipts PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.dev_outbox
    ADD CONSTRAINT pk_dev_outbox PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.identity_decisions
    ADD CONSTRAINT pk_identity_decisions PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.identity_parameters
    ADD CONSTRAINT pk_identity_parameters PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.indicator_activity
    ADD CONSTRAINT pk_indicator_activity PRIMARY KEY (person_id, month, org_id)
""",
    r"""
ALTER TABLE ONLY public.indicator_residents
    ADD CONSTRAINT pk_indicator_residents PRIMARY KEY (person_id)
""",
    r"""
ALTER TABLE ONLY public.indicator_state
    ADD CONSTRAINT pk_indicator_state PRIMARY KEY (name)
""",
    r"""
ALTER TABLE ONLY public.indicator_values
    ADD CONSTRAINT pk_indicator_values PRIMARY KEY (area_code, period)
""",
    r"""
ALTER TABLE ONLY public.interactions
    ADD CONSTRAINT pk_interactions PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.ledger_accounts
    ADD CONSTRAINT pk_ledger_accounts PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.ledger_transfers
    ADD CONSTRAINT pk_ledger_transfers PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.org_people
    ADD CONSTRAINT pk_org_people PRIMARY KEY (org_person_id)
""",
    r"""
ALTER TABLE ONLY public.organisations
    ADD CONSTRAINT pk_organisations PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.outbox_events
    ADD CONSTRAINT pk_outbox_events PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.people
    ADD CONSTRAINT pk_people PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.person_match
    ADD CONSTRAINT pk_person_match PRIMARY KEY (record_id)
""",
    r"""
ALTER TABLE ONLY public.person_merges
    ADD CONSTRAINT pk_person_merges PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.person_records
    ADD CONSTRAINT pk_person_records PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.portal_codes
    ADD CONSTRAINT pk_portal_codes PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.portal_sessions
    ADD CONSTRAINT pk_portal_sessions PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.postcodes
    ADD CONSTRAINT pk_postcodes PRIMARY KEY (postcode)
""",
    r"""
ALTER TABLE ONLY public.relationships
    ADD CONSTRAINT pk_relationships PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.reward_cards
    ADD CONSTRAINT pk_reward_cards PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.webhook_subscriptions
    ADD CONSTRAINT pk_webhook_subscriptions PRIMARY KEY (id)
""",
    r"""
ALTER TABLE ONLY public.org_people
    ADD CONSTRAINT uq_org_people_org_person UNIQUE (org_id, person_id)
""",
    r"""
ALTER TABLE ONLY public.outbox_events
    ADD CONSTRAINT uq_outbox_events_event_id UNIQUE (event_id)
""",
    r"""
ALTER TABLE ONLY public.portal_sessions
    ADD CONSTRAINT uq_portal_sessions_token_hash UNIQUE (token_hash)
""",
    r"""
ALTER TABLE ONLY public.reward_cards
    ADD CONSTRAINT uq_reward_cards_token_hash UNIQUE (token_hash)
""",
    r"""
ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT uq_webhook_deliveries_subscription_id UNIQUE (subscription_id, event_id)
""",
    # Indexes
    r"""CREATE INDEX ix_access_log_org ON public.access_log USING btree (org_id, read_at)""",
    r"""CREATE INDEX ix_access_log_person ON public.access_log USING btree (person_id, read_at)""",
    r"""CREATE INDEX ix_api_clients_org ON public.api_clients USING btree (org_id, created_at)""",
    r"""CREATE INDEX ix_audit_log_org ON public.audit_log USING btree (org_id, occurred_at)""",
    r"""CREATE INDEX ix_consent_grants_org ON public.consent_grants USING btree (org_id, granted_at)""",
    r"""CREATE INDEX ix_consent_grants_person ON public.consent_grants USING btree (org_person_id, purpose)""",
    r"""CREATE INDEX ix_consent_receipts_grant ON public.consent_receipts USING btree (grant_id)""",
    r"""CREATE INDEX ix_identity_decisions_pending ON public.identity_decisions USING btree (created_at) WHERE (((status)::text = 'review'::text) AND (review_outcome IS NULL))""",
    r"""CREATE INDEX ix_identity_decisions_record ON public.identity_decisions USING btree (record_id)""",
    r"""CREATE INDEX ix_indicator_residents_canonical ON public.indicator_residents USING btree (canonical_id)""",
    r"""CREATE INDEX ix_indicator_residents_lsoa ON public.indicator_residents USING btree (lsoa)""",
    r"""CREATE INDEX ix_indicator_residents_msoa ON public.indicator_residents USING btree (msoa)""",
    r"""CREATE INDEX ix_indicator_residents_ward ON public.indicator_residents USING btree (ward)""",
    r"""CREATE INDEX ix_interactions_created ON public.interactions USING btree (created_at)""",
    r"""CREATE INDEX ix_interactions_person ON public.interactions USING btree (person_id, occurred_at)""",
    r"""CREATE INDEX ix_ledger_transfers_created ON public.ledger_transfers USING btree (created_at)""",
    r"""CREATE INDEX ix_ledger_transfers_credit ON public.ledger_transfers USING btree (credit_account_id, created_at)""",
    r"""CREATE INDEX ix_ledger_transfers_debit ON public.ledger_transfers USING btree (debit_account_id, created_at)""",
    r"""CREATE INDEX ix_ledger_transfers_timeout ON public.ledger_transfers USING btree (timeout_at) WHERE (((phase)::text = 'pending'::text) AND (timeout_at IS NOT NULL))""",
    r"""CREATE INDEX ix_org_people_canonical ON public.org_people USING btree (org_id, canonical_id)""",
    r"""CREATE INDEX ix_org_people_canonical_all ON public.org_people USING btree (canonical_id)""",
    r"""CREATE INDEX ix_organisations_created ON public.organisations USING btree (created_at, id)""",
    r"""CREATE INDEX ix_outbox_events_org ON public.outbox_events USING btree (org_id, id)""",
    r"""CREATE INDEX ix_outbox_events_pending ON public.outbox_events USING btree (id) WHERE (fanned_out_at IS NULL)""",
    r"""CREATE INDEX ix_people_canonical ON public.people USING btree (canonical_id)""",
    r"""CREATE INDEX ix_people_changed_at ON public.people USING btree (changed_at)""",
    r"""CREATE INDEX ix_people_merged_into ON public.people USING btree (merged_into) WHERE (merged_into IS NOT NULL)""",
    r"""CREATE INDEX ix_person_match_bk_dob_family ON public.person_match USING btree (bk_dob_family) WHERE (bk_dob_family IS NOT NULL)""",
    r"""CREATE INDEX ix_person_match_bk_dob_given ON public.person_match USING btree (bk_dob_given) WHERE (bk_dob_given IS NOT NULL)""",
    r"""CREATE INDEX ix_person_match_bk_email ON public.person_match USING btree (bk_email) WHERE (bk_email IS NOT NULL)""",
    r"""CREATE INDEX ix_person_match_bk_names_area ON public.person_match USING btree (bk_names_area) WHERE (bk_names_area IS NOT NULL)""",
    r"""CREATE INDEX ix_person_match_bk_phone ON public.person_match USING btree (bk_phone) WHERE (bk_phone IS NOT NULL)""",
    r"""CREATE INDEX ix_person_merges_merged ON public.person_merges USING btree (merged_id)""",
    r"""CREATE INDEX ix_person_records_person ON public.person_records USING btree (person_id)""",
    r"""CREATE INDEX ix_person_records_updated_at ON public.person_records USING btree (updated_at)""",
    r"""CREATE INDEX ix_person_records_verified_email ON public.person_records USING btree (((claims #>> '{email,value}'::text[]))) WHERE ((claims #>> '{email,verified}'::text[]) = 'true'::text)""",
    r"""CREATE INDEX ix_person_records_verified_phone ON public.person_records USING btree (((claims #>> '{phone,value}'::text[]))) WHERE ((claims #>> '{phone,verified}'::text[]) = 'true'::text)""",
    r"""CREATE INDEX ix_portal_codes_email_created ON public.portal_codes USING btree (email, created_at)""",
    r"""CREATE INDEX ix_portal_sessions_person ON public.portal_sessions USING btree (person_id)""",
    r"""CREATE INDEX ix_relationships_created ON public.relationships USING btree (created_at)""",
    r"""CREATE INDEX ix_relationships_organisation ON public.relationships USING btree (organisation_id)""",
    r"""CREATE INDEX ix_relationships_other_organisation ON public.relationships USING btree (other_organisation_id)""",
    r"""CREATE INDEX ix_relationships_other_person ON public.relationships USING btree (other_person_id)""",
    r"""CREATE INDEX ix_relationships_person ON public.relationships USING btree (person_id)""",
    r"""CREATE INDEX ix_reward_cards_person ON public.reward_cards USING btree (person_id)""",
    r"""CREATE INDEX ix_webhook_deliveries_due ON public.webhook_deliveries USING btree (next_attempt_at) WHERE ((status)::text = 'pending'::text)""",
    r"""CREATE INDEX ix_webhook_deliveries_subscription ON public.webhook_deliveries USING btree (subscription_id, created_at)""",
    r"""CREATE INDEX ix_webhook_subscriptions_org ON public.webhook_subscriptions USING btree (org_id)""",
    r"""CREATE UNIQUE INDEX uq_interactions_external_id ON public.interactions USING btree (org_id, external_id) WHERE (external_id IS NOT NULL)""",
    r"""CREATE UNIQUE INDEX uq_ledger_accounts_operating ON public.ledger_accounts USING btree (org_id) WHERE ((kind)::text = 'operating'::text)""",
    r"""CREATE UNIQUE INDEX uq_ledger_accounts_platform ON public.ledger_accounts USING btree (kind) WHERE ((owner_kind)::text = 'platform'::text)""",
    r"""CREATE UNIQUE INDEX uq_ledger_accounts_wallet ON public.ledger_accounts USING btree (person_id) WHERE ((kind)::text = 'wallet'::text)""",
    r"""CREATE UNIQUE INDEX uq_ledger_transfers_pending ON public.ledger_transfers USING btree (pending_id)""",
    r"""CREATE UNIQUE INDEX uq_person_records_external_ref ON public.person_records USING btree (org_id, external_ref) WHERE (external_ref IS NOT NULL)""",
    # Triggers
    r"""CREATE TRIGGER audit_log_chain BEFORE INSERT ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.kith_audit_chain()""",
    r"""CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON public.audit_log FOR EACH STATEMENT EXECUTE FUNCTION public.kith_refuse_change()""",
    r"""CREATE TRIGGER audit_log_no_update BEFORE DELETE OR UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.kith_refuse_change()""",
    r"""CREATE TRIGGER ledger_transfers_immutable BEFORE DELETE OR UPDATE ON public.ledger_transfers FOR EACH ROW EXECUTE FUNCTION public.kith_ledger_immutable()""",
    r"""CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON public.ledger_transfers FOR EACH STATEMENT EXECUTE FUNCTION public.kith_ledger_immutable()""",
    r"""CREATE TRIGGER people_changed BEFORE UPDATE ON public.people FOR EACH ROW EXECUTE FUNCTION public.kith_people_changed()""",
    # Foreign keys
    r"""
ALTER TABLE ONLY public.api_clients
    ADD CONSTRAINT fk_api_clients_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.consent_grants
    ADD CONSTRAINT fk_consent_grants_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.consent_grants
    ADD CONSTRAINT fk_consent_grants_org_person_id_org_people FOREIGN KEY (org_person_id) REFERENCES public.org_people(org_person_id)
""",
    r"""
ALTER TABLE ONLY public.consent_receipts
    ADD CONSTRAINT fk_consent_receipts_grant_id_consent_grants FOREIGN KEY (grant_id) REFERENCES public.consent_grants(id)
""",
    r"""
ALTER TABLE ONLY public.consent_receipts
    ADD CONSTRAINT fk_consent_receipts_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.interactions
    ADD CONSTRAINT fk_interactions_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.ledger_accounts
    ADD CONSTRAINT fk_ledger_accounts_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.ledger_accounts
    ADD CONSTRAINT fk_ledger_accounts_person_id_people FOREIGN KEY (person_id) REFERENCES public.people(id)
""",
    r"""
ALTER TABLE ONLY public.ledger_transfers
    ADD CONSTRAINT fk_ledger_transfers_credit_account_id_ledger_accounts FOREIGN KEY (credit_account_id) REFERENCES public.ledger_accounts(id)
""",
    r"""
ALTER TABLE ONLY public.ledger_transfers
    ADD CONSTRAINT fk_ledger_transfers_debit_account_id_ledger_accounts FOREIGN KEY (debit_account_id) REFERENCES public.ledger_accounts(id)
""",
    r"""
ALTER TABLE ONLY public.ledger_transfers
    ADD CONSTRAINT fk_ledger_transfers_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.ledger_transfers
    ADD CONSTRAINT fk_ledger_transfers_pending_id_ledger_transfers FOREIGN KEY (pending_id) REFERENCES public.ledger_transfers(id)
""",
    r"""
ALTER TABLE ONLY public.org_people
    ADD CONSTRAINT fk_org_people_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.outbox_events
    ADD CONSTRAINT fk_outbox_events_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.people
    ADD CONSTRAINT fk_people_merged_into_people FOREIGN KEY (merged_into) REFERENCES public.people(id)
""",
    r"""
ALTER TABLE ONLY public.person_merges
    ADD CONSTRAINT fk_person_merges_keep_id_people FOREIGN KEY (keep_id) REFERENCES public.people(id)
""",
    r"""
ALTER TABLE ONLY public.person_merges
    ADD CONSTRAINT fk_person_merges_merged_id_people FOREIGN KEY (merged_id) REFERENCES public.people(id)
""",
    r"""
ALTER TABLE ONLY public.person_records
    ADD CONSTRAINT fk_person_records_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.portal_sessions
    ADD CONSTRAINT fk_portal_sessions_person_id_people FOREIGN KEY (person_id) REFERENCES public.people(id) ON DELETE CASCADE
""",
    r"""
ALTER TABLE ONLY public.relationships
    ADD CONSTRAINT fk_relationships_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.relationships
    ADD CONSTRAINT fk_relationships_organisation_id_organisations FOREIGN KEY (organisation_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.relationships
    ADD CONSTRAINT fk_relationships_other_organisation_id_organisations FOREIGN KEY (other_organisation_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.reward_cards
    ADD CONSTRAINT fk_reward_cards_person_id_people FOREIGN KEY (person_id) REFERENCES public.people(id)
""",
    r"""
ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT fk_webhook_deliveries_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    r"""
ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT fk_webhook_deliveries_subscription_id_webhook_subscriptions FOREIGN KEY (subscription_id) REFERENCES public.webhook_subscriptions(id)
""",
    r"""
ALTER TABLE ONLY public.webhook_subscriptions
    ADD CONSTRAINT fk_webhook_subscriptions_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id)
""",
    # Row-level security switched on
    r"""ALTER TABLE public.access_log ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY access_log_tenant ON public.access_log USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Row-level security switched on
    r"""ALTER TABLE public.api_clients ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY api_clients_tenant ON public.api_clients USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Row-level security switched on
    r"""ALTER TABLE public.area_links ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY area_links_platform ON public.area_links USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.areas ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY areas_platform ON public.areas USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.audit_log ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY audit_log_tenant ON public.audit_log USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Row-level security switched on
    r"""ALTER TABLE public.consent_grants ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY consent_grants_tenant ON public.consent_grants USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Row-level security switched on
    r"""ALTER TABLE public.consent_receipts ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY consent_receipts_tenant ON public.consent_receipts USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Row-level security switched on
    r"""ALTER TABLE public.dev_outbox ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY dev_outbox_platform ON public.dev_outbox USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.identity_decisions ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY identity_decisions_tenant ON public.identity_decisions USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Row-level security switched on
    r"""ALTER TABLE public.identity_parameters ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY identity_parameters_platform ON public.identity_parameters USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.indicator_activity ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY indicator_activity_platform ON public.indicator_activity USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.indicator_residents ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY indicator_residents_platform ON public.indicator_residents USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.indicator_state ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY indicator_state_platform ON public.indicator_state USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.indicator_values ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY indicator_values_platform ON public.indicator_values USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.interactions ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY interactions_tenant ON public.interactions USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    r"""CREATE POLICY interactions_via_consent ON public.interactions FOR SELECT USING (((public.kith_current_purpose() IS NOT NULL) AND public.kith_consented(person_id, ARRAY['interactions'::text])))""",
    # Row-level security switched on
    r"""ALTER TABLE public.ledger_accounts ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY ledger_accounts_tenant ON public.ledger_accounts USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    r"""CREATE POLICY ledger_accounts_via_consent ON public.ledger_accounts FOR SELECT USING ((((kind)::text = 'wallet'::text) AND (public.kith_current_purpose() IS NOT NULL) AND public.kith_consented(person_id, ARRAY['rewards'::text])))""",
    # Row-level security switched on
    r"""ALTER TABLE public.ledger_transfers ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY ledger_transfers_insert ON public.ledger_transfers FOR INSERT WITH CHECK (public.kith_is_platform())""",
    r"""
CREATE POLICY ledger_transfers_visible ON public.ledger_transfers FOR SELECT USING ((public.kith_is_platform() OR (org_id = public.kith_current_org()) OR (EXISTS ( SELECT 1
   FROM public.ledger_accounts a
  WHERE (a.id = ANY (ARRAY[ledger_transfers.debit_account_id, ledger_transfers.credit_account_id]))))))
""",
    # Row-level security switched on
    r"""ALTER TABLE public.org_people ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY org_people_tenant ON public.org_people USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Row-level security switched on
    r"""ALTER TABLE public.organisations ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY organisations_tenant ON public.organisations USING (((id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Row-level security switched on
    r"""ALTER TABLE public.outbox_events ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY outbox_events_tenant ON public.outbox_events USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Row-level security switched on
    r"""ALTER TABLE public.people ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY people_insert ON public.people FOR INSERT WITH CHECK (((public.kith_current_org() IS NOT NULL) OR public.kith_is_platform()))""",
    r"""
CREATE POLICY people_read ON public.people FOR SELECT USING ((public.kith_is_platform() OR (EXISTS ( SELECT 1
   FROM public.org_people op
  WHERE ((op.org_id = public.kith_current_org()) AND (op.canonical_id = people.canonical_id))))))
""",
    r"""CREATE POLICY people_update ON public.people FOR UPDATE USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.person_match ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY person_match_tenant ON public.person_match USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Row-level security switched on
    r"""ALTER TABLE public.person_merges ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY person_merges_platform ON public.person_merges USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.person_records ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY person_records_tenant ON public.person_records USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    r"""CREATE POLICY person_records_via_consent ON public.person_records FOR SELECT USING (((public.kith_current_purpose() IS NOT NULL) AND public.kith_consented(person_id, ARRAY['identity'::text, 'contact'::text, 'address'::text])))""",
    # Row-level security switched on
    r"""ALTER TABLE public.portal_codes ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY portal_codes_platform ON public.portal_codes USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.portal_sessions ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY portal_sessions_platform ON public.portal_sessions USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.postcodes ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY postcodes_platform ON public.postcodes USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.relationships ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY relationships_tenant ON public.relationships USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    r"""CREATE POLICY relationships_via_consent ON public.relationships FOR SELECT USING (((public.kith_current_purpose() IS NOT NULL) AND (public.kith_consented(person_id, ARRAY['relationships'::text]) OR public.kith_consented(other_person_id, ARRAY['relationships'::text]))))""",
    # Row-level security switched on
    r"""ALTER TABLE public.reward_cards ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY reward_cards_platform ON public.reward_cards USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())""",
    # Row-level security switched on
    r"""ALTER TABLE public.webhook_deliveries ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY webhook_deliveries_tenant ON public.webhook_deliveries USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Row-level security switched on
    r"""ALTER TABLE public.webhook_subscriptions ENABLE ROW LEVEL SECURITY""",
    # Row-level security policies
    r"""CREATE POLICY webhook_subscriptions_tenant ON public.webhook_subscriptions USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))""",
    # Privileges of the service's role
    r"""GRANT SELECT,INSERT ON TABLE public.audit_log TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_begin(p_org uuid, p_platform boolean, p_client text) TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_consented(p_person uuid, p_categories text[]) TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_current_org() TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_current_purpose() TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_is_platform() TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_ledger_apply(p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb, p_org uuid, p_owner_only boolean) TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_ledger_replay(p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_metadata jsonb) TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_ledger_request(p_client text, p_platform boolean, p_org uuid, p_actor text, p_request_id text, p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb) TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_ledger_requests(p_client text[], p_platform boolean[], p_org uuid[], p_actor text[], p_request_id text[], p_id uuid[], p_debit uuid[], p_credit uuid[], p_amount bigint[], p_code text[], p_phase text[], p_pending_id uuid[], p_timeout_at timestamp with time zone[], p_metadata text[]) TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_ledger_transfer(p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb, p_org uuid, p_owner_only boolean) TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_ledger_view(p_id uuid) TO kith_app""",
    r"""GRANT ALL ON FUNCTION public.kith_platform_on() TO kith_app""",
    r"""GRANT SELECT,INSERT ON TABLE public.access_log TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.api_clients TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.area_links TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.areas TO kith_app""",
    r"""GRANT SELECT,INSERT,UPDATE ON TABLE public.consent_grants TO kith_app""",
    r"""GRANT SELECT,INSERT,UPDATE ON TABLE public.consent_receipts TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.dev_outbox TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.identity_decisions TO kith_app""",
    r"""GRANT SELECT,INSERT,UPDATE ON TABLE public.identity_parameters TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.indicator_activity TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.indicator_residents TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.indicator_state TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.indicator_values TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.interactions TO kith_app""",
    r"""GRANT SELECT,INSERT,UPDATE ON TABLE public.ledger_accounts TO kith_app""",
    r"""GRANT SELECT,INSERT ON TABLE public.ledger_transfers TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.org_people TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.organisations TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.outbox_events TO kith_app""",
    r"""GRANT SELECT,INSERT,UPDATE ON TABLE public.people TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.person_match TO kith_app""",
    r"""GRANT SELECT,INSERT,UPDATE ON TABLE public.person_merges TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.person_records TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.portal_codes TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.portal_sessions TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.postcodes TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.relationships TO kith_app""",
    r"""GRANT SELECT,INSERT,UPDATE ON TABLE public.reward_cards TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.webhook_deliveries TO kith_app""",
    r"""GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.webhook_subscriptions TO kith_app""",
]

# The audit trail's 64 hash chains start at the genesis hash (chain = backend pid mod 64).
AUDIT_CHAIN_HEADS = (
    "INSERT INTO audit_chain_heads (chain, seq, hash) "
    "SELECT g, 0, decode(repeat('00', 32), 'hex') FROM generate_series(0, 63) AS g"
)

DROP = [
    "DROP TABLE IF EXISTS public.webhook_subscriptions CASCADE",
    "DROP TABLE IF EXISTS public.webhook_deliveries CASCADE",
    "DROP TABLE IF EXISTS public.reward_cards CASCADE",
    "DROP TABLE IF EXISTS public.relationships CASCADE",
    "DROP TABLE IF EXISTS public.postcodes CASCADE",
    "DROP TABLE IF EXISTS public.portal_sessions CASCADE",
    "DROP TABLE IF EXISTS public.portal_codes CASCADE",
    "DROP TABLE IF EXISTS public.person_records CASCADE",
    "DROP TABLE IF EXISTS public.person_merges CASCADE",
    "DROP TABLE IF EXISTS public.person_match CASCADE",
    "DROP TABLE IF EXISTS public.people CASCADE",
    "DROP TABLE IF EXISTS public.outbox_events CASCADE",
    "DROP TABLE IF EXISTS public.organisations CASCADE",
    "DROP TABLE IF EXISTS public.org_people CASCADE",
    "DROP TABLE IF EXISTS public.ledger_transfers CASCADE",
    "DROP TABLE IF EXISTS public.ledger_accounts CASCADE",
    "DROP TABLE IF EXISTS public.interactions CASCADE",
    "DROP TABLE IF EXISTS public.indicator_values CASCADE",
    "DROP TABLE IF EXISTS public.indicator_state CASCADE",
    "DROP TABLE IF EXISTS public.indicator_residents CASCADE",
    "DROP TABLE IF EXISTS public.indicator_activity CASCADE",
    "DROP TABLE IF EXISTS public.identity_parameters CASCADE",
    "DROP TABLE IF EXISTS public.identity_decisions CASCADE",
    "DROP TABLE IF EXISTS public.dev_outbox CASCADE",
    "DROP TABLE IF EXISTS public.consent_receipts CASCADE",
    "DROP TABLE IF EXISTS public.consent_grants CASCADE",
    "DROP TABLE IF EXISTS public.audit_chain_heads CASCADE",
    "DROP TABLE IF EXISTS public.areas CASCADE",
    "DROP TABLE IF EXISTS public.area_links CASCADE",
    "DROP TABLE IF EXISTS public.api_clients CASCADE",
    "DROP TABLE IF EXISTS public.access_log CASCADE",
    "DROP TABLE IF EXISTS public.audit_log CASCADE",
    "DROP FUNCTION IF EXISTS public.kith_refuse_change()",
    "DROP FUNCTION IF EXISTS public.kith_platform_on()",
    "DROP FUNCTION IF EXISTS public.kith_people_changed()",
    "DROP FUNCTION IF EXISTS public.kith_ledger_view(uuid)",
    "DROP FUNCTION IF EXISTS public.kith_ledger_transfer(uuid, uuid, uuid, bigint, text, text, uuid, timestamp with time zone, jsonb, uuid, boolean)",
    "DROP FUNCTION IF EXISTS public.kith_ledger_requests(text[], boolean[], uuid[], text[], text[], uuid[], uuid[], uuid[], bigint[], text[], text[], uuid[], timestamp with time zone[], text[])",
    "DROP FUNCTION IF EXISTS public.kith_ledger_request(text, boolean, uuid, text, text, uuid, uuid, uuid, bigint, text, text, uuid, timestamp with time zone, jsonb)",
    "DROP FUNCTION IF EXISTS public.kith_ledger_replay(uuid, uuid, uuid, bigint, text, text, uuid, jsonb)",
    "DROP FUNCTION IF EXISTS public.kith_ledger_immutable()",
    "DROP FUNCTION IF EXISTS public.kith_ledger_apply(uuid, uuid, uuid, bigint, text, text, uuid, timestamp with time zone, jsonb, uuid, boolean)",
    "DROP FUNCTION IF EXISTS public.kith_is_platform()",
    "DROP FUNCTION IF EXISTS public.kith_current_purpose()",
    "DROP FUNCTION IF EXISTS public.kith_current_org()",
    "DROP FUNCTION IF EXISTS public.kith_consented(uuid, text[])",
    "DROP FUNCTION IF EXISTS public.kith_begin(uuid, boolean, text)",
    "DROP FUNCTION IF EXISTS public.kith_audit_chain()",
    "DROP FUNCTION IF EXISTS public.kith_audit_canonical(public.audit_log)",
]


def upgrade() -> None:
    op.execute(APP_ROLE)
    # Functions are created before the tables their bodies name (as pg_dump restores them).
    op.execute("SET LOCAL check_function_bodies = false")
    for statement in SCHEMA:
        op.execute(statement)
    op.execute(AUDIT_CHAIN_HEADS)
    op.execute("GRANT SELECT ON alembic_version TO kith_app")
    op.execute("SET LOCAL check_function_bodies = true")


def downgrade() -> None:
    op.execute("REVOKE SELECT ON alembic_version FROM kith_app")
    for statement in DROP:
        op.execute(statement)
    # The role kith_app stays: it is shared by every Kith database on this server.
