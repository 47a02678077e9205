"""Rewards pools: accounts on the ledger that organisations own and any organisation may fund,
from which residents earn credits (``earning.py``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.errors import NotFound
from app.ledger import service as ledger


class PoolNotFound(NotFound):
    code = "pool_not_found"


def pool_view(row: Any) -> dict[str, Any]:
    view = ledger.account_view(row)
    return {**view, "rule": row.rule or {}, "owner_org_id": row.org_id}


async def create_pool(
    session: AsyncSession, principal: Principal, name: str, credits_per_hour: int, expiry_days: int | None
) -> dict[str, Any]:
    """A pool owned by the calling organisation; others may fund it."""
    rule = {"credits_per_hour": credits_per_hour}
    if expiry_days:
        rule["expiry_days"] = expiry_days
    return pool_view(await ledger.create_pool(session, principal, name, rule))


async def pool(session: AsyncSession, pool_id: uuid.UUID) -> Any:
    """The pool's account; 404 for any other id."""
    try:
        row = await ledger.account(session, pool_id, platform=True)
    except ledger.AccountNotFound:
        row = None
    if row is None or row.kind != "pool":
        raise PoolNotFound(f"No pool {pool_id}.")
    return row


async def fund_pool(
    session: AsyncSession, principal: Principal, pool_id: uuid.UUID, transfer_id: uuid.UUID, amount: int
) -> tuple[dict[str, Any], bool]:
    """Move credits from the caller's operating account into a pool (its own or another's)."""
    await pool(session, pool_id)
    operating = await ledger.operating_account(session, principal.org_id)  # type: ignore[arg-type]
    return await ledger.transfer(
        session,
        principal,
        ledger.Transfer(
            id=transfer_id,
            code="fund",
            amount=ledger.require_positive(amount),
            debit_account_id=operating,
            credit_account_id=pool_id,
        ),
    )
