"""What the platform lets an organisation's own admin give its API clients.

Revision ID: 2026_12_07_client_scopes
Revises: 2026_12_07_staff_session_method
Create Date: 2026-12-07 19:00

- ``organisations.client_scopes``: the scopes the organisation's admin may give (and manage) its
  API clients in the console, set by the platform (``kith orgs scopes``); NULL: what the admin's
  own role may do. Never ``admin``: only the platform makes platform-admin clients.
- ``kith_trust_guard`` holds it as it holds the organisation's trust: its own transactions (which
  row-level security lets write their own row) cannot change it.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_client_scopes"
down_revision = "2026_12_07_staff_session_method"
branch_labels = None
depends_on = None


def _guard(columns: str) -> str:
    return rf"""
CREATE OR REPLACE FUNCTION public.kith_trust_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
    AS $$
BEGIN
  IF kith_is_platform() OR current_user <> 'kith_app' THEN  -- the service's role is the one held
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' AND (NEW.records_consent OR NEW.verifies_identity{" OR NEW.client_scopes IS NOT NULL" if "client_scopes" in columns else ""}) THEN
    RAISE EXCEPTION 'only the platform grants an organisation trust' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'UPDATE' AND ({", ".join(f"NEW.{c}" for c in columns.split())})
       IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in columns.split())}) THEN
    RAISE EXCEPTION 'only the platform grants an organisation trust' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$
"""


def upgrade() -> None:
    op.execute("ALTER TABLE public.organisations ADD COLUMN client_scopes text[]")
    op.execute(
        "ALTER TABLE public.organisations ADD CONSTRAINT ck_organisations_client_scopes_not_admin "
        "CHECK (NOT ('admin' = ANY (client_scopes)))"
    )
    op.execute(_guard("records_consent verifies_identity client_scopes"))


def downgrade() -> None:
    op.execute(_guard("records_consent verifies_identity"))
    op.execute("ALTER TABLE public.organisations DROP COLUMN client_scopes")
