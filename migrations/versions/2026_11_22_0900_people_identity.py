"""People, organisation-scoped ids, person records with their claims, identity decisions, merges,
matching parameters, and the events outbox.

Revision ID: 0002_people_identity
Revises: 0001_foundation
Create Date: 2026-11-22 09:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import APP_ROLE, drop_tenant_table, platform_table, tenant_table

revision = "0002_people_identity"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
NOW = sa.func.now()

BLOCKING_KEYS = (
    "bk_dob_family",
    "bk_dob_given",
    "bk_names_year",
    "bk_names_area",
    "bk_email",
    "bk_phone",
)

PLATFORM_ON = [
    """CREATE FUNCTION kith_platform_on() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  previous text := coalesce(current_setting('kith.platform', true), '');
BEGIN
  PERFORM set_config('kith.platform', 'on', true);
  RETURN previous;
END $$""",
    f"GRANT EXECUTE ON FUNCTION kith_platform_on() TO {APP_ROLE}",
]

_BRANCHES = "\n    UNION ALL\n    ".join(
    f"""SELECT '{key}'::text, r.{key}, r.id, p.canonical_id, r.m_given, r.m_family, r.m_dob, r.m_postcode,
           r.bk_email, r.bk_phone
      FROM person_records r JOIN people p ON p.id = r.person_id
     WHERE r.{key} = ANY(k_{key}) AND p.status <> 'erased'"""
    for key in BLOCKING_KEYS
)

_KEY_ARRAYS = "\n  ".join(
    f"k_{key} text[] := ARRAY(SELECT k FROM unnest(p_columns, p_keys) AS q(c, k) WHERE c = '{key}');"
    for key in BLOCKING_KEYS
)

# Candidate records sharing a blocking key with the probes, in one round trip. With p_platform it
# looks across all organisations (identity matching must, by its nature) and then restores the
# caller's context; without, row-level security keeps it to the caller's own records (search).
CANDIDATES_FUNCTION = [
    f"""CREATE FUNCTION kith_match_candidates(p_columns text[], p_keys text[], p_platform boolean)
RETURNS TABLE (block_column text, block_key text, record_id uuid, canonical_id uuid, m_given text,
               m_family text, m_dob date, m_postcode text, bk_email text, bk_phone text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  previous text := coalesce(current_setting('kith.platform', true), '');
  {_KEY_ARRAYS}
BEGIN
  IF p_platform THEN
    PERFORM set_config('kith.platform', 'on', true);
  END IF;
  RETURN QUERY
    {_BRANCHES};
  PERFORM set_config('kith.platform', previous, true);
END $$""",
    f"GRANT EXECUTE ON FUNCTION kith_match_candidates(text[], text[], boolean) TO {APP_ROLE}",
]

# A person is visible to an organisation that holds an id for it (or for a person merged into it).
# People are created by whoever registers them; creating a bare person row reveals nothing.
PEOPLE_POLICIES = [
    "ALTER TABLE people ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE people FORCE ROW LEVEL SECURITY",
    """CREATE POLICY people_read ON people FOR SELECT USING (
         kith_is_platform() OR EXISTS (
           SELECT 1 FROM org_people op WHERE op.org_id = kith_current_org() AND op.canonical_id = people.canonical_id))""",
    "CREATE POLICY people_insert ON people FOR INSERT WITH CHECK (kith_current_org() IS NOT NULL OR kith_is_platform())",
    "CREATE POLICY people_update ON people FOR UPDATE USING (kith_is_platform()) WITH CHECK (kith_is_platform())",
    f"GRANT SELECT, INSERT, UPDATE ON people TO {APP_ROLE}",
]


def upgrade() -> None:
    for statement in PLATFORM_ON:
        op.execute(statement)

    op.create_table(
        "people",
        sa.Column("id", UUID, nullable=False),
        sa.Column("canonical_id", UUID, nullable=False),
        sa.Column("merged_into", UUID, sa.ForeignKey("people.id")),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.CheckConstraint("status IN ('active', 'provisional', 'erased')", name="ck_people_status"),
    )
    op.create_index("ix_people_canonical", "people", ["canonical_id"])
    op.create_index(
        "ix_people_merged_into",
        "people",
        ["merged_into"],
        postgresql_where=sa.text("merged_into IS NOT NULL"),
    )

    op.create_table(
        "org_people",
        sa.Column("org_person_id", UUID, nullable=False),
        sa.Column("org_id", UUID, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("person_id", UUID, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("canonical_id", UUID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("org_person_id", name="pk_org_people"),
        sa.UniqueConstraint("org_id", "person_id", name="uq_org_people_org_person"),
    )
    op.create_index("ix_org_people_canonical", "org_people", ["org_id", "canonical_id"])
    op.create_index("ix_org_people_canonical_all", "org_people", ["canonical_id"])

    op.create_table(
        "person_records",
        sa.Column("id", UUID, nullable=False),
        sa.Column("person_id", UUID, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("org_id", UUID, sa.ForeignKey("organisations.id")),
        sa.Column("external_ref", sa.Text()),
        sa.Column("m_given", sa.Text()),
        sa.Column("m_family", sa.Text()),
        sa.Column("m_dob", sa.Date()),
        sa.Column("m_postcode", sa.Text()),
        *[sa.Column(key, sa.Text()) for key in BLOCKING_KEYS],
        sa.Column("source_sector", sa.String(16), nullable=False),
        # {attribute: {"value": …, "verified": bool, "asserted_at": iso}}: each value with its provenance
        sa.Column("claims", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_person_records"),
        sa.CheckConstraint(
            "source_sector IN ('public', 'social', 'commercial', 'resident')", name="ck_person_records_sector"
        ),
    )
    op.create_index(
        "uq_person_records_external_ref",
        "person_records",
        ["org_id", "external_ref"],
        unique=True,
        postgresql_where=sa.text("external_ref IS NOT NULL"),
    )
    op.create_index("ix_person_records_person", "person_records", ["person_id"])
    for key in BLOCKING_KEYS:
        op.create_index(
            f"ix_person_records_{key}",
            "person_records",
            [key],
            postgresql_where=sa.text(f"{key} IS NOT NULL"),
        )

    # Deterministic matching on verified contact points.
    for attribute in ("email", "phone"):
        op.execute(
            f"CREATE INDEX ix_person_records_verified_{attribute} ON person_records "
            f"((claims #>> '{{{attribute},value}}')) WHERE (claims #>> '{{{attribute},verified}}') = 'true'"
        )
    for statement in CANDIDATES_FUNCTION:
        op.execute(statement)

    op.create_table(
        "identity_decisions",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID),
        sa.Column("record_id", UUID, sa.ForeignKey("person_records.id"), nullable=False),
        sa.Column("person_id", UUID, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("candidate_id", UUID, sa.ForeignKey("people.id")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("method", sa.String(24), nullable=False),
        sa.Column("score", sa.Float()),
        sa.Column("explanation", postgresql.JSONB()),
        sa.Column("review_outcome", sa.String(16)),
        sa.Column("decided_by", sa.Text()),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identity_decisions"),
    )
    op.create_index(
        "ix_identity_decisions_pending",
        "identity_decisions",
        ["created_at"],
        postgresql_where=sa.text("status = 'review' AND review_outcome IS NULL"),
    )
    op.create_index("ix_identity_decisions_record", "identity_decisions", ["record_id"])

    op.create_table(
        "person_merges",
        sa.Column("id", UUID, nullable=False),
        sa.Column("keep_id", UUID, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("merged_id", UUID, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_person_merges"),
    )
    op.create_index("ix_person_merges_merged", "person_merges", ["merged_id"])

    op.create_table(
        "identity_parameters",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("params", postgresql.JSONB(), nullable=False),
        sa.Column("sample_pairs", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identity_parameters"),
    )

    op.create_table(
        "outbox_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("org_id", UUID, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_events"),
        sa.UniqueConstraint("event_id", name="uq_outbox_events_event_id"),
    )
    op.create_index("ix_outbox_events_org", "outbox_events", ["org_id", "id"])

    for statement in PEOPLE_POLICIES:
        op.execute(statement)
    for table in ("org_people", "person_records", "identity_decisions", "outbox_events"):
        for statement in tenant_table(table):
            op.execute(statement)
    for table in ("person_merges", "identity_parameters"):
        for statement in platform_table(table):
            op.execute(statement)


def downgrade() -> None:
    op.execute("DROP FUNCTION kith_match_candidates(text[], text[], boolean)")
    for policy in ("people_read", "people_insert", "people_update"):
        op.execute(f"DROP POLICY {policy} ON people")
    for table in (
        "identity_parameters",
        "person_merges",
        "outbox_events",
        "identity_decisions",
        "person_records",
        "org_people",
    ):
        for statement in drop_tenant_table(table):
            op.execute(statement)
        op.drop_table(table)
    op.execute(f"REVOKE ALL ON people FROM {APP_ROLE}")
    op.drop_table("people")
    op.execute("DROP FUNCTION kith_platform_on()")
