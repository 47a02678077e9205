"""Interactions, relationships, webhook subscriptions and deliveries.

Revision ID: 0004_interactions_webhooks
Revises: 0003_consent
Create Date: 2026-11-23 10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import drop_tenant_table, tenant_table

revision = "0004_interactions_webhooks"
down_revision = "0003_consent"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
NOW = sa.func.now()

INTERACTION_KINDS = ("visit", "purchase", "service_contact", "referral", "volunteering", "event", "other")
PERSON_ORG = ("member", "volunteer", "customer", "client", "employee")
PERSON_PERSON = ("family", "neighbour", "friend", "carer")
ORG_ORG = ("partner", "supplier", "funder", "referral_route")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    # person_id is the platform's person as it was when logged (merges are followed through
    # people.canonical_id). No foreign key on it: erasure replaces it with an id linked to nothing,
    # so that the interaction still counts in aggregates but no longer belongs to anyone.
    op.create_table(
        "interactions",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("person_id", UUID, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("area_code", sa.String(16)),
        sa.Column("value_pence", sa.BigInteger()),
        sa.Column("duration_minutes", sa.Integer()),
        sa.Column("counterpart_org_id", UUID),
        sa.Column("attributes", postgresql.JSONB()),
        sa.Column("external_id", sa.String(100)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_interactions"),
        sa.CheckConstraint(_in("kind", INTERACTION_KINDS), name="ck_interactions_kind"),
    )
    op.create_index(
        "uq_interactions_external_id",
        "interactions",
        ["org_id", "external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_index("ix_interactions_person", "interactions", ["person_id", "occurred_at"])

    op.create_table(
        "relationships",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, sa.ForeignKey("organisations.id"), nullable=False),  # who recorded it
        sa.Column(
            "kind", sa.String(32), nullable=False
        ),  # person_organisation | person_person | organisation_organisation
        sa.Column("type", sa.String(24), nullable=False),
        # As on interactions, no foreign key: erasure de-links person↔organisation relationships.
        sa.Column("person_id", UUID),
        sa.Column("other_person_id", UUID),
        sa.Column("organisation_id", UUID, sa.ForeignKey("organisations.id")),
        sa.Column("other_organisation_id", UUID, sa.ForeignKey("organisations.id")),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date()),
        sa.Column("evidence", postgresql.JSONB()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_relationships"),
        sa.CheckConstraint(
            f"(kind = 'person_organisation' AND {_in('type', PERSON_ORG)} AND person_id IS NOT NULL "
            "AND organisation_id IS NOT NULL) OR "
            f"(kind = 'person_person' AND {_in('type', PERSON_PERSON)} AND person_id IS NOT NULL "
            "AND other_person_id IS NOT NULL AND evidence IS NOT NULL) OR "
            f"(kind = 'organisation_organisation' AND {_in('type', ORG_ORG)} AND organisation_id IS NOT NULL "
            "AND other_organisation_id IS NOT NULL)",
            name="ck_relationships_shape",
        ),
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ck_relationships_dates"),
    )
    op.create_index("ix_relationships_person", "relationships", ["person_id"])
    op.create_index("ix_relationships_other_person", "relationships", ["other_person_id"])
    op.create_index("ix_relationships_organisation", "relationships", ["organisation_id"])
    op.create_index("ix_relationships_other_organisation", "relationships", ["other_organisation_id"])

    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.Text()), nullable=False),
        # The signing secret must be usable to sign, so it is kept (row-level security guards it)
        # and shown to the subscriber once.
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.Column("disabled_reason", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_subscriptions"),
    )
    op.create_index("ix_webhook_subscriptions_org", "webhook_subscriptions", ["org_id"])

    # Events not yet fanned out to subscriptions (the worker marks them).
    op.add_column("outbox_events", sa.Column("fanned_out_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_outbox_events_pending", "outbox_events", ["id"], postgresql_where=sa.text("fanned_out_at IS NULL")
    )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("subscription_id", UUID, sa.ForeignKey("webhook_subscriptions.id"), nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("event_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True)),
        sa.Column("last_status_code", sa.Integer()),
        sa.Column("last_error", sa.Text()),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_subscription_id"),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed', 'cancelled')", name="ck_webhook_deliveries_status"
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_subscription", "webhook_deliveries", ["subscription_id", "created_at"]
    )

    for table in ("interactions", "relationships", "webhook_subscriptions", "webhook_deliveries"):
        for statement in tenant_table(table):
            op.execute(statement)
    # Other organisations' interactions and relationships are readable under a grant, exactly as
    # person records are (see 0003): the purpose is stated to the transaction.
    op.execute(
        "CREATE POLICY interactions_via_consent ON interactions FOR SELECT "
        "USING (kith_current_purpose() IS NOT NULL AND kith_consented(person_id, ARRAY['interactions']))"
    )
    op.execute(
        "CREATE POLICY relationships_via_consent ON relationships FOR SELECT "
        "USING (kith_current_purpose() IS NOT NULL AND (kith_consented(person_id, ARRAY['relationships']) "
        "OR kith_consented(other_person_id, ARRAY['relationships'])))"
    )


def downgrade() -> None:
    op.execute("DROP POLICY relationships_via_consent ON relationships")
    op.execute("DROP POLICY interactions_via_consent ON interactions")
    for table in ("webhook_deliveries", "webhook_subscriptions", "relationships", "interactions"):
        for statement in drop_tenant_table(table):
            op.execute(statement)
        op.drop_table(table)
    op.drop_index("ix_outbox_events_pending", "outbox_events")
    op.drop_column("outbox_events", "fanned_out_at")
