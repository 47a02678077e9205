"""The residents' portal: one-time sign-in codes, sessions, and the development mail outbox.

Revision ID: 0006_portal
Revises: 0005_ledger
Create Date: 2026-11-27 09:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import drop_tenant_table, platform_table

revision = "0006_portal"
down_revision = "0005_ledger"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
NOW = sa.func.now()
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # A sign-in code is kept only as a hash; attempts are counted on the row so that guessing stops
    # at the limit whichever process answers.
    op.create_table(
        "portal_codes",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("code_hash", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("used_at", TS),
    )
    op.create_index("ix_portal_codes_email_created", "portal_codes", ["email", "created_at"])
    # The session cookie holds a random token; only its hash is stored. A session with no person yet
    # belongs to someone who proved their email and is registering.
    op.create_table(
        "portal_sessions",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("person_id", UUID, sa.ForeignKey("people.id", ondelete="CASCADE")),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("last_seen_at", TS, nullable=False, server_default=NOW),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ix_portal_sessions_person", "portal_sessions", ["person_id"])
    op.create_table(
        "dev_outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("to_address", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("sent_at", TS, nullable=False, server_default=NOW),
    )
    for table in ("portal_codes", "portal_sessions", "dev_outbox"):
        for statement in platform_table(table, "SELECT, INSERT, UPDATE, DELETE"):
            op.execute(statement)


def downgrade() -> None:
    for table in ("dev_outbox", "portal_sessions", "portal_codes"):
        for statement in drop_tenant_table(table):
            op.execute(statement)
        op.drop_table(table)
