"""The rewards ledger: accounts and immutable transfers (double-entry, two-phase), pools and cards.

Revision ID: 0005_ledger
Revises: 0004_interactions_webhooks
Create Date: 2026-11-23 11:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import APP_ROLE, drop_tenant_table, tenant_table

revision = "0005_ledger"
down_revision = "0004_interactions_webhooks"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
NOW = sa.func.now()
CODES = ("earn", "redeem", "fund", "mint", "expire", "refund", "reverse")

# Transfers are facts: never changed, never removed (a correction is a new transfer).
IMMUTABLE = [
    """CREATE FUNCTION kith_ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger transfers are immutable' USING ERRCODE = 'insufficient_privilege';
END $$""",
    "CREATE TRIGGER ledger_transfers_immutable BEFORE UPDATE OR DELETE ON ledger_transfers "
    "FOR EACH ROW EXECUTE FUNCTION kith_ledger_immutable()",
    "CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers "
    "FOR EACH STATEMENT EXECUTE FUNCTION kith_ledger_immutable()",
]


# One transfer, or the end of a hold, in one call: replay check, accounts locked in id order (so
# two transfers between the same accounts in opposite directions queue instead of deadlocking),
# the balance rule, the insert and the balance updates. Business refusals come back as a result,
# not an error, so a failed transfer leaves nothing behind and a batch can go on.
TRANSFER_FUNCTION = [
    # A transfer as the API shows it, with the state of a hold.
    """CREATE FUNCTION kith_ledger_view(p_id uuid)
RETURNS TABLE (id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text, phase text,
               pending_id uuid, timeout_at timestamptz, metadata jsonb, created_at timestamptz, status text)
LANGUAGE sql STABLE AS $$
  SELECT t.id, t.debit_account_id, t.credit_account_id, t.amount, t.code, t.phase, t.pending_id, t.timeout_at,
         t.metadata, t.created_at,
         CASE WHEN t.phase <> 'pending' THEN 'posted' WHEN r.phase = 'post' THEN 'posted'
              WHEN r.phase = 'void' THEN 'voided' WHEN t.timeout_at IS NOT NULL AND t.timeout_at <= now() THEN 'expired'
              ELSE 'pending' END
    FROM ledger_transfers t LEFT JOIN ledger_transfers r ON r.pending_id = t.id WHERE t.id = p_id $$""",
    """CREATE FUNCTION kith_ledger_transfer(
  p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid,
  p_timeout_at timestamptz, p_metadata jsonb, p_org uuid, p_owner_only boolean DEFAULT false)
RETURNS TABLE (result text, id uuid, debit_account_id uuid, credit_account_id uuid, amount bigint, code text,
               phase text, pending_id uuid, timeout_at timestamptz, metadata jsonb, created_at timestamptz,
               status text)
LANGUAGE plpgsql AS $$
DECLARE
  previous text := coalesce(current_setting('kith.platform', true), '');
  outcome text;
BEGIN
  -- A transfer touches two owners' accounts: the function works in the platform scope and restores
  -- the caller's afterwards. p_owner_only: the caller (p_org) may debit only its own accounts, and
  -- end only holds it made.
  PERFORM set_config('kith.platform', 'on', true);
  outcome := kith_ledger_apply(p_id, p_debit, p_credit, p_amount, p_code, p_phase, p_pending_id, p_timeout_at,
                               p_metadata, p_org, p_owner_only);
  RETURN QUERY SELECT outcome, v.* FROM kith_ledger_view(p_id) v
    UNION ALL SELECT outcome, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    WHERE NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = p_id);
  PERFORM set_config('kith.platform', previous, true);
END $$""",
    """CREATE FUNCTION kith_ledger_apply(
  p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_code text, p_phase text, p_pending_id uuid,
  p_timeout_at timestamptz, p_metadata jsonb, p_org uuid, p_owner_only boolean)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  t ledger_transfers%ROWTYPE;
  pend ledger_transfers%ROWTYPE;
  da ledger_accounts%ROWTYPE;
  ca ledger_accounts%ROWTYPE;
  amt bigint := p_amount;
  inserted uuid;
BEGIN
  SELECT * INTO t FROM ledger_transfers x WHERE x.id = p_id;
  IF FOUND THEN
    IF t.phase = p_phase AND (p_phase IN ('post', 'void') OR t.code = p_code)
       AND t.pending_id IS NOT DISTINCT FROM p_pending_id
       AND (p_phase IN ('post', 'void') OR (t.debit_account_id = p_debit AND t.credit_account_id = p_credit))
       AND (p_amount IS NULL OR t.amount = p_amount)
       AND t.metadata IS NOT DISTINCT FROM p_metadata THEN
      RETURN 'exists';
    END IF;
    RETURN 'exists_with_different_fields';
  END IF;

  IF p_phase IN ('post', 'void') THEN
    SELECT * INTO pend FROM ledger_transfers x WHERE x.id = p_pending_id;
    IF NOT FOUND OR (p_owner_only AND pend.org_id IS DISTINCT FROM p_org) THEN
      RETURN 'pending_transfer_not_found';
    END IF;
    IF pend.phase <> 'pending' THEN
      RETURN 'pending_transfer_not_pending';
    END IF;
    p_debit := pend.debit_account_id;
    p_credit := pend.credit_account_id;
    p_code := pend.code;
    IF p_phase = 'void' THEN
      amt := pend.amount;
    ELSE
      amt := coalesce(p_amount, pend.amount);
      IF amt > pend.amount THEN
        RETURN 'exceeds_pending_transfer_amount';
      END IF;
    END IF;
  END IF;

  PERFORM 1 FROM ledger_accounts x WHERE x.id IN (p_debit, p_credit) ORDER BY x.id FOR UPDATE;
  SELECT * INTO da FROM ledger_accounts x WHERE x.id = p_debit;
  IF NOT FOUND THEN
    RETURN 'debit_account_not_found';
  END IF;
  SELECT * INTO ca FROM ledger_accounts x WHERE x.id = p_credit;
  IF NOT FOUND THEN
    RETURN 'credit_account_not_found';
  END IF;

  IF p_phase IN ('post', 'void') THEN
    PERFORM 1 FROM ledger_transfers x WHERE x.pending_id = p_pending_id;
    IF FOUND THEN
      RETURN 'pending_transfer_already_resolved';
    END IF;
    IF p_phase = 'post' AND pend.timeout_at IS NOT NULL AND pend.timeout_at <= now() THEN
      RETURN 'pending_transfer_expired';
    END IF;
  ELSE
    IF p_owner_only AND da.org_id IS DISTINCT FROM p_org THEN
      RETURN 'debit_not_allowed';
    END IF;
    IF da.closed_at IS NOT NULL OR ca.closed_at IS NOT NULL THEN
      RETURN 'account_closed';
    END IF;
    IF da.debits_must_not_exceed_credits AND da.debits_posted + da.debits_pending + amt > da.credits_posted THEN
      RETURN 'exceeds_credits';
    END IF;
  END IF;

  INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, code, phase, pending_id,
                                timeout_at, metadata, org_id)
  VALUES (p_id, p_debit, p_credit, amt, p_code, p_phase, p_pending_id, p_timeout_at, p_metadata, p_org)
  ON CONFLICT DO NOTHING RETURNING ledger_transfers.id INTO inserted;
  IF inserted IS NULL THEN  -- the same id (or an end of the same hold), committed meanwhile
    RETURN kith_ledger_apply(p_id, p_debit, p_credit, p_amount, p_code, p_phase, p_pending_id, p_timeout_at,
                             p_metadata, p_org, p_owner_only);
  END IF;

  IF p_phase = 'single' THEN
    UPDATE ledger_accounts x SET debits_posted = x.debits_posted + amt WHERE x.id = p_debit;
    UPDATE ledger_accounts x SET credits_posted = x.credits_posted + amt WHERE x.id = p_credit;
  ELSIF p_phase = 'pending' THEN
    UPDATE ledger_accounts x SET debits_pending = x.debits_pending + amt WHERE x.id = p_debit;
    UPDATE ledger_accounts x SET credits_pending = x.credits_pending + amt WHERE x.id = p_credit;
  ELSIF p_phase = 'post' THEN
    UPDATE ledger_accounts x SET debits_pending = x.debits_pending - pend.amount,
                                 debits_posted = x.debits_posted + amt WHERE x.id = p_debit;
    UPDATE ledger_accounts x SET credits_pending = x.credits_pending - pend.amount,
                                 credits_posted = x.credits_posted + amt WHERE x.id = p_credit;
  ELSE
    UPDATE ledger_accounts x SET debits_pending = x.debits_pending - pend.amount WHERE x.id = p_debit;
    UPDATE ledger_accounts x SET credits_pending = x.credits_pending - pend.amount WHERE x.id = p_credit;
  END IF;
  RETURN 'created';
END $$""",
    f"GRANT EXECUTE ON FUNCTION kith_ledger_view(uuid) TO {APP_ROLE}",
    f"GRANT EXECUTE ON FUNCTION kith_ledger_apply(uuid, uuid, uuid, bigint, text, text, uuid, timestamptz, jsonb, "
    f"uuid, boolean) TO {APP_ROLE}",
    f"GRANT EXECUTE ON FUNCTION kith_ledger_transfer(uuid, uuid, uuid, bigint, text, text, uuid, timestamptz, jsonb, "
    f"uuid, boolean) TO {APP_ROLE}",
]


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", UUID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("person_id", UUID, sa.ForeignKey("people.id")),
        # The organisation that owns the account (row-level security); none for wallets and the
        # platform's own accounts.
        sa.Column("org_id", UUID, sa.ForeignKey("organisations.id")),
        sa.Column("name", sa.Text()),
        sa.Column("rule", postgresql.JSONB()),
        sa.Column("debits_must_not_exceed_credits", sa.Boolean(), nullable=False),
        sa.Column("debits_posted", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("credits_posted", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("debits_pending", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("credits_pending", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_accounts"),
        sa.CheckConstraint(
            "kind IN ('wallet', 'pool', 'operating', 'issuance', 'expiry')", name="ck_ledger_accounts_kind"
        ),
        sa.CheckConstraint(
            "owner_kind IN ('person', 'organisation', 'platform')", name="ck_ledger_accounts_owner_kind"
        ),
        # The balance rule, held by the database itself: whatever the service does, a flagged
        # account never pays out more than it holds, pending holds included.
        sa.CheckConstraint(
            "NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted",
            name="ck_ledger_accounts_balance",
        ),
        sa.CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 AND credits_pending >= 0",
            name="ck_ledger_accounts_non_negative",
        ),
    )
    op.create_index(
        "uq_ledger_accounts_wallet",
        "ledger_accounts",
        ["person_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'wallet'"),
    )
    op.create_index(
        "uq_ledger_accounts_operating",
        "ledger_accounts",
        ["org_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'operating'"),
    )
    op.create_index(
        "uq_ledger_accounts_platform",
        "ledger_accounts",
        ["kind"],
        unique=True,
        postgresql_where=sa.text("owner_kind = 'platform'"),
    )

    op.create_table(
        "ledger_transfers",
        sa.Column("id", UUID, nullable=False),  # chosen by the client: the idempotency key
        sa.Column("debit_account_id", UUID, sa.ForeignKey("ledger_accounts.id"), nullable=False),
        sa.Column("credit_account_id", UUID, sa.ForeignKey("ledger_accounts.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        # single: posted at once; pending: a hold; post / void: the end of a hold (pending_id).
        sa.Column("phase", sa.String(8), nullable=False),
        sa.Column("pending_id", UUID, sa.ForeignKey("ledger_transfers.id")),
        sa.Column("timeout_at", sa.DateTime(timezone=True)),
        sa.Column("metadata", postgresql.JSONB()),
        sa.Column("org_id", UUID, sa.ForeignKey("organisations.id")),  # who made it; none: the platform
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_transfers"),
        sa.CheckConstraint("amount > 0", name="ck_ledger_transfers_amount"),
        sa.CheckConstraint(f"code IN ({', '.join(repr(c) for c in CODES)})", name="ck_ledger_transfers_code"),
        sa.CheckConstraint(
            "phase IN ('single', 'pending', 'post', 'void')", name="ck_ledger_transfers_phase"
        ),
        sa.CheckConstraint("debit_account_id <> credit_account_id", name="ck_ledger_transfers_accounts"),
        sa.CheckConstraint(
            "(phase IN ('post', 'void')) = (pending_id IS NOT NULL)", name="ck_ledger_transfers_pending_id"
        ),
    )
    # A hold ends once: posted or voided, never both, never twice.
    op.create_index("uq_ledger_transfers_pending", "ledger_transfers", ["pending_id"], unique=True)
    op.create_index("ix_ledger_transfers_debit", "ledger_transfers", ["debit_account_id", "created_at"])
    op.create_index("ix_ledger_transfers_credit", "ledger_transfers", ["credit_account_id", "created_at"])
    op.create_index(
        "ix_ledger_transfers_timeout",
        "ledger_transfers",
        ["timeout_at"],
        postgresql_where=sa.text("phase = 'pending' AND timeout_at IS NOT NULL"),
    )

    op.create_table(
        "reward_cards",
        sa.Column("id", UUID, nullable=False),
        sa.Column("person_id", UUID, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_reward_cards"),
        sa.UniqueConstraint("token_hash", name="uq_reward_cards_token_hash"),
    )
    op.create_index("ix_reward_cards_person", "reward_cards", ["person_id"])

    for statement in IMMUTABLE + TRANSFER_FUNCTION:
        op.execute(statement)
    # The ledger is written only by the ledger service, inside the platform scope, after its own
    # checks of who may move what; organisations read their own accounts and the transfers that
    # touch them.
    for statement in tenant_table("ledger_accounts", privileges="SELECT, INSERT, UPDATE"):
        op.execute(statement)
    op.execute("ALTER TABLE ledger_transfers ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE ledger_transfers FORCE ROW LEVEL SECURITY")
    # A resident's wallet, and the transfers in and out of it, are readable by an organisation the
    # resident granted "rewards" (for the purpose rewards), as person records are (see 0003).
    op.execute(
        "CREATE POLICY ledger_accounts_via_consent ON ledger_accounts FOR SELECT "
        "USING (kind = 'wallet' AND kith_current_purpose() IS NOT NULL AND kith_consented(person_id, ARRAY['rewards']))"
    )
    op.execute(
        "CREATE POLICY ledger_transfers_visible ON ledger_transfers FOR SELECT USING (kith_is_platform() OR "
        "org_id = kith_current_org() OR EXISTS (SELECT 1 FROM ledger_accounts a WHERE "
        "a.id IN (ledger_transfers.debit_account_id, ledger_transfers.credit_account_id)))"
    )
    op.execute(
        "CREATE POLICY ledger_transfers_insert ON ledger_transfers FOR INSERT WITH CHECK (kith_is_platform())"
    )
    op.execute(f"GRANT SELECT, INSERT ON ledger_transfers TO {APP_ROLE}")
    op.execute("ALTER TABLE reward_cards ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE reward_cards FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY reward_cards_platform ON reward_cards USING (kith_is_platform()) WITH CHECK (kith_is_platform())"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON reward_cards TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON reward_cards FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ledger_transfers FROM {APP_ROLE}")
    for statement in drop_tenant_table("ledger_accounts"):
        op.execute(statement)
    op.drop_table("reward_cards")
    op.execute("DROP TABLE ledger_transfers")
    signature = "uuid, uuid, uuid, bigint, text, text, uuid, timestamptz, jsonb, uuid, boolean"
    op.execute(f"DROP FUNCTION kith_ledger_transfer({signature})")
    op.execute(f"DROP FUNCTION kith_ledger_apply({signature})")
    op.execute("DROP FUNCTION kith_ledger_view(uuid)")
    op.execute("DROP FUNCTION kith_ledger_immutable()")
    op.drop_table("ledger_accounts")
