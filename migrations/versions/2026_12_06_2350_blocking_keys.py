"""Blocking keys that survive two corrupted or missing fields.

Revision ID: 2026_12_06_blocking_keys
Revises: 2026_12_06_no_temp_objects
Create Date: 2026-12-06 23:50

Every blocking key so far needed the date of birth with one name's phonetic code, or both names'
codes with the postcode district: a record with two of its four main fields corrupted or missing
was often never compared with its person's other records. Two keys more, on person_records and on
person_match (where they are indexed): one name's phonetic code with the full postcode, the
other name and the date of birth free (``bk_family_postcode``, ``bk_given_postcode``).

Existing rows get the keys their stored keys and columns let SQL derive (a name's code is in the
older keys); a record with neither its date of birth nor a district kept no code of a name, and
gets its name keys when it is next written.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_06_blocking_keys"
down_revision = "2026_12_06_no_temp_objects"
branch_labels = None
depends_on = None

KEYS = ("bk_family_postcode", "bk_given_postcode")
TABLES = ("person_records", "person_match")

# Each name's phonetic code as the older keys hold it: 'dob|family' and 'dob|given', or
# 'given|family|area'.
_FAMILY = "coalesce(split_part(bk_dob_family, '|', 2), nullif(split_part(bk_names_area, '|', 2), ''))"
_GIVEN = "coalesce(split_part(bk_dob_given, '|', 2), nullif(split_part(bk_names_area, '|', 1), ''))"
BACKFILL = f"""
UPDATE public.{{table}} SET
  bk_family_postcode = CASE WHEN {_FAMILY} IS NOT NULL AND m_postcode IS NOT NULL
                            THEN {_FAMILY} || '|' || m_postcode END,
  bk_given_postcode = CASE WHEN {_GIVEN} IS NOT NULL AND m_postcode IS NOT NULL
                           THEN {_GIVEN} || '|' || m_postcode END
 WHERE m_postcode IS NOT NULL AND (bk_dob_family IS NOT NULL OR bk_dob_given IS NOT NULL OR bk_names_area IS NOT NULL)
"""


def upgrade() -> None:
    for table in TABLES:
        for key in KEYS:
            op.execute(f"ALTER TABLE public.{table} ADD COLUMN {key} text")
        # The owner is held to these tables' row-level security too (FORCE): lifted for the backfill.
        op.execute(f"ALTER TABLE public.{table} NO FORCE ROW LEVEL SECURITY")
        op.execute(BACKFILL.format(table=table))
        op.execute(f"ALTER TABLE public.{table} FORCE ROW LEVEL SECURITY")
    for key in KEYS:
        op.execute(
            f"CREATE INDEX ix_person_match_{key} ON public.person_match USING btree ({key}) WHERE ({key} IS NOT NULL)"
        )


def downgrade() -> None:
    for key in KEYS:
        op.execute(f"DROP INDEX public.ix_person_match_{key}")
    for table in TABLES:
        for key in KEYS:
            op.execute(f"ALTER TABLE public.{table} DROP COLUMN {key}")
