"""Rewards for doing good, on the ledger: pools funded by councils and businesses, credits earned
by residents for volunteering and community action, cards, redemption at local businesses, and
the wallet a resident (or an organisation they granted ``rewards``) can see.

Every movement is a ledger transfer made through ``ledger/service.py``; nothing here writes a
balance.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent import service as consent_service
from app.core.errors import NotFound, ValidationFailed
from app.core.pagination import PageRequest
from app.db.session import platform_scope
from app.identity import service as identity_service
from app.ledger import service as ledger
from app.mail import service as mail
from app.rewards import cards
from app.webhooks import service as events

DEFAULT_CREDITS_PER_HOUR = 1


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


async def _pool(session: AsyncSession, pool_id: uuid.UUID) -> Any:
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
    await _pool(session, pool_id)
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


async def _tell(
    session: AsyncSession,
    event_type: str,
    canonical: uuid.UUID,
    maker: Principal,
    transfer_id: uuid.UUID,
    amount: int,
) -> None:
    """``rewards.*`` for every organisation the person lets see their rewards, each naming the
    person and the transfer in its own ids."""
    async with platform_scope(session):
        receivers = await consent_service.organisations_to_tell(session, canonical, {"rewards"}, None)
        shown = await ledger.transfer_ids_for(session, maker.org_id, transfer_id, list(receivers))  # type: ignore[arg-type]
    await events.record_events(
        session,
        event_type,
        {
            org: {"transfer_id": str(shown[org]), "amount": amount, "person_id": str(theirs)}
            for org, theirs in receivers.items()
        },
    )


async def earn(session: AsyncSession, principal: Principal, body: Any) -> tuple[dict[str, Any], bool]:
    """Credits from one of the caller's pools to a resident's wallet, for doing good: an amount, or
    hours at the pool's rate (1 hour = 1 credit unless the pool says otherwise). The person must
    have granted the caller ``rewards`` (or shown their card)."""
    pool = await _pool(session, body.pool_id)
    if pool.org_id != principal.org_id:
        raise PoolNotFound(f"No pool {body.pool_id} of this organisation.")
    canonical = await identity_service.person_of_org(session, body.person_id)
    await consent_service.require(session, principal, canonical, "rewards", "rewards")
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
        await _tell(session, "rewards.earned", canonical, principal, body.id, amount)
    return view, created


async def _present_card(
    session: AsyncSession, principal: Principal, token: str
) -> tuple[uuid.UUID, uuid.UUID]:
    """A resident showing their card: the business is linked to them and holds a ``rewards``
    grant recorded as card_presented. (canonical person, the business's id for them)"""
    canonical, card_id = await cards.card_holder(session, principal, token)
    their_id = await identity_service.org_person_id(session, principal.org_id, canonical)  # type: ignore[arg-type]
    async with platform_scope(session):  # only resolving a card records card_presented (a trigger holds it)
        await _card_grant(session, principal, their_id, card_id)
    return canonical, their_id


async def _card_grant(
    session: AsyncSession, principal: Principal, their_id: uuid.UUID, card_id: uuid.UUID
) -> None:
    await consent_service.grant(  # its evidence is the card resolved, and when
        session,
        principal,
        org_id=principal.org_id,  # type: ignore[arg-type]
        org_person_id=their_id,
        purpose="rewards",
        categories=["identity", "rewards"],  # what presenting a card shows: who, and their credits
        method="card_presented",
        evidence={"kind": "card", "reference": str(card_id), "resolved_at": datetime.now(UTC).isoformat()},
    )


async def resolve_card(session: AsyncSession, principal: Principal, token: str) -> dict[str, Any]:
    """Who holds this card, in the caller's own id, and their available balance."""
    canonical, their_id = await _present_card(session, principal, token)
    # A read like any other: who holds the card, and their balance, in the resident's access log.
    async with consent_service.consented_read(
        session, principal, their_id, "rewards", "card", requires="rewards", shows={"identity", "rewards"}
    ):
        wallet = await ledger.account(session, await ledger.wallet(session, canonical), platform=True)
    return {"person_id": their_id, "balance": ledger.account_view(wallet)["available"]}


async def _spender(session: AsyncSession, principal: Principal, body: Any) -> tuple[uuid.UUID, uuid.UUID]:
    """Whose credits a redemption spends, proven by their card or by a one-time code they gave the
    business with its id for them: a grant alone never spends. (canonical person, the business's
    id for them)"""
    if body.card_token:
        if body.resident_code is not None:
            raise ValidationFailed(
                "A resident's one-time code goes with person_id; with the card, no code is needed.",
                errors=[{"field": "resident_code", "message": "give it with person_id, not with card_token"}],
            )
        return await _present_card(session, principal, body.card_token)
    if body.resident_code is None:
        raise ValidationFailed(
            "Spending a resident's credits needs their card, or the one-time code they give you with "
            "their id: a grant alone never spends.",
            errors=[
                {
                    "field": "resident_code",
                    "message": "required with person_id: the code the resident gives you",
                }
            ],
        )
    canonical = await identity_service.person_of_org(session, body.person_id)
    # Her rewards grant first: a business she did not let see her rewards learns nothing of a code.
    await consent_service.require(session, principal, canonical, "rewards", "rewards")
    if not await ledger.transfer_made(session, principal.org_id, body.id):  # type: ignore[arg-type]
        await cards.use_spend_code(session, principal, canonical, body.resident_code)
    # else a replay, answered as the transfer it repeats: it spends nothing, and the code is used up.
    return canonical, body.person_id


async def _tell_resident_of_spend(
    session: AsyncSession, principal: Principal, canonical: uuid.UUID, body: Any
) -> None:
    """Every spend of a resident's credits is told to them (by mail, at their own address)."""
    names = await consent_service.organisation_names(session, [principal.org_id])  # type: ignore[list-item]
    business = names.get(principal.org_id, ("a local business", ""))[0]  # type: ignore[arg-type]
    credits = f"{body.amount} credit{'' if body.amount == 1 else 's'}"
    if body.hold:
        subject = f"{credits} of your Kith rewards held at {business}"
        told = (
            f"{credits} of your Kith rewards are held by {business} for: {body.description}\n"
            "They will be spent when the purchase goes through, or come back to you if it does not.\n"
        )
    else:
        subject = f"You spent {credits} of your Kith rewards at {business}"
        told = f"{credits} of your Kith rewards were spent at {business} for: {body.description}\n"
    portal = session.info["settings"].public_url.rstrip("/") + "/portal/rewards"
    told += (
        f"\nIf this was not you, renew your card at {portal} straight away (your old card then stops "
        f"working), and tell {business}.\n"
    )
    async with platform_scope(session):
        await mail.tell_resident(session, canonical, subject, told)


async def redeem(session: AsyncSession, principal: Principal, body: Any) -> tuple[dict[str, Any], bool]:
    """Spend credits at the calling business: wallet → its operating account, held (two-phase)
    when ``hold``. The only way an organisation can debit a wallet: with the resident's card, or a
    one-time code they gave it; the resident is told of every spend."""
    canonical, their_id = await _spender(session, principal, body)
    await consent_service.require(session, principal, canonical, "rewards", "rewards")
    wallet = await ledger.wallet(session, canonical)
    operating = await ledger.operating_account(session, principal.org_id)  # type: ignore[arg-type]
    try:
        view, created = await ledger.transfer(
            session,
            principal,
            ledger.Transfer(
                id=body.id,
                code="redeem",
                amount=body.amount,
                debit_account_id=wallet,
                credit_account_id=operating,
                phase="pending" if body.hold else "single",
                timeout_seconds=body.hold_seconds if body.hold else None,
                metadata={"description": body.description},
            ),
        )
    except ledger.TransferRefused as exc:
        if exc.code == "exceeds_credits":
            available = ledger.account_view(await ledger.account(session, wallet, platform=True))["available"]
            raise ledger.TransferRefused(
                f"The resident has {available} credits available; {body.amount} were asked for.",
                status=409,
                code="exceeds_credits",
            ) from exc
        raise
    if created:
        await _tell(session, "rewards.redeemed", canonical, principal, body.id, body.amount)
        await _tell_resident_of_spend(session, principal, canonical, body)
    return {**view, "person_id": their_id}, created


async def wallet(
    session: AsyncSession, principal: Principal, org_person_id: uuid.UUID, page: PageRequest
) -> dict[str, Any]:
    """The resident's balance, holds and history, for an organisation they granted ``rewards``
    (403 otherwise). The read is access-logged."""
    # Read under the stated purpose: row-level security shows the wallet only to an organisation the
    # resident granted rewards, whatever the check decided.
    async with consent_service.consented_read(
        session, principal, org_person_id, "rewards", "wallet", requires="rewards", shows={"rewards"}
    ) as read:
        account_id = await ledger.wallet(session, read.person_id)
        account = ledger.account_view(await ledger.account(session, account_id))
        history, next_cursor = await ledger.transfers_of(session, principal, account_id, page)
    shown_wallet = await ledger.shown_account(session, principal, account_id)
    return {
        "person_id": org_person_id,
        "balance": account["balance"],
        "available": account["available"],
        "pending": account["debits_pending"],
        "history": [
            {
                "id": t["id"],
                "code": t["code"],
                "direction": "in" if t["credit_account_id"] == shown_wallet else "out",
                "amount": t["amount"],
                "phase": t["phase"],
                "status": t["status"],
                "created_at": t["created_at"],
            }
            for t in history
        ],
        "next_cursor": next_cursor,
    }


async def close_wallet(session: AsyncSession, actor: Principal, canonical: uuid.UUID) -> int:
    """Close a resident's wallet (on erasure): holds released, and the balance returned to the
    pools it was earned from, newest earnings first, each by a visible transfer (whatever cannot be
    traced to a pool goes to the platform's expiry account). The credits returned."""
    async with platform_scope(session):
        wallet_id = await session.scalar(
            text("SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND person_id = :p"), {"p": canonical}
        )
        if wallet_id is None:
            return 0
        holds = (
            await session.execute(
                text(
                    "SELECT t.id FROM ledger_transfers t WHERE t.debit_account_id = :w AND t.phase = 'pending' "
                    "AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)"
                ),
                {"w": wallet_id},
            )
        ).scalars()
        for hold_id in list(holds):
            await ledger.apply(
                session,
                actor,
                ledger.Transfer(
                    uuid.uuid5(hold_id, "erasure"), code="reverse", phase="void", pending_id=hold_id
                ),
                None,
            )
        earnings = (
            await session.execute(
                text(
                    "SELECT id, debit_account_id, amount FROM ledger_transfers WHERE credit_account_id = :w "
                    "AND code = 'earn' AND phase = 'single' ORDER BY created_at DESC, id DESC"
                ),
                {"w": wallet_id},
            )
        ).all()
    remaining = ledger.account_view(await ledger.account(session, wallet_id, platform=True))["available"]
    returned = remaining
    destinations = [(e.id, e.debit_account_id, e.amount) for e in earnings]
    destinations.append((wallet_id, await ledger.platform_account(session, "expiry"), remaining))
    for source_id, destination, earned in destinations:
        if remaining <= 0:
            break
        amount = min(remaining, earned)
        result, _ = await ledger.apply(
            session,
            actor,
            ledger.Transfer(
                uuid.uuid5(source_id, f"erasure:{wallet_id}"),
                code="refund",
                amount=amount,
                debit_account_id=wallet_id,
                credit_account_id=destination,
                metadata={"reason": "wallet closed on erasure"},
            ),
            None,
        )
        if result not in ("created", "exists"):
            raise ledger.refusal(result)
        remaining -= amount
    await ledger.close_account(session, wallet_id)
    return returned


_CREDIT_EXPIRY = Principal.background("credit expiry")


async def expire_credits(session: AsyncSession, now: datetime | None = None) -> int:
    """Expire what is left of earnings past their pool's expiry, each by a visible ``expire``
    transfer from the wallet to the platform's expiry account. Spending is taken to use the oldest
    credits first, so what is left of an earning is what its wallet received up to and including it,
    less everything the wallet has paid out, within the earning's own amount. The credits expired."""
    now = now or datetime.now(UTC)
    async with platform_scope(session):
        due = (
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
    expired = 0
    expiry = await ledger.platform_account(session, "expiry") if due else None
    for earning_id, wallet_id in due:
        async with platform_scope(session):
            row = (
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
