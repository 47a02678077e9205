"""Merges undone from the console: on whose word a merge was made, and why it was undone.

Revision ID: 2026_12_07_merge_undo
Revises: 2026_12_07_indicator_publication
Create Date: 2026-12-07 23:00

- ``person_merges.org_id``: the organisation on whose word alone the merge was made (its
  caseworker's decision in its own queue, or an automatic merge of its own records); NULL for a
  merge the platform made (an administrator, the platform's reviewers, the resident) and for
  merges made before this was kept. A caseworker may undo at once only a merge of their own
  organisation's word; any other goes to the platform's reviewers as a request.
- ``person_merges.undo_reason`` and ``undone_by``: why and by whom a merge was undone.
- ``identity_decisions.method`` may be ``unmerge`` (a request to undo a merge, in the platform's
  queue, or the record of one undone: a "different people" label for that pair) — a value, not a
  constraint, so nothing changes in the table's shape for it.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_merge_undo"
down_revision = "2026_12_07_indicator_publication"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE public.person_merges ADD COLUMN org_id uuid")
    op.execute("ALTER TABLE public.person_merges ADD COLUMN undo_reason text")
    op.execute("ALTER TABLE public.person_merges ADD COLUMN undone_by text")
    # Undo requests still waiting for the platform's reviewers, looked up per merged person.
    op.execute(
        "CREATE INDEX ix_identity_decisions_unmerge ON public.identity_decisions (person_id) "
        "WHERE method = 'unmerge' AND review_outcome IS NULL"
    )


def downgrade() -> None:
    # A pending undo request would be a review no older code can settle: it is withdrawn.
    op.execute("DELETE FROM public.identity_decisions WHERE method = 'unmerge' AND review_outcome IS NULL")
    op.execute("DROP INDEX public.ix_identity_decisions_unmerge")
    op.execute("ALTER TABLE public.person_merges DROP COLUMN undone_by")
    op.execute("ALTER TABLE public.person_merges DROP COLUMN undo_reason")
    op.execute("ALTER TABLE public.person_merges DROP COLUMN org_id")
