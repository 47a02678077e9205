"""How a console session was opened, so that only one opened by an emailed code may move to the
staff member's other organisations.

Revision ID: 2026_12_07_staff_session_method
Revises: 2026_12_07_cards_from_orgs
Create Date: 2026-12-07 18:00

- ``staff_sessions.signed_in_by``: ``code`` (the staff member proved they read the address's mail,
  which is what every membership of that address rests on) or ``sso`` (one organisation's own
  provider vouched for the address: it speaks for that organisation's membership only, so such a
  session never moves to another organisation). Sessions open when this revision runs are taken as
  ``sso``: none of them moves.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_staff_session_method"
down_revision = "2026_12_07_cards_from_orgs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE public.staff_sessions ADD COLUMN signed_in_by text")
    op.execute("UPDATE public.staff_sessions SET signed_in_by = 'sso'")
    op.execute("ALTER TABLE public.staff_sessions ALTER COLUMN signed_in_by SET NOT NULL")
    op.execute(
        "ALTER TABLE public.staff_sessions ADD CONSTRAINT ck_staff_sessions_signed_in_by "
        "CHECK (signed_in_by IN ('code', 'sso'))"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE public.staff_sessions DROP COLUMN signed_in_by")
