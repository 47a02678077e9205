"""Webhook deliveries claimed subscription by subscription.

Revision ID: 2026_12_07_fair_delivery_claims
Revises: 2026_12_07_consented_read
Create Date: 2026-12-07 10:00

The worker claims due deliveries a few per subscription at most (so one slow receiver cannot take
every attempt a worker makes at once), taking each subscription's earliest due ones: an index on
the pending deliveries by (subscription_id, next_attempt_at) serves that, one short range per
subscription, however long another subscription's backlog. It replaces the index of pending
deliveries by next_attempt_at alone, which only the old claim (the earliest due deliveries of all
subscriptions together) used.

Building the index takes a SHARE lock on webhook_deliveries: deliveries are not written during the
build (the worker's claims and outcomes wait for it; requests that queue events do not, as those
write the outbox). It covers only pending rows, a small part of the table.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_fair_delivery_claims"
down_revision = "2026_12_07_consented_read"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_webhook_deliveries_pending ON public.webhook_deliveries "
        "USING btree (subscription_id, next_attempt_at) WHERE ((status)::text = 'pending'::text)"
    )
    op.execute("DROP INDEX public.ix_webhook_deliveries_due")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX ix_webhook_deliveries_due ON public.webhook_deliveries "
        "USING btree (next_attempt_at) WHERE ((status)::text = 'pending'::text)"
    )
    op.execute("DROP INDEX public.ix_webhook_deliveries_pending")
