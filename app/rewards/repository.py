"""SQL for rewards: what closing a wallet and expiring credits read of the ledger's accounts and
transfers (the ledger's service alone writes them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def wallet_of(session: AsyncSession, person_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        text("SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND person_id = :p"), {"p": person_id}
    )


async def open_holds(session: AsyncSession, wallet_id: uuid.UUID) -> list[uuid.UUID]:
    """The holds on the wallet that no post or void has ended."""
    holds = (
        await session.execute(
            text(
                "SELECT t.id FROM ledger_transfers t WHERE t.debit_account_id = :w AND t.phase = 'pending' "
                "AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)"
            ),
            {"w": wallet_id},
        )
    ).scalars()
    return list(holds)


async def earnings_into(session: AsyncSession, wallet_id: uuid.UUID) -> Sequence[Any]:
    """The wallet's earnings (id, debit_account_id: the pool, amount), newest first."""
    return (
        await session.execute(
            text(
                "SELECT id, debit_account_id, amount FROM ledger_transfers WHERE credit_account_id = :w "
                "AND code = 'earn' AND phase = 'single' ORDER BY created_at DESC, id DESC"
            ),
            {"w": wallet_id},
        )
    ).all()


async def earnings_due_to_expire(session: AsyncSession, now: datetime) -> Sequence[Any]:
    """(earning, wallet) of every earning past its expiry into an open wallet with credits left,
    by wallet and then oldest first."""
    return (
        await session.execute(
            text(
                "SELECT t.id, t.credit_account_id AS wallet FROM ledger_transfers t "
                "JOIN ledger_accounts w ON w.id = t.credit_account_id AND w.kind = 'wallet' "
                "AND w.closed_at IS NULL AND w.credits_posted - w.debits_posted - w.debits_pending > 0 "
                "WHERE t.code = 'earn' AND t.phase = 'single' AND (t.metadata ->> 'expires_at') IS NOT NULL "
                "AND CAST(t.metadata ->> 'expires_at' AS timestamptz) <= :now "
                "ORDER BY t.credit_account_id, t.created_at, t.id"
            ),
            {"now": now},
        )
    ).all()


async def received_and_paid_out(session: AsyncSession, wallet_id: uuid.UUID, earning_id: uuid.UUID) -> Any:
    """What the wallet received up to and including the earning (``received``), the earning's
    ``amount``, and everything the wallet has paid out or holds (``paid_out``)."""
    return (
        await session.execute(
            text(
                "SELECT (SELECT coalesce(sum(i.amount), 0) FROM ledger_transfers i WHERE i.credit_account_id = :w "
                "AND i.phase IN ('single', 'post') AND (i.created_at, i.id) <= (e.created_at, e.id)) AS received, "
                "e.amount, a.debits_posted + a.debits_pending AS paid_out "
                "FROM ledger_transfers e JOIN ledger_accounts a ON a.id = :w WHERE e.id = :e"
            ),
            {"w": wallet_id, "e": earning_id},
        )
    ).one()
