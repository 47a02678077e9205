"""Earning: credits from an organisation's pool to a resident's wallet for doing good, and their
expiry where the pool says so. Every movement is a ledger transfer made through
``ledger/service.py``; nothing here writes a balance."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent import access as consent_access
from app.core.errors import ValidationFailed
from app.db.session import platform_scope
from app.identity import service as identity_service
from app.ledger import service as ledger
from app.rewards import pools, wallets
from app.rewards import repository as repo

DEFAULT_CREDITS_PER_HOUR = 1


async def earn(session: AsyncSession, principal: Principal, body: Any) -> tuple[dict[str, Any], bool]:
    """Credits from one of the caller's pools to a resident's wallet, for doing good: an amount, or
    hours at the pool's rate (1 hour = 1 credit unless the pool says otherwise). The person must
    have granted the caller ``rewards`` (or shown their card)."""
    pool = await pools.pool(session, body.pool_id)
    if pool.org_id != principal.org_id:
        raise pools.PoolNotFound(f"No pool {body.pool_id} of this organisation.")
    canonical = await identity_service.person_of_org(session, body.person_id)
    await consent_access.require(session, principal, canonical, "rewards", "rewards")
    if body.amount is not None:
        amount = body.amount
    else:
        rate = (pool.rule or {}).get("credits_per_hour", DEFAULT_CREDITS_PER_HOUR)
        amount = math.floor(body.hours * rate)
        if amount < 1:
            raise ValidationFailed(
                f"{body.hours} hours at {rate} credits an hour earns less than one credit.",
                errors=[{"field": "hours", "message": "too little to earn a credit"}],
            )
    wallet = await ledger.wallet(session, canonical)
    metadata: dict[str, Any] = {"hours": body.hours} if body.hours is not None else {}
    if body.interaction_id:
        metadata["interaction_id"] = str(body.interaction_id)
    expiry_days = (pool.rule or {}).get("expiry_days")
    if expiry_days:
        metadata["expires_at"] = (datetime.now(UTC) + timedelta(days=expiry_days)).isoformat()
    view, created = await ledger.transfer(
        session,
        principal,
        ledger.Transfer(
            id=body.id,
            code="earn",
            amount=amount,
            debit_account_id=pool.id,
            credit_account_id=wallet,
            metadata=metadata or None,
        ),
    )
    if created:
        await wallets.tell_organisations(session, "rewards.earned", canonical, principal, body.id, amount)
    return view, created


_CREDIT_EXPIRY = Principal.background("credit expiry")


async def expire_credits(session: AsyncSession, now: datetime | None = None) -> int:
    """Expire what is left of earnings past their pool's expiry, each by a visible ``expire``
    transfer from the wallet to the platform's expiry account. Spending is taken to use the oldest
    credits first, so what is left of an earning is what its wallet received up to and including it,
    less everything the wallet has paid out, within the earning's own amount. The credits expired."""
    now = now or datetime.now(UTC)
    async with platform_scope(session):
        due = await repo.earnings_due_to_expire(session, now)
    expired = 0
    expiry = await ledger.platform_account(session, "expiry") if due else None
    for earning_id, wallet_id in due:
        async with platform_scope(session):
            row = await repo.received_and_paid_out(session, wallet_id, earning_id)
        left = max(0, min(row.amount, row.received - row.paid_out))
        if left == 0:
            continue
        result, _ = await ledger.apply(
            session,
            _CREDIT_EXPIRY,
            ledger.Transfer(
                uuid.uuid5(earning_id, "expiry"),
                code="expire",
                amount=left,
                debit_account_id=wallet_id,
                credit_account_id=expiry,
                metadata={"earning": str(earning_id)},
            ),
            None,
        )
        if result == "created":
            expired += left
    return expired
