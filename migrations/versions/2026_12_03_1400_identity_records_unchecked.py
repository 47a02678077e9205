"""Records and organisation ids without foreign keys to people: a batch no longer locks every
person it matches.

Revision ID: 0016_records_unchecked
Revises: 0015_identity_match_table
Create Date: 2026-12-03 14:00

``person_records.person_id`` and ``org_people.person_id`` are written only by the statements
that create the person in the same statement or name a canonical person the lookup has just found;
people are never deleted (erasure keeps the row, marked erased). As with the decisions (migration
0011), the checks guarded nothing the service could get wrong, yet each took a row lock on the
person named: for a batch of 5,000 at 1,000,000 people, some 2,500 existing people's rows
scattered over the table, each lock a write to its page and to the WAL; the two checks took 13-15 ms
of a 110-130 ms write statement per 1,000 records. The organisation foreign keys stay (one row, locked once).
Dropping a foreign key scans nothing.
"""

from __future__ import annotations

from alembic import op

revision = "0016_records_unchecked"
down_revision = "0015_identity_match_table"
branch_labels = None
depends_on = None

FOREIGN_KEYS = (
    ("fk_person_records_person_id_people", "person_records"),
    ("fk_org_people_person_id_people", "org_people"),
)


def upgrade() -> None:
    for name, table in FOREIGN_KEYS:
        op.drop_constraint(name, table, type_="foreignkey")


def downgrade() -> None:
    for name, table in FOREIGN_KEYS:
        op.create_foreign_key(name, table, "people", ["person_id"], ["id"])
