"""Identity matching looks candidates up in a narrow table of its own.

Revision ID: 0015_identity_match_table
Revises: 0014_residents_changes
Create Date: 2026-12-03 13:00

A batch's candidate lookup fetched each candidate from ``person_records`` — about 900 bytes a row,
most of it the claims, so eight rows to a page — and joined ``people`` for the canonical person:
at 1,000,000 people, 16,000 candidates a batch of 5,000 cost some 58,000 page reads (43,000 of
them the records' heap), more than all of the batch's writes together.

``person_match`` holds what matching reads and nothing else: per record its organisation (for
row-level security), its canonical person, the folded attributes and the blocking keys, about 200
bytes. The blocking-key indexes move to it from ``person_records``. The columns stay on
``person_records`` too (search, the portal's sign-in and the indicator roll-up read them there);
the record and its match row are written by the same statements, and a merge or an unmerge moves
the match rows' canonical person with the people's. A record's match row goes with it: erasure
deletes both. No foreign key ties the two, for the reason migration 0011 gives for decisions: only
those statements write either, and the check would lock every record a batch writes.

The lookup is now a plain statement rather than ``kith_match_candidates``: a PL/pgSQL
``RETURN QUERY`` copied every candidate into a tuplestore first (a fifth of the lookup's time);
the caller sets the platform scope itself, as every other cross-organisation statement does.

The table is filled from the records held, in one statement (49 s at 1,300,000 records here).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.rls import APP_ROLE, drop_tenant_table, tenant_table

revision = "0015_identity_match_table"
down_revision = "0014_residents_changes"
branch_labels = None
depends_on = None

KEYS = ("bk_dob_family", "bk_dob_given", "bk_names_area", "bk_email", "bk_phone")
COLUMNS = ("m_given", "m_family", "m_dob", "m_postcode", *KEYS)

# The function as migration 0012 left it, for the downgrade.
_OLD_COLUMNS = "r.id, p.canonical_id, r.m_given, r.m_family, r.m_dob, r.m_postcode, r.bk_email, r.bk_phone"
_OLD_BRANCHES = " UNION ALL ".join(
    f"SELECT '{k}'::text, r.{k}, {_OLD_COLUMNS} FROM person_records r JOIN people p ON p.id = r.person_id "
    f"WHERE r.{k} = ANY(p_{k[3:]}) AND p.status <> 'erased'"
    for k in KEYS
)
OLD_SIGNATURE = f"kith_match_candidates({', '.join('text[]' for _ in KEYS)}, boolean)"
OLD_FUNCTION = f"""CREATE FUNCTION kith_match_candidates({", ".join(f"p_{k[3:]} text[]" for k in KEYS)}, p_platform boolean)
RETURNS TABLE (block_column text, block_key text, record_id uuid, canonical_id uuid, m_given text, m_family text,
               m_dob date, m_postcode text, bk_email text, bk_phone text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  previous text := coalesce(current_setting('kith.platform', true), '');
BEGIN
  IF p_platform THEN
    PERFORM set_config('kith.platform', 'on', true);
  END IF;
  RETURN QUERY
    {_OLD_BRANCHES};
  PERFORM set_config('kith.platform', previous, true);
END $$"""


def upgrade() -> None:
    op.create_table(
        "person_match",
        sa.Column("record_id", sa.dialects.postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("org_id", sa.dialects.postgresql.UUID(as_uuid=True)),
        sa.Column("canonical_id", sa.dialects.postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("m_given", sa.Text()),
        sa.Column("m_family", sa.Text()),
        sa.Column("m_dob", sa.Date()),
        sa.Column("m_postcode", sa.Text()),
        *(sa.Column(key, sa.Text()) for key in KEYS),
        sa.PrimaryKeyConstraint("record_id", name="pk_person_match"),
    )
    op.execute("SET LOCAL max_parallel_workers_per_gather = 0")  # one pass, in record order
    op.execute(
        f"INSERT INTO person_match (record_id, org_id, canonical_id, {', '.join(COLUMNS)}) "
        f"SELECT r.id, r.org_id, p.canonical_id, {', '.join('r.' + c for c in COLUMNS)} "
        "FROM person_records r JOIN people p ON p.id = r.person_id ORDER BY r.id"
    )
    for key in KEYS:
        op.drop_index(f"ix_person_records_{key}", table_name="person_records")
        op.create_index(
            f"ix_person_match_{key}", "person_match", [key], postgresql_where=sa.text(f"{key} IS NOT NULL")
        )
    for statement in tenant_table("person_match"):
        op.execute(statement)
    op.execute("ANALYZE person_match")
    op.execute(f"DROP FUNCTION {OLD_SIGNATURE}")


def downgrade() -> None:
    op.execute(OLD_FUNCTION)
    op.execute(f"GRANT EXECUTE ON FUNCTION {OLD_SIGNATURE} TO {APP_ROLE}")
    for key in KEYS:
        op.create_index(
            f"ix_person_records_{key}",
            "person_records",
            [key],
            postgresql_where=sa.text(f"{key} IS NOT NULL"),
        )
    for statement in drop_tenant_table("person_match"):
        op.execute(statement)
    op.drop_table("person_match")
