"""Imports of an organisation's records from a CSV file, run by the worker.

Revision ID: 2026_12_07_imports
Revises: 2026_12_07_client_scopes
Create Date: 2026-12-07 20:00

- ``imports`` (the imports package's): one file of people or of interactions uploaded in the console, kept (``content``) until
  its import ends; its columns' mapping and date format, chosen on the page; its state (``draft``
  until started, ``queued``, ``running``, ``done``, ``failed``) and progress (``done_rows`` of
  ``total_rows``), so that a page reloaded shows where it stands; and, once done, the counts and
  the report, a line per row. The worker claims a queued import (or one whose worker stopped
  beating) and runs it as the member of staff who started it. An organisation sees only its own.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_imports"
down_revision = "2026_12_07_client_scopes"
branch_labels = None
depends_on = None

MINE = "((org_id = (SELECT public.kith_current_org())) OR (SELECT public.kith_is_platform()))"


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE public.imports (
    id uuid NOT NULL,
    org_id uuid NOT NULL,
    kind text NOT NULL,
    filename text NOT NULL,
    content bytea,
    mapping jsonb DEFAULT '{}'::jsonb NOT NULL,
    date_format text DEFAULT 'dmy' NOT NULL,
    status text DEFAULT 'draft' NOT NULL,
    total_rows integer DEFAULT 0 NOT NULL,
    done_rows integer DEFAULT 0 NOT NULL,
    counts jsonb,
    report text,
    error text,
    created_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    heartbeat_at timestamp with time zone,
    finished_at timestamp with time zone,
    CONSTRAINT pk_imports PRIMARY KEY (id),
    CONSTRAINT fk_imports_org_id_organisations FOREIGN KEY (org_id) REFERENCES public.organisations(id),
    CONSTRAINT ck_imports_kind CHECK (kind IN ('people', 'interactions')),
    CONSTRAINT ck_imports_date_format CHECK (date_format IN ('dmy', 'ymd')),
    CONSTRAINT ck_imports_status CHECK (status IN ('draft', 'queued', 'running', 'done', 'failed'))
)
"""
    )
    op.execute("CREATE INDEX ix_imports_org ON public.imports (org_id, created_at)")
    op.execute(
        "CREATE INDEX ix_imports_waiting ON public.imports (created_at) WHERE status IN ('queued', 'running')"
    )
    op.execute("ALTER TABLE public.imports ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.imports FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY imports_own ON public.imports USING {MINE} WITH CHECK {MINE}")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.imports TO kith_app")


def downgrade() -> None:
    op.execute("REVOKE ALL ON TABLE public.imports FROM kith_app")
    op.execute("DROP TABLE public.imports")
