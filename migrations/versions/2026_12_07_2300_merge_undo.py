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
  queue, one per organisation and merge; or the record of one undone: a "different people" label
  for that pair). ``record_id`` may be NULL: an undo names no record when none is left in the part
  set apart.
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
    # An organisation's request to undo a merge, awaiting the platform's reviewers: one per
    # organisation and merge (another organisation's request is its own, and never shown to it).
    op.execute(
        "CREATE UNIQUE INDEX ix_identity_decisions_unmerge ON public.identity_decisions "
        "(org_id, (explanation ->> 'merge_id')) WHERE method = 'unmerge' AND review_outcome IS NULL"
    )
    # An undo names no record when none is left in the part set apart (only ids, or erased).
    op.execute("ALTER TABLE public.identity_decisions ALTER COLUMN record_id DROP NOT NULL")


def downgrade() -> None:
    # A pending undo request would be a review no older code can settle: it is withdrawn.
    op.execute("DELETE FROM public.identity_decisions WHERE method = 'unmerge' AND review_outcome IS NULL")
    op.execute("DELETE FROM public.identity_decisions WHERE record_id IS NULL")
    op.execute("ALTER TABLE public.identity_decisions ALTER COLUMN record_id SET NOT NULL")
    op.execute("DROP INDEX public.ix_identity_decisions_unmerge")
    op.execute("ALTER TABLE public.person_merges DROP COLUMN undone_by")
    op.execute("ALTER TABLE public.person_merges DROP COLUMN undo_reason")
    op.execute("ALTER TABLE public.person_merges DROP COLUMN org_id")
