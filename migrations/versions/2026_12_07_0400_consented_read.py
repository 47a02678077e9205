"""A consented read in one statement, its access-log entry written in the reading transaction.

Revision ID: 2026_12_07_consented_read
Revises: 2026_12_07_review_queues
Create Date: 2026-12-07 04:00

The rule "an active grant for this purpose and category" had four homes: the policies'
``kith_consented``, and SQL in the consent, interactions and relationships code. It now has one:

- ``kith_grant_active(g)``: a grant opens anything (confirmed, not withdrawn, not expired);
- ``kith_grant_categories(org, person, purpose)``: the categories the organisation's active grants
  from the person cover for the purpose, which the reads below call. ``kith_consented``, which the
  row-level policies call row by row, asks the same of one row's person as an EXISTS over the same
  rule (``kith_grant_active``, the purpose, the categories): an aggregate per row made a policy
  over a large table time out.

Both are plpgsql now (a pinned search path, as every plpgsql function): a SQL function whose body
has a subquery is never inlined, and was planned again by every statement that called it — 0.45
and 0.85 ms of a profile read's 2.6 ms, measured; plpgsql keeps its plans for the session.

``kith_consented_read`` is every consented read's first statement, in the reading transaction
under its context: it resolves the organisation's id for the person, evaluates the grants, refuses
a read that needs a category not granted (nothing logged), states the purpose for the policies,
and writes the access-log entry. ``kith_profile_read`` is a whole profile read as one statement,
its own transaction: the caller's context (as ``kith_begin``), the records the grants let it see
(another organisation's claims only in granted categories), and the access-log entry naming the
categories shown. Neither is SECURITY DEFINER: row-level security applies to both.

``kith_attribute_category`` is the profile attributes' categories as the catalogue has them at
this revision (a test keeps the two in step).
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_consented_read"
down_revision = "2026_12_07_review_queues"
branch_labels = None
depends_on = None

FUNCTIONS = [
    r"""
CREATE FUNCTION public.kith_grant_active(g public.consent_grants) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT g.confirmed_at IS NOT NULL AND g.withdrawn_at IS NULL
                 AND (g.expires_at IS NULL OR g.expires_at > now()) $$
""",
    r"""
CREATE FUNCTION public.kith_grant_categories(p_org uuid, p_person uuid, p_purpose text) RETURNS text[]
    LANGUAGE plpgsql STABLE
    AS $$
BEGIN
  RETURN (SELECT coalesce(array_agg(DISTINCT c ORDER BY c), '{}'::text[])
            FROM public.org_people op
            JOIN public.consent_grants g ON g.org_person_id = op.org_person_id
            CROSS JOIN LATERAL unnest(g.categories) AS c
           WHERE op.org_id = p_org AND op.canonical_id = p_person AND g.purpose = p_purpose
             AND public.kith_grant_active(g));
END $$
""",
    r"""
CREATE OR REPLACE FUNCTION public.kith_consented(p_person uuid, p_categories text[]) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  -- Read once a call: the context's check is a hash, and the policies call this row by row.
  v_org uuid := public.kith_current_org();
  v_purpose text := public.kith_current_purpose();
BEGIN
  IF v_org IS NULL OR v_purpose IS NULL THEN
    RETURN false;
  END IF;
  RETURN EXISTS (
    SELECT 1 FROM public.people rp
      JOIN public.org_people op ON op.canonical_id = rp.canonical_id AND op.org_id = v_org
      JOIN public.consent_grants g ON g.org_person_id = op.org_person_id
     WHERE rp.id = p_person AND g.purpose = v_purpose AND public.kith_grant_active(g)
       AND g.categories && p_categories);
END $$
""",
    r"""
CREATE FUNCTION public.kith_attribute_category(p_attribute text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE p_attribute
                   WHEN 'given_name' THEN 'identity' WHEN 'family_name' THEN 'identity'
                   WHEN 'preferred_name' THEN 'identity' WHEN 'date_of_birth' THEN 'identity'
                   WHEN 'email' THEN 'contact' WHEN 'phone' THEN 'contact'
                   WHEN 'address' THEN 'address' WHEN 'uprn' THEN 'address' END $$
""",
    r"""
CREATE FUNCTION public.kith_consented_read(p_org_person uuid, p_purpose text, p_action text, p_required text,
                                           p_logged text[], p_client text, p_request_id text)
    RETURNS TABLE(outcome text, person_id uuid, categories text[])
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
  org uuid := public.kith_current_org();
BEGIN
  -- One consented read's first statement (the reading transaction's context already open): whose
  -- id it is, what the grants let the organisation see for the purpose, and — unless the read
  -- needs a category they do not cover ('*': any) — the purpose stated for the policies and the
  -- read logged (p_logged: the categories it shows, else those granted).
  IF p_action IS NULL OR p_purpose IS NULL THEN
    RAISE EXCEPTION 'a consented read names its action and purpose' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT p.id INTO person_id FROM public.org_people op JOIN public.people p ON p.id = op.canonical_id
   WHERE op.org_person_id = p_org_person AND op.org_id = org AND p.status <> 'erased';
  IF org IS NULL OR person_id IS NULL THEN
    outcome := 'not_found';
    person_id := NULL;
    RETURN NEXT;
    RETURN;
  END IF;
  categories := public.kith_grant_categories(org, person_id, p_purpose);
  IF p_required IS NOT NULL
     AND NOT (p_required = ANY(categories) OR (p_required = '*' AND cardinality(categories) > 0)) THEN
    outcome := 'refused';
    RETURN NEXT;
    RETURN;
  END IF;
  PERFORM set_config('kith.purpose', p_purpose, true);
  INSERT INTO public.access_log (org_id, client_id, person_id, org_person_id, purpose, categories, action,
                                 request_id, read_at)
  VALUES (org, p_client, person_id, p_org_person, p_purpose, coalesce(p_logged, categories), p_action,
          p_request_id, now());
  outcome := 'ok';
  RETURN NEXT;
END $$
""",
    r"""
CREATE FUNCTION public.kith_profile_read(p_key bytea, p_client text, p_org uuid, p_org_person uuid,
                                         p_purpose text, p_request_id text)
    RETURNS TABLE(outcome text, records jsonb)
    LANGUAGE plpgsql
    AS $$
DECLARE
  person uuid;
  granted text[];
  shown text[];
BEGIN
  -- A whole profile read, called as a statement of its own (its own transaction): the caller's
  -- context first, exactly as every request's transaction opens (kith_begin); then the records of
  -- the person the organisation may see — its own whole, another's claims only in the categories
  -- its grants cover for the purpose — and the access-log entry naming the categories shown.
  IF NOT public.kith_begin(p_org, false, p_client, p_key) THEN
    outcome := 'client_disabled';
    RETURN NEXT;
    RETURN;
  END IF;
  SELECT p.id INTO person FROM public.org_people op JOIN public.people p ON p.id = op.canonical_id
   WHERE op.org_person_id = p_org_person AND op.org_id = p_org AND p.status <> 'erased';
  IF p_org IS NULL OR person IS NULL THEN
    outcome := 'not_found';
    RETURN NEXT;
    RETURN;
  END IF;
  PERFORM set_config('kith.purpose', p_purpose, true);
  -- The grants and the records in one statement, so in one snapshot: a withdrawal committed
  -- meanwhile holds for both or for neither.
  SELECT g.granted, coalesce(jsonb_agg(jsonb_build_object(
           'org_id', r.org_id, 'source_sector', r.source_sector,
           'external_ref', CASE WHEN r.org_id = p_org THEN r.external_ref END,
           'claims', CASE WHEN r.org_id = p_org THEN r.claims
                          ELSE (SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb)
                                  FROM jsonb_each(r.claims) AS e
                                 WHERE public.kith_attribute_category(e.key) = ANY(g.granted)) END))
           FILTER (WHERE r.id IS NOT NULL), '[]'::jsonb)
    INTO granted, records
    FROM (SELECT public.kith_grant_categories(p_org, person, p_purpose) AS granted) AS g
    LEFT JOIN (public.person_records r JOIN public.people p ON p.id = r.person_id) ON p.canonical_id = person
   GROUP BY g.granted;
  shown := ARRAY(SELECT DISTINCT public.kith_attribute_category(k)
                   FROM jsonb_array_elements(records) AS x, jsonb_object_keys(x -> 'claims') AS k
                  WHERE public.kith_attribute_category(k) IS NOT NULL ORDER BY 1);
  INSERT INTO public.access_log (org_id, client_id, person_id, org_person_id, purpose, categories, action,
                                 request_id, read_at)
  VALUES (p_org, p_client, person, p_org_person, p_purpose, shown, 'profile', p_request_id, now());
  outcome := 'ok';
  RETURN NEXT;
END $$
""",
]

GRANTS = [
    # Only the service's role may call them (as the platform_writes revision has it for the others).
    "REVOKE ALL ON FUNCTION public.kith_grant_active(public.consent_grants) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_grant_categories(uuid, uuid, text) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_attribute_category(text) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_consented_read(uuid, text, text, text, text[], text, text) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.kith_profile_read(bytea, text, uuid, uuid, text, text) FROM PUBLIC",
    "GRANT EXECUTE ON FUNCTION public.kith_grant_active(public.consent_grants) TO kith_app",
    "GRANT EXECUTE ON FUNCTION public.kith_grant_categories(uuid, uuid, text) TO kith_app",
    "GRANT EXECUTE ON FUNCTION public.kith_attribute_category(text) TO kith_app",
    "GRANT EXECUTE ON FUNCTION public.kith_consented_read(uuid, text, text, text, text[], text, text) TO kith_app",
    "GRANT EXECUTE ON FUNCTION public.kith_profile_read(bytea, text, uuid, uuid, text, text) TO kith_app",
]

# As the no_temp_objects revision left it.
CONSENTED_BEFORE = r"""
CREATE OR REPLACE FUNCTION public.kith_consented(p_person uuid, p_categories text[]) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
       SELECT public.kith_current_purpose() IS NOT NULL AND (SELECT public.kith_current_org()) IS NOT NULL
          AND EXISTS (
         SELECT 1 FROM public.people rp
           JOIN public.org_people op ON op.canonical_id = rp.canonical_id
                                    AND op.org_id = (SELECT public.kith_current_org())
           JOIN public.consent_grants g ON g.org_person_id = op.org_person_id
          WHERE rp.id = p_person
            AND g.purpose = public.kith_current_purpose()
            AND g.confirmed_at IS NOT NULL
            AND g.withdrawn_at IS NULL
            AND (g.expires_at IS NULL OR g.expires_at > now())
            AND g.categories && p_categories) $$
"""


def upgrade() -> None:
    for statement in FUNCTIONS + GRANTS:
        op.execute(statement)
    # plpgsql functions run with a pinned search path, as every other (no_temp_objects revision).
    for signature in (
        "kith_consented(uuid, text[])",
        "kith_grant_categories(uuid, uuid, text)",
        "kith_consented_read(uuid, text, text, text, text[], text, text)",
        "kith_profile_read(bytea, text, uuid, uuid, text, text)",
    ):
        op.execute(f"ALTER FUNCTION public.{signature} SET search_path = pg_catalog, public, pg_temp")


def downgrade() -> None:
    op.execute("ALTER FUNCTION public.kith_consented(uuid, text[]) RESET search_path")
    op.execute(CONSENTED_BEFORE)
    for signature in (
        "kith_profile_read(bytea, text, uuid, uuid, text, text)",
        "kith_consented_read(uuid, text, text, text, text[], text, text)",
        "kith_attribute_category(text)",
        "kith_grant_categories(uuid, uuid, text)",
        "kith_grant_active(public.consent_grants)",
    ):
        op.execute(f"DROP FUNCTION public.{signature}")
