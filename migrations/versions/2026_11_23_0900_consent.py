"""Consent: grants, signed receipts, the access log, objection to research; person records of
other organisations become readable through a grant, enforced by row-level security.

Revision ID: 0003_consent
Revises: 0002_people_identity
Create Date: 2026-11-23 09:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import APP_ROLE, drop_tenant_table, tenant_table

revision = "0003_consent"
down_revision = "0002_people_identity"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
NOW = sa.func.now()

# The purpose a read states, set per transaction like the organisation (kith.purpose), and the
# one rule every consent-guarded table's policy calls: does the current organisation hold an
# active grant from this person, for the current purpose, covering any of these categories?
# Withdrawal and expiry count from now(), so they take effect on the very next statement.
CONSENT_FUNCTIONS = [
    """CREATE FUNCTION kith_current_purpose() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
       $$ SELECT nullif(current_setting('kith.purpose', true), '') $$""",
    """CREATE FUNCTION kith_consented(p_person uuid, p_categories text[]) RETURNS boolean
       LANGUAGE sql STABLE AS $$
       SELECT kith_current_purpose() IS NOT NULL AND kith_current_org() IS NOT NULL AND EXISTS (
         SELECT 1 FROM people rp
           JOIN org_people op ON op.canonical_id = rp.canonical_id AND op.org_id = kith_current_org()
           JOIN consent_grants g ON g.org_person_id = op.org_person_id
          WHERE rp.id = p_person
            AND g.purpose = kith_current_purpose()
            AND g.withdrawn_at IS NULL
            AND (g.expires_at IS NULL OR g.expires_at > now())
            AND g.categories && p_categories) $$""",
    f"GRANT EXECUTE ON FUNCTION kith_current_purpose() TO {APP_ROLE}",
    f"GRANT EXECUTE ON FUNCTION kith_consented(uuid, text[]) TO {APP_ROLE}",
]

# Permissive policies are OR-ed. Each consent policy starts with the purpose check, inline: a
# statement with no stated purpose (every platform-wide matching lookup, every own-records query)
# never calls the grant lookup, which would cost a function call per row. The organisation still
# writes only its own records, and now also
# reads another organisation's (or the resident's own) records of a person who granted it the
# purpose it states for any profile category. Which attributes of the row it may see is the
# service's finer check (consent/service.py); the database guarantees that no row of an ungranted
# person leaves it, whatever the service does.
RECORDS_POLICY = (
    "CREATE POLICY person_records_via_consent ON person_records FOR SELECT "
    "USING (kith_current_purpose() IS NOT NULL AND kith_consented(person_id, ARRAY['identity', 'contact', 'address']))"
)


def upgrade() -> None:
    op.add_column("people", sa.Column("research_objection_at", sa.DateTime(timezone=True)))

    op.create_table(
        "consent_grants",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("org_person_id", UUID, sa.ForeignKey("org_people.org_person_id"), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("method", sa.String(24), nullable=False),
        sa.Column("evidence", postgresql.JSONB()),
        sa.Column("granted_by", sa.Text(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.Column("withdrawn_by", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_consent_grants"),
        sa.CheckConstraint(
            "method IN ('portal', 'card_presented', 'recorded_by_org')", name="ck_consent_grants_method"
        ),
        sa.CheckConstraint(
            "purpose IN ('service_delivery', 'case_coordination', 'rewards', 'offers', 'research')",
            name="ck_consent_grants_purpose",
        ),
        sa.CheckConstraint("cardinality(categories) > 0", name="ck_consent_grants_categories"),
        sa.CheckConstraint(
            "method <> 'recorded_by_org' OR evidence IS NOT NULL", name="ck_consent_grants_evidence"
        ),
    )
    op.create_index("ix_consent_grants_person", "consent_grants", ["org_person_id", "purpose"])
    op.create_index("ix_consent_grants_org", "consent_grants", ["org_id", "granted_at"])

    op.create_table(
        "consent_receipts",
        sa.Column("id", UUID, nullable=False),
        sa.Column("grant_id", UUID, sa.ForeignKey("consent_grants.id"), nullable=False),
        sa.Column("org_id", UUID, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("receipt", postgresql.JSONB(), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consent_receipts"),
        sa.CheckConstraint("event IN ('granted', 'withdrawn')", name="ck_consent_receipts_event"),
    )
    op.create_index("ix_consent_receipts_grant", "consent_receipts", ["grant_id"])

    # The access log: written in batches by the service, never updated. No foreign keys: it is a
    # record of what happened, written after the fact by a background writer.
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("client_id", sa.Text()),
        sa.Column("person_id", UUID, nullable=False),
        sa.Column("org_person_id", UUID, nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("request_id", sa.Text()),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_person", "access_log", ["person_id", "read_at"])
    op.create_index("ix_access_log_org", "access_log", ["org_id", "read_at"])

    for statement in CONSENT_FUNCTIONS:
        op.execute(statement)
    for table in ("consent_grants", "consent_receipts"):
        for statement in tenant_table(table, privileges="SELECT, INSERT, UPDATE"):
            op.execute(statement)
    for statement in tenant_table("access_log", privileges="SELECT, INSERT"):
        op.execute(statement)
    op.execute(RECORDS_POLICY)


def downgrade() -> None:
    op.execute("DROP POLICY person_records_via_consent ON person_records")
    for table in ("access_log", "consent_receipts", "consent_grants"):
        for statement in drop_tenant_table(table):
            op.execute(statement)
        op.drop_table(table)
    op.execute("DROP FUNCTION kith_consented(uuid, text[])")
    op.execute("DROP FUNCTION kith_current_purpose()")
    op.drop_column("people", "research_objection_at")
