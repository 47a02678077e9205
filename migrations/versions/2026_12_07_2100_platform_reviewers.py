"""The platform's reviewers: a staff role only the platform operator gives.

Revision ID: 2026_12_07_platform_reviewers
Revises: 2026_12_07_imports
Create Date: 2026-12-07 21:00

- ``staff_users.role`` may be ``reviewer``: a member of the platform's own team who decides, in the
  console, the possible matches that involve more than one organisation (the platform's queue).
  Only ``kith staff invite --role reviewer`` gives it; an organisation's admin cannot.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_platform_reviewers"
down_revision = "2026_12_07_imports"
branch_labels = None
depends_on = None


def _roles(roles: str) -> None:
    op.execute("ALTER TABLE public.staff_users DROP CONSTRAINT ck_staff_users_role")
    op.execute(f"ALTER TABLE public.staff_users ADD CONSTRAINT ck_staff_users_role CHECK (role IN ({roles}))")


def upgrade() -> None:
    _roles("'viewer', 'caseworker', 'org_admin', 'analyst', 'reviewer'")


def downgrade() -> None:
    op.execute(
        "UPDATE public.staff_users SET disabled_at = coalesce(disabled_at, now()), role = 'viewer' WHERE role = 'reviewer'"
    )
    _roles("'viewer', 'caseworker', 'org_admin', 'analyst'")
