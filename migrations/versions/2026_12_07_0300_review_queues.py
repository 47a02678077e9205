"""Review queues named, merge proposals, and retraining that knows what it last saw.

Revision ID: 2026_12_07_review_queues
Revises: 2026_12_06_address_evidence
Create Date: 2026-12-07 03:00

identity_decisions gains ``queue`` ('organisation' | 'platform' for a review, NULL otherwise): who
reviews it was inferred from what the organisation was told, which a proposal to merge two people
(a record that matched both, ``method = 'merge_proposal'``) does not say. Existing reviews are
filled by the rule used so far. A pending proposal is looked up by its people
(``ix_identity_decisions_proposed``), so that a pair is proposed once.

identity_parameters gains ``adopted`` (an estimate rejected by the reviewers' labels is kept, so
that the worker does not estimate again until more has arrived), and ``records`` and ``labels``:
how many records and reviewers' decisions there were when it was estimated.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_review_queues"
down_revision = "2026_12_06_address_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE identity_decisions ADD COLUMN queue varchar(16)")
    op.execute(
        "UPDATE identity_decisions SET queue = CASE WHEN answered = 'review' THEN 'organisation' "
        "ELSE 'platform' END WHERE status = 'review'"
    )
    op.execute(
        "ALTER TABLE identity_decisions ADD CONSTRAINT ck_identity_decisions_queue "
        "CHECK ((status = 'review') = (queue IS NOT NULL) AND queue IN ('organisation', 'platform'))"
    )
    op.execute(
        "CREATE INDEX ix_identity_decisions_proposed ON identity_decisions (person_id) "
        "WHERE method = 'merge_proposal' AND review_outcome IS NULL"
    )
    op.execute("ALTER TABLE identity_parameters ADD COLUMN adopted boolean NOT NULL DEFAULT true")
    op.execute("ALTER TABLE identity_parameters ADD COLUMN records bigint")
    op.execute("ALTER TABLE identity_parameters ADD COLUMN labels bigint")


def downgrade() -> None:
    op.execute("ALTER TABLE identity_parameters DROP COLUMN labels")
    op.execute("ALTER TABLE identity_parameters DROP COLUMN records")
    op.execute("ALTER TABLE identity_parameters DROP COLUMN adopted")
    op.execute("DROP INDEX ix_identity_decisions_proposed")
    op.execute("ALTER TABLE identity_decisions DROP CONSTRAINT ck_identity_decisions_queue")
    op.execute("ALTER TABLE identity_decisions DROP COLUMN queue")
