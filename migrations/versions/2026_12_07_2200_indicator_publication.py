"""Indicators published in batches, with cell keys: what the indicators API and /insights read.

Revision ID: 2026_12_07_indicator_publication
Revises: 2026_12_07_platform_reviewers
Create Date: 2026-12-07 22:00

- ``indicator_published`` (the indicators package's, a platform table): per area and complete
  period, the figures as published — every count perturbed or suppressed, with the reason — so
  that a read never recomputes them and one person's change reaches a published figure only in a
  scheduled revision. ``published_at`` is when the cell was first published, ``revised_at`` when a
  revision last changed it (null while it never has), ``revision`` the revision that wrote it.
- ``indicator_state`` gains ``record_key_salt`` (a random secret: each person's record key for
  cell-key perturbation is a hash of it and their canonical id, so no partner can compute one) and
  ``publication`` (when the last revision ran). The roll-up's high-water mark is cleared so that
  the next run rebuilds every cell with its keys.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_indicator_publication"
down_revision = "2026_12_07_platform_reviewers"
branch_labels = None
depends_on = None

PLATFORM = "((SELECT public.kith_is_platform()))"


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE public.indicator_published (
    area_code text NOT NULL,
    period text NOT NULL,
    figures jsonb NOT NULL,
    published_at timestamp with time zone DEFAULT now() NOT NULL,
    revised_at timestamp with time zone,
    revision integer DEFAULT 0 NOT NULL,
    CONSTRAINT pk_indicator_published PRIMARY KEY (area_code, period)
)
"""
    )
    op.execute("CREATE INDEX ix_indicator_published_period ON public.indicator_published (period)")
    op.execute("ALTER TABLE public.indicator_published ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.indicator_published FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY indicator_published_platform ON public.indicator_published USING {PLATFORM} "
        f"WITH CHECK {PLATFORM}"
    )
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.indicator_published TO kith_app")
    op.execute(
        "INSERT INTO public.indicator_state (name, fingerprint, updated_at) "
        "VALUES ('record_key_salt', encode(sha256(gen_random_uuid()::text::bytea || clock_timestamp()::text::bytea), 'hex'), now()) "
        "ON CONFLICT (name) DO NOTHING"
    )
    op.execute("UPDATE public.indicator_state SET high_water = NULL WHERE name = 'rollup'")


def downgrade() -> None:
    op.execute("DELETE FROM public.indicator_state WHERE name IN ('record_key_salt', 'publication')")
    op.execute("UPDATE public.indicator_state SET high_water = NULL WHERE name = 'rollup'")
    op.execute("REVOKE ALL ON TABLE public.indicator_published FROM kith_app")
    op.execute("DROP TABLE public.indicator_published")
