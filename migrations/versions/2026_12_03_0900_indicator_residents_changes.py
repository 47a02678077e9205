"""What changed about people since a moment, so the indicator roll-up need not re-derive everyone.

Revision ID: 0014_residents_changes
Revises: 0013_ledger_requests_together
Create Date: 2026-12-03 09:00

The roll-up job re-derived every resident (home postcode, canonical person, registration date) on
each run and diffed the result: one pass over all people and all their records, 7-9 s of database
time at 1,000,000 people, every minute, in every server process. It now re-derives only the people
something happened to since its last run:

- ``people.changed_at``: set on insert and by a trigger on every update of the row — a merge or an
  unmerge (``canonical_id``), an erasure (``status``), an objection to research, a review decided;
- ``person_records.updated_at`` (already set on insert and on every change of a record's claims),
  now indexed: a new or changed record can move a person's home.

Both indexes are appended to at their right edge (the values are the time of writing), so they cost
the writers little. Existing rows take the time of the migration as ``changed_at``: the first run
afterwards re-derives everyone once. Adding a column with a stable default rewrites nothing.
"""

from __future__ import annotations

from alembic import op

revision = "0014_residents_changes"
down_revision = "0013_ledger_requests_together"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE people ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now()")
    op.execute("CREATE INDEX ix_people_changed_at ON people (changed_at)")
    op.execute("CREATE INDEX ix_person_records_updated_at ON person_records (updated_at)")
    op.execute(
        "CREATE FUNCTION kith_people_changed() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN NEW.changed_at := now(); RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER people_changed BEFORE UPDATE ON people FOR EACH ROW EXECUTE FUNCTION kith_people_changed()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER people_changed ON people")
    op.execute("DROP FUNCTION kith_people_changed()")
    op.execute("DROP INDEX ix_person_records_updated_at")
    op.execute("DROP INDEX ix_people_changed_at")
    op.execute("ALTER TABLE people DROP COLUMN changed_at")
