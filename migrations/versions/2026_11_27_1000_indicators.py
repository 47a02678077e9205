"""Indicators: the postcode lookup and areas, and the roll-up tables the indicators are read from.

Revision ID: 0007_indicators
Revises: 0006_portal
Create Date: 2026-11-27 10:00

The roll-ups are platform tables (no organisation owns an aggregate). ``indicator_activity`` holds
one row per person, organisation and month (never per event); ``indicator_values`` one row per
area and period. The new index on ``interactions.created_at`` lets the roll-up job find what
arrived since its high-water mark; on a large existing table build it CONCURRENTLY by hand first
(this revision then skips it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import drop_tenant_table, platform_table

revision = "0007_indicators"
down_revision = "0006_portal"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
TABLES = (
    "areas",
    "postcodes",
    "area_links",
    "indicator_residents",
    "indicator_activity",
    "indicator_values",
    "indicator_state",
)


def upgrade() -> None:
    op.create_table(
        "areas",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("postcodes", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("level IN ('ward', 'lsoa', 'msoa')", name="level"),
    )
    op.create_table(
        "postcodes",
        sa.Column("postcode", sa.Text, primary_key=True),
        sa.Column("ward", sa.Text),
        sa.Column("lsoa", sa.Text),
        sa.Column("msoa", sa.Text),
    )
    # The distinct (ward, LSOA, MSOA) combinations: which areas overlap which, without the
    # postcode table (an organisation based in an LSOA is local to the ward that LSOA lies in).
    op.create_table(
        "area_links",
        sa.Column("ward", sa.Text, nullable=False),
        sa.Column("lsoa", sa.Text, nullable=False),
        sa.Column("msoa", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("ward", "lsoa", "msoa"),
    )
    # Residents as the indicators count them: every person id whose canonical person is active, has
    # not objected to research, and has a postcode in the lookup; with that person's areas.
    op.create_table(
        "indicator_residents",
        sa.Column("person_id", UUID, primary_key=True),
        sa.Column("canonical_id", UUID, nullable=False),
        sa.Column("ward", sa.Text),
        sa.Column("lsoa", sa.Text),
        sa.Column("msoa", sa.Text),
        sa.Column("registered_on", sa.Date, nullable=False),
    )
    for column in ("ward", "lsoa", "msoa"):
        op.create_index(f"ix_indicator_residents_{column}", "indicator_residents", [column])
    op.create_index("ix_indicator_residents_canonical", "indicator_residents", ["canonical_id"])
    op.create_table(
        "indicator_activity",
        sa.Column("person_id", UUID, nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("interactions", sa.Integer, nullable=False),
        sa.Column("day_mask", sa.Integer, nullable=False),  # bit d-1 set: active on day d
        sa.Column("volunteer_minutes", sa.Integer, nullable=False),
        sa.Column("volunteering", sa.Integer, nullable=False),
        sa.Column("services", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("person_id", "month", "org_id"),
    )
    op.create_table(
        "indicator_values",
        sa.Column("area_code", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("parts", postgresql.JSONB, nullable=False),
        sa.Column("computed_at", TS, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("area_code", "period"),
    )
    op.create_table(
        "indicator_state",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("high_water", TS),
        sa.Column("fingerprint", sa.Text),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_interactions_created ON interactions (created_at)")
    op.create_index("ix_relationships_created", "relationships", ["created_at"])
    op.create_index("ix_ledger_transfers_created", "ledger_transfers", ["created_at"])
    for table in TABLES:
        for statement in platform_table(table, "SELECT, INSERT, UPDATE, DELETE"):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_ledger_transfers_created", "ledger_transfers")
    op.drop_index("ix_relationships_created", "relationships")
    op.drop_index("ix_interactions_created", "interactions")
    for table in reversed(TABLES):
        for statement in drop_tenant_table(table):
            op.execute(statement)
        op.drop_table(table)
