"""Identity matching on five blocking keys instead of six, looked up from one array per key.

Revision ID: 0012_identity_fewer_keys
Revises: 0011_decisions_unchecked
Create Date: 2026-12-02 14:00

``bk_names_year`` (given name, family name, year of birth) found almost nothing the other keys do
not: of 12,647 true pairs among 20,000 synthetic records it was the only shared key for 12, and the
quality test's precision and recall are the same without it. Yet every new record paid for one
more random insert into its index, and every lookup for one more probe per record. The column and
its index go.

``kith_match_candidates`` now takes one array of keys per blocking column rather than (column, key)
pairs that each branch filtered out of one long array again: at a thousand records a lookup, those
six passes over 8,000 pairs were a fifth of its time.

Dropping a column and an index takes a brief exclusive lock on person_records and rewrites nothing.
A downgrade restores the column and index empty: records keep no names-and-year key until they are
posted again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.rls import APP_ROLE

revision = "0012_identity_fewer_keys"
down_revision = "0011_decisions_unchecked"
branch_labels = None
depends_on = None

KEYS = ("bk_dob_family", "bk_dob_given", "bk_names_area", "bk_email", "bk_phone")
OLD_KEYS = ("bk_dob_family", "bk_dob_given", "bk_names_year", "bk_names_area", "bk_email", "bk_phone")
_COLUMNS = "r.id, p.canonical_id, r.m_given, r.m_family, r.m_dob, r.m_postcode, r.bk_email, r.bk_phone"
_RESULT = (
    "block_column text, block_key text, record_id uuid, canonical_id uuid, m_given text, m_family text, "
    "m_dob date, m_postcode text, bk_email text, bk_phone text"
)


def _branch(key: str, keys: str) -> str:
    return (
        f"SELECT '{key}'::text, r.{key}, {_COLUMNS} FROM person_records r JOIN people p ON p.id = r.person_id "
        f"WHERE r.{key} = ANY({keys}) AND p.status <> 'erased'"
    )


def _function(arguments: str, declarations: str, query: str) -> str:
    """kith_match_candidates. With p_platform it looks across all organisations (identity matching
    must, by its nature) and then restores the caller's context; without, row-level security keeps
    it to the caller's own records (search)."""
    return f"""CREATE FUNCTION kith_match_candidates({arguments}, p_platform boolean)
RETURNS TABLE ({_RESULT})
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  previous text := coalesce(current_setting('kith.platform', true), '');
  {declarations}
BEGIN
  IF p_platform THEN
    PERFORM set_config('kith.platform', 'on', true);
  END IF;
  RETURN QUERY
    {query};
  PERFORM set_config('kith.platform', previous, true);
END $$"""


NEW_FUNCTION = _function(
    ", ".join(f"p_{k[3:]} text[]" for k in KEYS),
    "",
    " UNION ALL ".join(_branch(k, f"p_{k[3:]}") for k in KEYS),
)
NEW_SIGNATURE = f"kith_match_candidates({', '.join('text[]' for _ in KEYS)}, boolean)"

OLD_FUNCTION = _function(
    "p_columns text[], p_keys text[]",
    " ".join(
        f"k_{k} text[] := ARRAY(SELECT k FROM unnest(p_columns, p_keys) AS q(c, k) WHERE c = '{k}');"
        for k in OLD_KEYS
    ),
    " UNION ALL ".join(_branch(k, f"k_{k}") for k in OLD_KEYS),
)
OLD_SIGNATURE = "kith_match_candidates(text[], text[], boolean)"


def upgrade() -> None:
    op.execute(f"DROP FUNCTION {OLD_SIGNATURE}")
    op.drop_index("ix_person_records_bk_names_year", table_name="person_records")
    op.drop_column("person_records", "bk_names_year")
    op.execute(NEW_FUNCTION)
    op.execute(f"GRANT EXECUTE ON FUNCTION {NEW_SIGNATURE} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {NEW_SIGNATURE}")
    op.add_column("person_records", sa.Column("bk_names_year", sa.Text()))
    op.create_index(
        "ix_person_records_bk_names_year",
        "person_records",
        ["bk_names_year"],
        postgresql_where=sa.text("bk_names_year IS NOT NULL"),
    )
    op.execute(OLD_FUNCTION)
    op.execute(f"GRANT EXECUTE ON FUNCTION {OLD_SIGNATURE} TO {APP_ROLE}")
