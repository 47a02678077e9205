"""Staff users: the people who work in an organisation, signing in to the console.

Revision ID: 2026_12_07_staff
Revises: 2026_12_07_resident_scope
Create Date: 2026-12-07 15:00

- ``staff_users``: a person at one organisation with a role (``viewer``, ``caseworker``,
  ``org_admin``, ``analyst``), by their email address; disabled, never deleted (the audit trail and
  the access log name them). The organisation's rows under row-level security like its API clients.
- ``staff_codes`` and ``staff_sessions``: the console's one-time sign-in codes and sessions, kept
  only as hashes; platform tables (no organisation reads another's sign-ins), as the portal's.
- ``kith_begin`` knows a staff member as a caller: a request made in the console names its caller
  ``staff:<role>:<staff id>`` (which the access log keeps, so the resident sees the organisation
  and the role, and the organisation's data protection officer the staff member), and the
  transaction opens only while that staff member is enabled, in that organisation, in that role.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_staff"
down_revision = "2026_12_07_resident_scope"
branch_labels = None
depends_on = None

TENANT = "((org_id = (SELECT public.kith_current_org())) OR (SELECT public.kith_is_platform()))"
PLATFORM = "((SELECT public.kith_is_platform()))"

TABLES = [
    """
CREATE TABLE public.staff_users (
    id uuid NOT NULL,
    org_id uuid NOT NULL,
    email text NOT NULL,
    role character varying(16) NOT NULL,
    invited_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    disabled_at timestamp with time zone,
    CONSTRAINT pk_staff_users PRIMARY KEY (id),
    CONSTRAINT fk_staff_users_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id),
    CONSTRAINT uq_staff_users_org_id UNIQUE (org_id, email),
    CONSTRAINT ck_staff_users_role CHECK (role IN ('viewer', 'caseworker', 'org_admin', 'analyst'))
)
""",
    "CREATE INDEX ix_staff_users_email ON public.staff_users (email)",
    """
CREATE TABLE public.staff_codes (
    id uuid NOT NULL,
    email text NOT NULL,
    code_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    used_at timestamp with time zone,
    CONSTRAINT pk_staff_codes PRIMARY KEY (id)
)
""",
    "CREATE INDEX ix_staff_codes_email_created ON public.staff_codes (email, created_at)",
    """
CREATE TABLE public.staff_sessions (
    id uuid NOT NULL,
    token_hash text NOT NULL,
    staff_id uuid NOT NULL,
    purpose text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_staff_sessions PRIMARY KEY (id),
    CONSTRAINT uq_staff_sessions_token_hash UNIQUE (token_hash),
    CONSTRAINT fk_staff_sessions_staff_id_staff_users FOREIGN KEY (staff_id)
        REFERENCES public.staff_users(id) ON DELETE CASCADE
)
""",
    "CREATE INDEX ix_staff_sessions_staff ON public.staff_sessions (staff_id)",
]

SECURITY = [
    "ALTER TABLE public.staff_users ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE public.staff_users FORCE ROW LEVEL SECURITY",
    f"CREATE POLICY staff_users_tenant ON public.staff_users USING {TENANT} WITH CHECK {TENANT}",
    "GRANT SELECT, INSERT, UPDATE ON TABLE public.staff_users TO kith_app",
    *[
        statement
        for table in ("staff_codes", "staff_sessions")
        for statement in (
            f"ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE public.{table} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY {table}_platform ON public.{table} USING {PLATFORM} WITH CHECK {PLATFORM}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.{table} TO kith_app",
        )
    ],
]

BEGIN = r"""
CREATE OR REPLACE FUNCTION public.kith_begin(p_org uuid, p_platform boolean, p_client text, p_key bytea) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
  -- Opens the transaction's context (organisation, platform scope; no purpose and no person read
  -- until a read states them) and answers whether the caller is still enabled: an API client, or
  -- a staff member in the console (staff:<role>:<id>) of this organisation in that role.
  PERFORM public.kith_service_key_check(p_key);
  PERFORM public.kith_context_put(coalesce(p_org::text, ''), CASE WHEN p_platform THEN 'on' ELSE '' END);
  PERFORM set_config('kith.purpose', '', true), set_config('kith.read_person', '', true);
  IF p_client IS NULL THEN
    RETURN true;
  END IF;
  IF p_client LIKE 'staff:%' THEN
    RETURN EXISTS (SELECT 1 FROM public.staff_users s
                    WHERE p_client ~ '^staff:[a-z_]+:[0-9a-f-]{36}$'
                      AND s.id = split_part(p_client, ':', 3)::uuid AND s.role = split_part(p_client, ':', 2)
                      AND s.org_id = p_org AND s.disabled_at IS NULL);
  END IF;
  RETURN EXISTS (SELECT 1 FROM public.api_clients WHERE client_id = p_client AND disabled_at IS NULL);
END $$
"""

BEGIN_BEFORE = r"""
CREATE OR REPLACE FUNCTION public.kith_begin(p_org uuid, p_platform boolean, p_client text, p_key bytea) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
  -- Opens the transaction's context (organisation, platform scope; no purpose and no person read
  -- until a read states them) and answers whether the calling API client is still enabled.
  PERFORM public.kith_service_key_check(p_key);
  PERFORM public.kith_context_put(coalesce(p_org::text, ''), CASE WHEN p_platform THEN 'on' ELSE '' END);
  PERFORM set_config('kith.purpose', '', true), set_config('kith.read_person', '', true);
  IF p_client IS NULL THEN
    RETURN true;
  END IF;
  RETURN EXISTS (SELECT 1 FROM public.api_clients WHERE client_id = p_client AND disabled_at IS NULL);
END $$
"""


def upgrade() -> None:
    for statement in [*TABLES, *SECURITY, BEGIN]:
        op.execute(statement)


def downgrade() -> None:
    op.execute(BEGIN_BEFORE)
    for table in ("staff_sessions", "staff_codes", "staff_users"):
        op.execute(f"REVOKE ALL ON TABLE public.{table} FROM kith_app")
        op.execute(f"DROP TABLE public.{table}")
