"""Idempotency keys: a retried single post answers what its first request was answered.

Revision ID: 2026_12_07_idempotency_keys
Revises: 2026_12_07_fair_delivery_claims
Create Date: 2026-12-07 11:00

``idempotency_keys`` holds, per API client and ``Idempotency-Key`` header, a fingerprint of the
request (method, path, body) and the response it was answered with. The row is written in the
request's own transaction, so it exists exactly when the request's work was committed; a second
request with the same key waits on the first's uncommitted row (its unique key) and then replays
the response. Rows older than a day are expired: taken over by a new request, and deleted by a
periodic purge (``ix_idempotency_keys_created_at``). ``subject`` is the organisation's id of the
person an answer is about, where it names one (``person_id``): erasing the person deletes the
answers about them (``ix_idempotency_keys_subject``). Under row-level security like every table of
an organisation's data.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_idempotency_keys"
down_revision = "2026_12_07_fair_delivery_claims"
branch_labels = None
depends_on = None

RULE = "((org_id = (SELECT public.kith_current_org())) OR (SELECT public.kith_is_platform()))"


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE public.idempotency_keys (
    client_id text NOT NULL,
    key text NOT NULL,
    org_id uuid NOT NULL,
    fingerprint bytea NOT NULL,
    status smallint,
    body bytea,
    subject uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_idempotency_keys PRIMARY KEY (client_id, key),
    CONSTRAINT fk_idempotency_keys_org_id_organisations FOREIGN KEY (org_id)
        REFERENCES public.organisations(id)
)
"""
    )
    op.execute("CREATE INDEX ix_idempotency_keys_created_at ON public.idempotency_keys (created_at)")
    op.execute(
        "CREATE INDEX ix_idempotency_keys_subject ON public.idempotency_keys (subject) WHERE subject IS NOT NULL"
    )
    op.execute("ALTER TABLE public.idempotency_keys ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.idempotency_keys FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY idempotency_keys_tenant ON public.idempotency_keys USING {RULE} WITH CHECK {RULE}"
    )
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.idempotency_keys TO kith_app")


def downgrade() -> None:
    op.execute("REVOKE ALL ON TABLE public.idempotency_keys FROM kith_app")
    op.execute("DROP TABLE public.idempotency_keys")
