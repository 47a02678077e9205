"""A resident's portal pages run in a scope that row-level security keeps to that resident.

Revision ID: 2026_12_07_resident_scope
Revises: 2026_12_07_one_audit_writer
Create Date: 2026-12-07 14:00

Until now every portal page ran in the platform scope, and that a resident saw only their own data
was enforced by the rights functions alone. Now a signed-in resident's page narrows its
transaction with ``kith_resident_on(key, person)``: no organisation, no platform scope, and the
resident (``kith.resident``, believed only beside a token keyed as the organisation context is,
``kith_current_resident()``). Each table a resident's page reads or writes gets a policy admitting
the rows of that resident's person ids (``kith_resident_people()``: the person and every id merged
into it), read once per statement:

- read: ``people``, ``person_records``, ``org_people``, the organisations that hold an id for them,
  their ``consent_grants`` and ``consent_receipts``, ``access_log``, ``interactions``,
  ``relationships`` (either end), their wallet in ``ledger_accounts`` (its transfers follow, by the
  existing policy on ``ledger_transfers``), ``reward_cards``, ``spend_codes``, ``portal_sessions``;
- write: their own claims (``person_records`` and ``person_match`` rows with no organisation),
  grants they give in the portal as themselves or confirm or withdraw (to the organisation holding
  the id each names), their receipts (added, never changed), ``people`` (their research objection
  only: ``people_resident_guard``); and append-only, without reading, ``audit_log`` entries with
  the resident as actor.

The resident's ids are fixed when the scope opens (``kith.resident_people``, under the token):
nothing written in the scope changes whose rows it sees, and the policies read no table to know.

What works across people by nature keeps widening explicitly with the service's key
(``kith_platform_on``): identity matching, the ledger's functions, cards and spend codes, mail and
events to organisations, and erasure, which hands a person's rows to an erased id.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_resident_scope"
down_revision = "2026_12_07_one_audit_writer"
branch_labels = None
depends_on = None

FUNCTIONS = [
    # The token a resident scope is believed by: the context secret over the person, their ids and
    # the transaction's start.
    r"""
CREATE FUNCTION public.kith_resident_token(p_person text, p_people text) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
  RETURN encode(sha256((SELECT s.secret FROM public.kith_context_secret s)
                       || convert_to(concat_ws('/', 'resident', p_person, p_people, extract(epoch FROM now())),
                                     'UTF8')), 'hex');
END $$
""",
    r"""
CREATE FUNCTION public.kith_resident_on(p_key bytea, p_person uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
  ids uuid[];
BEGIN
  -- Narrows this transaction to one resident: no organisation, not the platform scope. Their ids
  -- (the person and every id merged into the same person) are fixed here, once, read in the
  -- platform scope: nothing the narrowed transaction writes can change whose rows it sees.
  PERFORM public.kith_service_key_check(p_key);
  IF p_person IS NULL THEN
    RAISE EXCEPTION 'a resident scope needs the resident''s person id' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM public.kith_context_put('', 'on');
  ids := coalesce((SELECT array_agg(p.id ORDER BY p.id) FROM public.people p
                    WHERE p.canonical_id = (SELECT q.canonical_id FROM public.people q WHERE q.id = p_person)),
                  '{}');
  PERFORM public.kith_context_put('', '');
  PERFORM set_config('kith.resident', p_person::text, true);
  PERFORM set_config('kith.resident_people', ids::text, true);
  PERFORM set_config('kith.resident_token', public.kith_resident_token(p_person::text, ids::text), true);
END $$
""",
    r"""
CREATE FUNCTION public.kith_current_resident() RETURNS uuid
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
  r text := coalesce(current_setting('kith.resident', true), '');
BEGIN
  IF r = '' OR coalesce(current_setting('kith.resident_token', true), '')
                 <> public.kith_resident_token(r, coalesce(current_setting('kith.resident_people', true), '')) THEN
    RETURN NULL;
  END IF;
  RETURN r::uuid;
END $$
""",
    # The resident's person ids, as kith_resident_on fixed them (no table is read: a policy may call it).
    r"""
CREATE FUNCTION public.kith_resident_people() RETURNS uuid[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
  IF public.kith_current_resident() IS NULL THEN
    RETURN '{}';
  END IF;
  RETURN current_setting('kith.resident_people', true)::uuid[];
END $$
""",
    # A resident changes only their objection to research on their own people rows.
    r"""
CREATE FUNCTION public.kith_people_resident_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
    AS $$
BEGIN
  IF current_user = 'kith_app' AND NOT kith_is_platform() AND kith_current_resident() IS NOT NULL
     AND (NEW.id, NEW.canonical_id, NEW.merged_into, NEW.status, NEW.created_at)
         IS DISTINCT FROM (OLD.id, OLD.canonical_id, OLD.merged_into, OLD.status, OLD.created_at) THEN
    RAISE EXCEPTION 'a resident changes only their objection to research' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$
""",
    "CREATE TRIGGER people_resident_guard BEFORE UPDATE ON public.people "
    "FOR EACH ROW EXECUTE FUNCTION public.kith_people_resident_guard()",
    "REVOKE ALL ON FUNCTION public.kith_resident_token(text, text) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_people_resident_guard() FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_resident_on(bytea, uuid) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_current_resident() FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_resident_people() FROM PUBLIC",
    "GRANT EXECUTE ON FUNCTION public.kith_resident_on(bytea, uuid) TO kith_app",
    "GRANT EXECUTE ON FUNCTION public.kith_current_resident() TO kith_app",
    "GRANT EXECUTE ON FUNCTION public.kith_resident_people() TO kith_app",
]

# A resident may confirm a grant that awaits them, and give one, as the platform scope could: the
# guard's other rules (terms never change, a withdrawal stands, no card or link grants) hold for them.
GRANT_GUARD = r"""
CREATE OR REPLACE FUNCTION public.kith_grant_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  -- The service's role is the one held to this; the tables' owner (migrations, an operator at
  -- psql) is not: it could switch the trigger off anyway.
  IF kith_is_platform() OR current_user <> 'kith_app' THEN
    RETURN NEW;
  END IF;
  IF NEW.method = 'card_presented' THEN
    RAISE EXCEPTION 'card_presented grants are recorded only by resolving a card'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'INSERT' AND NEW.confirm_token_hash IS NOT NULL THEN
    RAISE EXCEPTION 'the link that confirms a grant is the platform''s to make'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- A resident gives a grant in the portal as themselves: no organisation's method or evidence.
  IF TG_OP = 'INSERT' AND (SELECT kith_current_resident()) IS NOT NULL
     AND (NEW.method <> 'portal' OR NEW.granted_by IS DISTINCT FROM 'resident:' || kith_current_resident()::text
          OR coalesce(NEW.evidence, 'null'::jsonb) <> 'null'::jsonb) THEN
    RAISE EXCEPTION 'a resident gives a grant in the portal, as themselves'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.id, NEW.org_id, NEW.org_person_id, NEW.purpose, NEW.categories, NEW.method, NEW.evidence,
        NEW.granted_by, NEW.granted_at, NEW.expires_at)
       IS DISTINCT FROM (OLD.id, OLD.org_id, OLD.org_person_id, OLD.purpose, OLD.categories, OLD.method,
        OLD.evidence, OLD.granted_by, OLD.granted_at, OLD.expires_at)
       OR (OLD.withdrawn_at IS NOT NULL AND NEW.withdrawn_at IS DISTINCT FROM OLD.withdrawn_at)
       OR (OLD.confirm_token_hash IS DISTINCT FROM NEW.confirm_token_hash AND NEW.confirm_token_hash IS NOT NULL)
       OR (OLD.confirmed_at IS NOT NULL AND NEW.confirmed_at IS DISTINCT FROM OLD.confirmed_at) THEN
      RAISE EXCEPTION 'an organisation may only withdraw a grant it recorded'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.confirmed_at IS NOT NULL OR NEW.confirmed_at IS NULL THEN
      RETURN NEW;
    END IF;
  ELSIF NEW.confirmed_at IS NULL THEN
    RETURN NEW;
  END IF;
  -- A resident confirms or gives their own grants (row-level security keeps them to their own).
  IF (SELECT kith_current_resident()) IS NOT NULL THEN
    RETURN NEW;
  END IF;
  IF NEW.method = 'recorded_by_org' AND EXISTS (
       SELECT 1 FROM organisations o WHERE o.id = NEW.org_id AND o.records_consent) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'a grant this organisation records awaits the resident' USING ERRCODE = 'insufficient_privilege';
END $function$
"""

GRANT_GUARD_BEFORE = r"""
CREATE OR REPLACE FUNCTION public.kith_grant_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  -- The service's role is the one held to this; the tables' owner (migrations, an operator at
  -- psql) is not: it could switch the trigger off anyway.
  IF kith_is_platform() OR current_user <> 'kith_app' THEN
    RETURN NEW;
  END IF;
  IF NEW.method = 'card_presented' THEN
    RAISE EXCEPTION 'card_presented grants are recorded only by resolving a card'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'INSERT' AND NEW.confirm_token_hash IS NOT NULL THEN
    RAISE EXCEPTION 'the link that confirms a grant is the platform''s to make'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.id, NEW.org_id, NEW.org_person_id, NEW.purpose, NEW.categories, NEW.method, NEW.evidence,
        NEW.granted_by, NEW.granted_at, NEW.expires_at)
       IS DISTINCT FROM (OLD.id, OLD.org_id, OLD.org_person_id, OLD.purpose, OLD.categories, OLD.method,
        OLD.evidence, OLD.granted_by, OLD.granted_at, OLD.expires_at)
       OR (OLD.withdrawn_at IS NOT NULL AND NEW.withdrawn_at IS DISTINCT FROM OLD.withdrawn_at)
       OR (OLD.confirm_token_hash IS DISTINCT FROM NEW.confirm_token_hash AND NEW.confirm_token_hash IS NOT NULL)
       OR (OLD.confirmed_at IS NOT NULL AND NEW.confirmed_at IS DISTINCT FROM OLD.confirmed_at) THEN
      RAISE EXCEPTION 'an organisation may only withdraw a grant it recorded'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.confirmed_at IS NOT NULL OR NEW.confirmed_at IS NULL THEN
      RETURN NEW;
    END IF;
  ELSIF NEW.confirmed_at IS NULL THEN
    RETURN NEW;
  END IF;
  IF NEW.method = 'recorded_by_org' AND EXISTS (
       SELECT 1 FROM organisations o WHERE o.id = NEW.org_id AND o.records_consent) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'a grant this organisation records awaits the resident' USING ERRCODE = 'insufficient_privilege';
END $function$
"""

MINE = "((SELECT public.kith_resident_people())::uuid[])"  # once per statement (an InitPlan)
ACTOR = "(actor = 'resident:' || (SELECT public.kith_current_resident())::text)"
GRANTS_MINE = f"(org_person_id IN (SELECT op.org_person_id FROM public.org_people op WHERE op.canonical_id = ANY {MINE}))"

# A grant the resident writes is theirs, to the organisation that holds the id it names.
GRANT_WRITTEN = (
    f"({GRANTS_MINE[1:-1]} AND (org_id = (SELECT op.org_id FROM public.org_people op "
    "WHERE op.org_person_id = consent_grants.org_person_id)))"
)
RECEIPTS_MINE = f"(grant_id IN (SELECT g.id FROM public.consent_grants g WHERE g.{GRANTS_MINE[1:-1]}))"

# (table, policy, command, USING, WITH CHECK)
POLICIES = [
    ("people", "people_resident_read", "SELECT", f"(id = ANY {MINE})", None),
    # The research objection (people_resident_guard refuses any other change).
    ("people", "people_resident_update", "UPDATE", f"(id = ANY {MINE})", f"(id = ANY {MINE})"),
    ("person_records", "person_records_resident_read", "SELECT", f"(person_id = ANY {MINE})", None),
    (
        "person_records",
        "person_records_resident_own",
        "ALL",
        f"((org_id IS NULL) AND (person_id = ANY {MINE}))",
        f"((org_id IS NULL) AND (person_id = ANY {MINE}))",
    ),
    (
        "person_match",
        "person_match_resident_own",
        "ALL",
        f"((org_id IS NULL) AND (canonical_id = ANY {MINE}))",
        f"((org_id IS NULL) AND (canonical_id = ANY {MINE}))",
    ),
    ("org_people", "org_people_resident_read", "SELECT", f"(canonical_id = ANY {MINE})", None),
    (
        "organisations",
        "organisations_resident_read",
        "SELECT",
        f"(id IN (SELECT op.org_id FROM public.org_people op WHERE op.canonical_id = ANY {MINE}))",
        None,
    ),
    ("consent_grants", "consent_grants_resident_read", "SELECT", GRANTS_MINE, None),
    ("consent_grants", "consent_grants_resident_insert", "INSERT", None, GRANT_WRITTEN),
    ("consent_grants", "consent_grants_resident_update", "UPDATE", GRANTS_MINE, GRANT_WRITTEN),
    ("consent_receipts", "consent_receipts_resident_read", "SELECT", RECEIPTS_MINE, None),
    ("consent_receipts", "consent_receipts_resident_insert", "INSERT", None, RECEIPTS_MINE),
    ("access_log", "access_log_resident_read", "SELECT", f"(person_id = ANY {MINE})", None),
    ("interactions", "interactions_resident_read", "SELECT", f"(person_id = ANY {MINE})", None),
    (
        "relationships",
        "relationships_resident_read",
        "SELECT",
        f"((person_id = ANY {MINE}) OR (other_person_id = ANY {MINE}))",
        None,
    ),
    (
        "ledger_accounts",
        "ledger_accounts_resident_read",
        "SELECT",
        f"(((kind)::text = 'wallet'::text) AND (person_id = ANY {MINE}))",
        None,
    ),
    ("reward_cards", "reward_cards_resident_read", "SELECT", f"(person_id = ANY {MINE})", None),
    ("spend_codes", "spend_codes_resident_read", "SELECT", f"(person_id = ANY {MINE})", None),
    ("portal_sessions", "portal_sessions_resident_read", "SELECT", f"(person_id = ANY {MINE})", None),
    ("audit_log", "audit_log_resident_append", "INSERT", None, f"((org_id IS NULL) AND {ACTOR})"),
]


def _create(table: str, name: str, command: str, using: str | None, check: str | None) -> str:
    return (
        f"CREATE POLICY {name} ON public.{table} FOR {command}"
        + (f" USING {using}" if using else "")
        + (f" WITH CHECK {check}" if check else "")
    )


def upgrade() -> None:
    for statement in FUNCTIONS:
        op.execute(statement)
    for policy in POLICIES:
        op.execute(_create(*policy))
    op.execute(GRANT_GUARD)


def downgrade() -> None:
    op.execute(GRANT_GUARD_BEFORE)
    op.execute("DROP TRIGGER people_resident_guard ON public.people")
    op.execute("DROP FUNCTION public.kith_people_resident_guard()")
    for table, name, *_ in reversed(POLICIES):
        op.execute(f"DROP POLICY {name} ON public.{table}")
    for signature in [
        "kith_resident_people()",
        "kith_current_resident()",
        "kith_resident_on(bytea, uuid)",
        "kith_resident_token(text, text)",
    ]:
        op.execute(f"DROP FUNCTION public.{signature}")
