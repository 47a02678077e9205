"""Single sign-on for the staff console: an organisation's OpenID Connect provider.

Revision ID: 2026_12_07_staff_sso
Revises: 2026_12_07_staff
Create Date: 2026-12-07 16:00

- ``organisation_sso`` (``organisations``'): the OpenID Connect provider an organisation's staff
  sign in with — its issuer, Kith's client id there, and the client secret sealed (AES-GCM) with a
  key derived from the server's signing key, so that a copy of the database alone does not reveal
  it. Set and removed by the platform operator (``kith orgs sso``); a platform table, read only at
  sign-in, before any organisation's context.
- ``staff_sso_requests`` (the console's): one row per sign-in sent to a provider, by the hash of
  its ``state``, used once, dead after ten minutes. The nonce and the PKCE verifier are derived from
  the state with a server key, so the row holds nothing a copy of it could sign in with. A platform
  table, as the console's codes and sessions.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_staff_sso"
down_revision = "2026_12_07_staff"
branch_labels = None
depends_on = None

PLATFORM = "((SELECT public.kith_is_platform()))"

TABLES = [
    """
CREATE TABLE public.organisation_sso (
    org_id uuid NOT NULL,
    issuer text NOT NULL,
    client_id text NOT NULL,
    client_secret_sealed text NOT NULL,
    configured_by text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_organisation_sso PRIMARY KEY (org_id),
    CONSTRAINT fk_organisation_sso_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id),
    CONSTRAINT ck_organisation_sso_issuer CHECK (issuer ~ '^https?://')
)
""",
    """
CREATE TABLE public.staff_sso_requests (
    state_hash text NOT NULL,
    org_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    CONSTRAINT pk_staff_sso_requests PRIMARY KEY (state_hash),
    CONSTRAINT fk_staff_sso_requests_org_id_organisations FOREIGN KEY (org_id)
        REFERENCES public.organisations(id)
)
""",
]

SECURITY = [
    statement
    for table in ("organisation_sso", "staff_sso_requests")
    for statement in (
        f"ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE public.{table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_platform ON public.{table} USING {PLATFORM} WITH CHECK {PLATFORM}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.{table} TO kith_app",
    )
]


def upgrade() -> None:
    for statement in [*TABLES, *SECURITY]:
        op.execute(statement)


def downgrade() -> None:
    for table in ("staff_sso_requests", "organisation_sso"):
        op.execute(f"REVOKE ALL ON TABLE public.{table} FROM kith_app")
        op.execute(f"DROP TABLE public.{table}")
