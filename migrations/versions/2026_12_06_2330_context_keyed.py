"""A transaction's context is opened only with the service's key.

Revision ID: 2026_12_06_context_keyed
Revises: 2026_12_06_ledger_org_scoped
Create Date: 2026-12-06 23:30

Row-level security decides what a transaction sees from its context: the organisation it acts for
(``kith.org_id``) and whether it works across organisations (``kith.platform``). Until now both
were session variables any statement could set, so a statement smuggled into a request
(an injection) could read every organisation's rows with one ``set_config``.

Now a context is only believed with a proof. ``kith_begin`` (which opens every transaction) and
``kith_platform_on`` (which widens one to the platform scope) take the service's key — a secret
held by the service (KITH_SERVICE_KEY or service.key), of which the database keeps only a SHA-256
digest (``kith_service_keys``, registered by ``kith db upgrade``) — and set ``kith.context`` to a
token: SHA-256 over a random secret the service's role cannot read (``kith_context_secret``), the
organisation, the platform flag and the transaction's start time. ``kith_current_org()`` and
``kith_is_platform()`` answer only when the token matches the context (``kith_context_valid``), so
a context variable set by any other means opens nothing, and a token seen in one transaction is
worth nothing in the next. ``kith_platform_restore`` narrows a platform scope again and needs no
key.

The policies read the context once per statement (``(SELECT kith_current_org())``, an InitPlan),
not once per row. The ledger's functions, which work across two owners' accounts, take the key
too (``p_key``), and widen to the platform scope only with it.

Downgrading puts back the unkeyed context and functions.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

revision = "2026_12_06_context_keyed"
down_revision = "2026_12_06_ledger_org_scoped"
branch_labels = None
depends_on = None

TABLES = [
    """
CREATE TABLE public.kith_context_secret (
    one boolean DEFAULT true NOT NULL,
    secret bytea NOT NULL,
    CONSTRAINT pk_kith_context_secret PRIMARY KEY (one),
    CONSTRAINT ck_kith_context_secret_one CHECK (one)
)
""",
    # 366 random bits (three version-4 UUIDs, drawn from the server's strong random source).
    """INSERT INTO public.kith_context_secret (secret)
       VALUES (sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text,
                                 'UTF8')))""",
    """
CREATE TABLE public.kith_service_keys (
    digest bytea NOT NULL,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_kith_service_keys PRIMARY KEY (digest)
)
""",
    # Only their owner reads or writes them: the service's role has no privilege on either, and
    # row-level security (no policy) hides them from anyone else the owner might grant.
    "ALTER TABLE public.kith_context_secret ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE public.kith_service_keys ENABLE ROW LEVEL SECURITY",
    "REVOKE ALL ON TABLE public.kith_context_secret FROM PUBLIC",
    "REVOKE ALL ON TABLE public.kith_service_keys FROM PUBLIC",
]

CONTEXT_FUNCTIONS = [
    # The token of a context in this transaction.
    r"""
CREATE FUNCTION public.kith_context_token(p_org text, p_platform text) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
  RETURN encode(sha256((SELECT s.secret FROM public.kith_context_secret s)
                       || convert_to(concat_ws('/', p_org, p_platform, extract(epoch FROM now())), 'UTF8')), 'hex');
END $$
""",
    # Whether this transaction's context was opened by kith_begin / kith_platform_on as it stands.
    r"""
CREATE FUNCTION public.kith_context_valid() RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
  token text := current_setting('kith.context', true);
BEGIN
  IF token IS NULL OR token = '' THEN
    RETURN false;
  END IF;
  RETURN token = encode(sha256((SELECT s.secret FROM public.kith_context_secret s)
                               || convert_to(concat_ws('/', coalesce(current_setting('kith.org_id', true), ''),
                                                       coalesce(current_setting('kith.platform', true), ''),
                                                       extract(epoch FROM now())), 'UTF8')), 'hex');
END $$
""",
    # Raises unless p_key is a key the owner registered.
    r"""
CREATE FUNCTION public.kith_service_key_check(p_key bytea) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
  IF p_key IS NULL OR NOT EXISTS (SELECT 1 FROM public.kith_service_keys k WHERE k.digest = sha256(p_key)) THEN
    RAISE EXCEPTION 'a transaction''s context is opened only with the service''s key'
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'kith db upgrade registers the key of the service''s KITH_AUDIT_KEY (or audit.key)';
  END IF;
END $$
""",
    r"""
CREATE FUNCTION public.kith_context_put(p_org text, p_platform text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
  PERFORM set_config('kith.org_id', p_org, true);
  PERFORM set_config('kith.platform', p_platform, true);
  PERFORM set_config('kith.context', public.kith_context_token(p_org, p_platform), true);
END $$
""",
    "DROP FUNCTION public.kith_begin(uuid, boolean, text)",
    r"""
CREATE FUNCTION public.kith_begin(p_org uuid, p_platform boolean, p_client text, p_key bytea) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
  -- Opens the transaction's context (organisation, platform scope) and answers whether the calling
  -- API client is still enabled.
  PERFORM public.kith_service_key_check(p_key);
  PERFORM public.kith_context_put(coalesce(p_org::text, ''), CASE WHEN p_platform THEN 'on' ELSE '' END);
  IF p_client IS NULL THEN
    RETURN true;
  END IF;
  RETURN EXISTS (SELECT 1 FROM public.api_clients WHERE client_id = p_client AND disabled_at IS NULL);
END $$
""",
    "DROP FUNCTION public.kith_platform_on()",
    r"""
CREATE FUNCTION public.kith_platform_on(p_key bytea) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
  org text := coalesce(current_setting('kith.org_id', true), '');
  previous text := coalesce(current_setting('kith.platform', true), '');
BEGIN
  -- Widens this transaction's context to the platform scope (answering the scope it had, for
  -- kith_platform_restore); its organisation must be the one kith_begin set.
  PERFORM public.kith_service_key_check(p_key);
  IF (org <> '' OR previous <> '') AND NOT public.kith_context_valid() THEN
    RAISE EXCEPTION 'this transaction''s context was changed outside kith_begin'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM public.kith_context_put(org, 'on');
  RETURN previous;
END $$
""",
    r"""
CREATE FUNCTION public.kith_platform_restore(p_previous text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
  -- Back to the scope kith_platform_on answered: only ever narrower, so no key is needed.
  IF coalesce(current_setting('kith.platform', true), '') <> 'on' OR NOT public.kith_context_valid() THEN
    RAISE EXCEPTION 'only a platform scope opened with the service''s key is restored'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM public.kith_context_put(coalesce(current_setting('kith.org_id', true), ''),
                                  CASE WHEN p_previous = 'on' THEN 'on' ELSE '' END);
END $$
""",
    r"""
CREATE OR REPLACE FUNCTION public.kith_current_org() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN coalesce(current_setting('kith.org_id', true), '') = '' THEN NULL
                      WHEN public.kith_context_valid() THEN current_setting('kith.org_id', true)::uuid END $$
""",
    r"""
CREATE OR REPLACE FUNCTION public.kith_is_platform() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN coalesce(current_setting('kith.platform', true), '') <> 'on' THEN false
                      ELSE public.kith_context_valid() END $$
""",
    "REVOKE ALL ON FUNCTION public.kith_context_token(text, text) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_context_put(text, text) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_service_key_check(bytea) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_context_valid() FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_begin(uuid, boolean, text, bytea) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_platform_on(bytea) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_platform_restore(text) FROM PUBLIC",
    "GRANT EXECUTE ON FUNCTION public.kith_context_valid() TO kith_app",
    "GRANT EXECUTE ON FUNCTION public.kith_begin(uuid, boolean, text, bytea) TO kith_app",
    "GRANT EXECUTE ON FUNCTION public.kith_platform_on(bytea) TO kith_app",
    "GRANT EXECUTE ON FUNCTION public.kith_platform_restore(text) TO kith_app",
]

# The consent rule the policies call row by row: its context read once per statement too.
CONSENTED = r"""
CREATE OR REPLACE FUNCTION public.kith_consented(p_person uuid, p_categories text[]) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
       SELECT kith_current_purpose() IS NOT NULL AND (SELECT kith_current_org()) IS NOT NULL AND EXISTS (
         SELECT 1 FROM people rp
           JOIN org_people op ON op.canonical_id = rp.canonical_id AND op.org_id = (SELECT kith_current_org())
           JOIN consent_grants g ON g.org_person_id = op.org_person_id
          WHERE rp.id = p_person
            AND g.purpose = kith_current_purpose()
            AND g.confirmed_at IS NOT NULL
            AND g.withdrawn_at IS NULL
            AND (g.expires_at IS NULL OR g.expires_at > now())
            AND g.categories && p_categories) $$
"""

# Every policy reads the context once per statement: a function in a policy is otherwise called for
# every row it is checked against.
_ONCE_PER_STATEMENT = r"""
DO $$
DECLARE
  p record;
  q text;
  c text;
BEGIN
  FOR p IN SELECT pol.polname, cls.relname, pg_get_expr(pol.polqual, pol.polrelid) AS qual,
                  pg_get_expr(pol.polwithcheck, pol.polrelid) AS chk
             FROM pg_policy pol JOIN pg_class cls ON cls.oid = pol.polrelid
            WHERE cls.relnamespace = 'public'::regnamespace LOOP
    q := regexp_replace(p.qual, '%(FROM)s', '%(TO)s', 'g');
    c := regexp_replace(p.chk, '%(FROM)s', '%(TO)s', 'g');
    IF q IS DISTINCT FROM p.qual OR c IS DISTINCT FROM p.chk THEN
      EXECUTE format('ALTER POLICY %%I ON public.%%I', p.polname, p.relname)
              || coalesce(' USING (' || q || ')', '') || coalesce(' WITH CHECK (' || c || ')', '');
    END IF;
  END LOOP;
END $$
"""
ONCE_PER_STATEMENT = _ONCE_PER_STATEMENT % {
    "FROM": r"(public\.)?(kith_current_org|kith_is_platform)\(\)",
    "TO": r"(SELECT public.\2())",
}
ONCE_PER_ROW = _ONCE_PER_STATEMENT % {
    "FROM": r"\(\s*SELECT (public\.)?(kith_current_org|kith_is_platform)\(\) AS \w+\)",
    "TO": r"public.\2()",
}
VIEW = r"""
CREATE FUNCTION public.kith_ledger_view(p_id uuid, p_viewer uuid, p_platform boolean, p_key bytea) RETURNS TABLE(id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
  previous text := kith_platform_on(p_key);
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
  PERFORM kith_platform_restore(previous);
END $$
"""

REQUEST = r"""
CREATE FUNCTION public.kith_ledger_request(p_key bytea, p_client text, p_platform boolean, p_org uuid, p_actor text, p_request_id text, p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb) RETURNS TABLE(result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
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

REQUESTS = r"""
CREATE FUNCTION public.kith_ledger_requests(p_key bytea, p_client text[], p_platform boolean[], p_org uuid[], p_actor text[], p_request_id text[], p_id uuid[], p_debit uuid[], p_credit uuid[], p_amount bigint[], p_code text[], p_phase text[], p_pending_id uuid[], p_timeout_at timestamp with time zone[], p_metadata text[]) RETURNS TABLE(ord integer, result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    AS $$
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
    ORDER BY a.id FOR UPDATE;
  FOR i IN 1 .. coalesce(array_length(p_id, 1), 0) LOOP
    RETURN QUERY SELECT i, r.*
      FROM kith_ledger_request(p_key, p_client[i], p_platform[i], p_org[i], p_actor[i], p_request_id[i], p_id[i],
                               p_debit[i], p_credit[i], p_amount[i], p_code[i], p_phase[i], p_pending_id[i],
                               p_timeout_at[i], p_metadata[i]::jsonb) r;
  END LOOP;
END $$
"""

TRANSFER = r"""
CREATE FUNCTION public.kith_ledger_transfer(p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid, p_timeout_at timestamp with time zone, p_metadata jsonb, p_org uuid, p_owner_only boolean, p_platform boolean, p_key bytea) RETURNS TABLE(result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text, pending_id uuid, timeout_at timestamp with time zone, metadata jsonb, created_at timestamp with time zone, status text)
    LANGUAGE plpgsql
    AS $$
DECLARE
  previous text;
  outcome text;
BEGIN
  -- A transfer touches two owners' accounts: the function works in the platform scope and restores
  -- the caller's afterwards. p_owner_only: the caller (p_org) may debit only its own accounts, and
  -- end only holds it made. The transfer is answered as p_org is shown it (p_platform: as it is).
  previous := kith_platform_on(p_key);
  outcome := kith_ledger_apply(p_id, p_debit, p_credit, p_amount, p_code, p_phase, p_pending_id, p_timeout_at,
                               p_metadata, p_org, p_owner_only);
  RETURN QUERY SELECT outcome, v.* FROM kith_ledger_view(kith_transfer_key(p_org, p_id), p_org, p_platform, p_key) v
    UNION ALL SELECT outcome, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    WHERE NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = kith_transfer_key(p_org, p_id));
  PERFORM kith_platform_restore(previous);
END $$
"""

_TRANSFER_ARGS = (
    "uuid, uuid, uuid, bigint, text, text, uuid, timestamp with time zone, jsonb, uuid, boolean, boolean"
)
_REQUEST_ARGS = "text, boolean, uuid, text, text, uuid, uuid, uuid, bigint, text, text, uuid, timestamp with time zone, jsonb"
_REQUESTS_ARGS = (
    "text[], boolean[], uuid[], text[], text[], uuid[], uuid[], uuid[], bigint[], text[], text[], uuid[], "
    "timestamp with time zone[], text[]"
)

LEDGER_FUNCTIONS = [
    f"DROP FUNCTION public.kith_ledger_requests({_REQUESTS_ARGS})",
    f"DROP FUNCTION public.kith_ledger_request({_REQUEST_ARGS})",
    f"DROP FUNCTION public.kith_ledger_transfer({_TRANSFER_ARGS})",
    "DROP FUNCTION public.kith_ledger_view(uuid, uuid, boolean)",
    VIEW,
    REQUEST,
    REQUESTS,
    TRANSFER,
    "GRANT ALL ON FUNCTION public.kith_ledger_view(uuid, uuid, boolean, bytea) TO kith_app",
    f"GRANT ALL ON FUNCTION public.kith_ledger_transfer({_TRANSFER_ARGS}, bytea) TO kith_app",
]


def upgrade() -> None:
    for statement in [*TABLES, *CONTEXT_FUNCTIONS, CONSENTED, ONCE_PER_STATEMENT, *LEDGER_FUNCTIONS]:
        op.execute(statement)


def _before():
    """The revision before this one, whose functions the downgrade puts back."""
    path = Path(__file__).with_name("2026_12_06_2300_ledger_org_scoped.py")
    spec = importlib.util.spec_from_file_location("kith_ledger_org_scoped", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


OLD_CONTEXT = [
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
CREATE OR REPLACE FUNCTION public.kith_current_org() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('kith.org_id', true), '')::uuid $$
""",
    r"""
CREATE OR REPLACE FUNCTION public.kith_is_platform() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('kith.platform', true), '') = 'on' $$
""",
    "GRANT ALL ON FUNCTION public.kith_begin(uuid, boolean, text) TO kith_app",
    "GRANT ALL ON FUNCTION public.kith_platform_on() TO kith_app",
]


def downgrade() -> None:
    before = _before()
    op.execute("DROP FUNCTION public.kith_ledger_view(uuid, uuid, boolean, bytea)")
    op.execute(f"DROP FUNCTION public.kith_ledger_requests(bytea, {_REQUESTS_ARGS})")
    op.execute(f"DROP FUNCTION public.kith_ledger_request(bytea, {_REQUEST_ARGS})")
    op.execute(f"DROP FUNCTION public.kith_ledger_transfer({_TRANSFER_ARGS}, bytea)")
    op.execute(ONCE_PER_ROW)
    for name in (
        "kith_begin(uuid, boolean, text, bytea)",
        "kith_platform_on(bytea)",
        "kith_platform_restore(text)",
    ):
        op.execute(f"DROP FUNCTION public.{name}")
    for statement in OLD_CONTEXT:
        op.execute(statement)
    op.execute(
        CONSENTED.replace("(SELECT kith_current_org())", "kith_current_org()")
    )  # as the trust revision made it
    for name in ("kith_context_put(text, text)", "kith_context_valid()", "kith_context_token(text, text)"):
        op.execute(f"DROP FUNCTION public.{name}")
    op.execute("DROP FUNCTION public.kith_service_key_check(bytea)")
    for statement in (before.VIEW, before.REQUEST, before.REQUESTS, before.TRANSFER):
        op.execute(statement)
    op.execute("GRANT ALL ON FUNCTION public.kith_ledger_view(uuid, uuid, boolean) TO kith_app")
    op.execute(f"GRANT ALL ON FUNCTION public.kith_ledger_transfer({_TRANSFER_ARGS}) TO kith_app")
    op.execute("DROP TABLE public.kith_service_keys")
    op.execute("DROP TABLE public.kith_context_secret")
