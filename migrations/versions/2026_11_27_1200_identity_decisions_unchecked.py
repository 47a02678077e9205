"""Identity decisions without foreign keys: a batch of 5,000 no longer locks every person it names.

Revision ID: 0011_decisions_unchecked
Revises: 0010_ledger_fewer_statements
Create Date: 2026-11-27 12:00

A decision is the log of how one submitted record was resolved. It is written only by the
statement that writes the record and the people it names, and removed (by erasure) before that
record; people are never deleted. Its three foreign keys therefore guarded nothing the service
could get wrong, yet each check took a row lock on the person or record named — for a batch,
5,000 locks on people rows scattered across the table, which dirtied their pages and cost a
quarter of the batch's time (measured against 1,000,000 people). Dropping them scans nothing: it
holds brief locks on identity_decisions, and on people and person_records, whose check triggers go.
"""

from __future__ import annotations

from alembic import op

revision = "0011_decisions_unchecked"
down_revision = "0010_ledger_fewer_statements"
branch_labels = None
depends_on = None

FOREIGN_KEYS = (
    ("fk_identity_decisions_record_id_person_records", "person_records", "record_id"),
    ("fk_identity_decisions_person_id_people", "people", "person_id"),
    ("fk_identity_decisions_candidate_id_people", "people", "candidate_id"),
)


def upgrade() -> None:
    for name, _table, _column in FOREIGN_KEYS:
        op.drop_constraint(name, "identity_decisions", type_="foreignkey")


def downgrade() -> None:
    for name, table, column in FOREIGN_KEYS:
        op.create_foreign_key(name, "identity_decisions", table, [column], ["id"])
