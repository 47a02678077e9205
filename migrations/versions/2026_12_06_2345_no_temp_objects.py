"""Nothing the service's role makes can stand in for Kith's tables or functions.

Revision ID: 2026_12_06_no_temp_objects
Revises: 2026_12_06_context_keyed
Create Date: 2026-12-06 23:45

A temporary table, view or function is searched before the schema's own for an unqualified name,
and a pooled connection keeps its temporary objects from one request to the next. A statement
smuggled into one request could therefore put a view named ``consent_grants`` or
``audit_chain_heads`` in front of the real table: under the consent policies (``kith_consented``),
inside the audit trail's SECURITY DEFINER functions (which then ran its code as their owner), or
under later requests of other organisations on the same connection.

- The service's role may no longer make temporary objects at all (provisioning revokes TEMPORARY
  from PUBLIC and from kith_app). The indicator roll-up's four temporary tables become unlogged
  work tables of their own (``ind_dirty``, ``ind_changed``, ``ind_touched``, ``ind_new_res``),
  emptied at the start and end of each run (runs are one at a time: ``lock_rollup``), and
  analysed through ``kith_analyze_rollup_work`` (ANALYZE is the owner's).
- Every plpgsql or SECURITY DEFINER function runs with ``search_path = pg_catalog, public,
  pg_temp``: the temporary schema last, so it can never shadow a name the function uses.
- ``kith_consented``, which the policies call and which must stay inlinable (no SET clause),
  names its tables and functions with their schema.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_06_no_temp_objects"
down_revision = "2026_12_06_context_keyed"
branch_labels = None
depends_on = None

WORK_TABLES = {
    "ind_dirty": "person_id uuid NOT NULL, month date NOT NULL",
    "ind_changed": "id uuid NOT NULL",
    "ind_touched": "c uuid",
    "ind_new_res": "person_id uuid NOT NULL, canonical_id uuid NOT NULL, ward text, lsoa text, msoa text, "
    "registered_on date NOT NULL",
}


def _work_table(name: str, columns: str) -> list[str]:
    return [
        f"CREATE UNLOGGED TABLE public.{name} ({columns})",
        f"ALTER TABLE public.{name} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE public.{name} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {name}_platform ON public.{name} USING ((SELECT public.kith_is_platform())) "
        "WITH CHECK ((SELECT public.kith_is_platform()))",
        f"GRANT SELECT, INSERT, DELETE, TRUNCATE ON TABLE public.{name} TO kith_app",
    ]


ANALYZE_WORK = r"""
CREATE FUNCTION public.kith_analyze_rollup_work() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $$
BEGIN
  -- The roll-up's work tables hold a few rows or a million: the planner must know which.
  ANALYZE public.ind_changed, public.ind_touched;
END $$
"""

CONSENTED = r"""
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

CONSENTED_BEFORE = r"""
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

# Every plpgsql or SECURITY DEFINER function in the schema, the temporary schema last on its path; the previous path of
# each is kept in the comment of this revision's downgrade (it was the default, or pg_catalog,
# pg_temp for the context's functions, which keep theirs).
PIN_PATHS = r"""
DO $$
DECLARE
  f record;
BEGIN
  FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.pronamespace = 'public'::regnamespace AND (l.lanname = 'plpgsql' OR p.prosecdef)
              AND NOT coalesce(p.proconfig::text[] @> ARRAY['search_path=pg_catalog, pg_temp'], false) LOOP
    EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, public, pg_temp', f.sig);
  END LOOP;
END $$
"""

UNPIN_PATHS = r"""
DO $$
DECLARE
  f record;
BEGIN
  FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
            WHERE p.pronamespace = 'public'::regnamespace
              AND coalesce(p.proconfig::text[] @> ARRAY['search_path=pg_catalog, public, pg_temp'], false) LOOP
    EXECUTE format('ALTER FUNCTION %s RESET search_path', f.sig);
  END LOOP;
  -- The audit trail's two SECURITY DEFINER functions had the path of the role that made them.
  ALTER FUNCTION public.kith_audit_chain() SET search_path = "$user", public;
  ALTER FUNCTION public.kith_audit_heads() SET search_path = "$user", public;
END $$
"""


def upgrade() -> None:
    for name, columns in WORK_TABLES.items():
        for statement in _work_table(name, columns):
            op.execute(statement)
    op.execute(ANALYZE_WORK)
    op.execute("REVOKE ALL ON FUNCTION public.kith_analyze_rollup_work() FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION public.kith_analyze_rollup_work() TO kith_app")
    op.execute(CONSENTED)
    op.execute(PIN_PATHS)


def downgrade() -> None:
    op.execute(UNPIN_PATHS)
    op.execute(CONSENTED_BEFORE)
    op.execute("DROP FUNCTION public.kith_analyze_rollup_work()")
    for name in WORK_TABLES:
        op.execute(f"DROP TABLE public.{name}")
