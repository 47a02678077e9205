"""What no partner's statement may write: balances, a resident's confirmation.

Revision ID: 2026_12_06_platform_writes
Revises: 2026_12_06_blocking_keys
Create Date: 2026-12-06 23:55

Probed as a statement smuggled into one organisation's transaction (which row-level security
holds to that organisation's rows), three writes were still its to make:

- its own ledger accounts' balances and kinds (``UPDATE ledger_accounts SET credits_posted = …``),
  credits from nothing to spend into others' pools: accounts are now written only in the
  platform scope (every write Kith makes to them is), read as before;
- ``org_people`` rows naming any canonical person it knew the id of (a hold on someone it never
  registered) stay writable in its transaction: identity resolution writes them there, in the
  same statement as the records. With the next point such a hold opens nothing by itself (a grant
  for that person still awaits the resident); moving those writes to the platform scope is left
  to the identity work;
- a grant awaiting the resident with a confirmation token hash of its choosing, which the public
  confirmation link then confirmed with no resident involved: the grant guard now refuses a token
  hash from the organisation's own transaction; the service sets it in the platform scope.

And one thing it could leave behind on a pooled connection for the next organisation's requests:
a purpose set for the whole session. ``kith_begin`` now clears the purpose with every context it
opens, so a read states its own. The ledger's two request functions, executable by anyone until
now, are kith_app's only, as the others are.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_06_platform_writes"
down_revision = "2026_12_06_blocking_keys"
branch_labels = None
depends_on = None

_ORG_OR_PLATFORM = "((org_id = (SELECT public.kith_current_org())) OR (SELECT public.kith_is_platform()))"
_PLATFORM = "((SELECT public.kith_is_platform()))"


def _read_here_write_there(table: str) -> list[str]:
    return [
        f"DROP POLICY {table}_tenant ON public.{table}",
        f"CREATE POLICY {table}_tenant ON public.{table} FOR SELECT USING {_ORG_OR_PLATFORM}",
        f"CREATE POLICY {table}_platform_writes ON public.{table} USING {_PLATFORM} WITH CHECK {_PLATFORM}",
    ]


def _as_before(table: str) -> list[str]:
    return [
        f"DROP POLICY {table}_platform_writes ON public.{table}",
        f"DROP POLICY {table}_tenant ON public.{table}",
        f"CREATE POLICY {table}_tenant ON public.{table} USING {_ORG_OR_PLATFORM} WITH CHECK {_ORG_OR_PLATFORM}",
    ]


# The guard as the trust revision made it, with the token hash refused on insert too.
GRANT_GUARD = r"""
CREATE OR REPLACE FUNCTION public.kith_grant_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
    AS $$
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
END $$
"""


BEGIN = r"""
CREATE OR REPLACE FUNCTION public.kith_begin(p_org uuid, p_platform boolean, p_client text, p_key bytea) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
  -- Opens the transaction's context (organisation, platform scope; no purpose until a read states
  -- one) and answers whether the calling API client is still enabled.
  PERFORM public.kith_service_key_check(p_key);
  PERFORM public.kith_context_put(coalesce(p_org::text, ''), CASE WHEN p_platform THEN 'on' ELSE '' END);
  PERFORM set_config('kith.purpose', '', true);
  IF p_client IS NULL THEN
    RETURN true;
  END IF;
  RETURN EXISTS (SELECT 1 FROM public.api_clients WHERE client_id = p_client AND disabled_at IS NULL);
END $$
"""

_REQUEST_ARGS = (
    "bytea, text, boolean, uuid, text, text, uuid, uuid, uuid, bigint, text, text, uuid, "
    "timestamp with time zone, jsonb"
)
_REQUESTS_ARGS = (
    "bytea, text[], boolean[], uuid[], text[], text[], uuid[], uuid[], uuid[], bigint[], text[], text[], "
    "uuid[], timestamp with time zone[], text[]"
)


def upgrade() -> None:
    for table in ("ledger_accounts",):
        for statement in _read_here_write_there(table):
            op.execute(statement)
    op.execute(GRANT_GUARD)
    op.execute(BEGIN)
    for name in (f"kith_ledger_request({_REQUEST_ARGS})", f"kith_ledger_requests({_REQUESTS_ARGS})"):
        op.execute(f"REVOKE ALL ON FUNCTION public.{name} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION public.{name} TO kith_app")


def downgrade() -> None:
    for name in (f"kith_ledger_request({_REQUEST_ARGS})", f"kith_ledger_requests({_REQUESTS_ARGS})"):
        op.execute(f"GRANT EXECUTE ON FUNCTION public.{name} TO PUBLIC")
    op.execute(BEGIN.replace("  PERFORM set_config('kith.purpose', '', true);\n", ""))
    op.execute(
        GRANT_GUARD.replace(
            """  IF TG_OP = 'INSERT' AND NEW.confirm_token_hash IS NOT NULL THEN
    RAISE EXCEPTION 'the link that confirms a grant is the platform''s to make'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
""",
            "",
        )
    )
    for table in ("ledger_accounts",):
        for statement in _as_before(table):
            op.execute(statement)
