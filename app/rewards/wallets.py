"""A resident's wallet on the ledger: what an organisation they granted ``rewards`` sees of it, the
organisations told of each movement, and its closing on erasure. Every movement is a ledger
transfer made through ``ledger/service.py``; nothing here writes a balance."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent import access as consent_access
from app.core.pagination import PageRequest
from app.db.session import platform_scope
from app.ledger import service as ledger
from app.rewards import repository as repo
from app.webhooks import service as events


async def tell_organisations(
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
        receivers = await consent_access.organisations_to_tell(session, canonical, {"rewards"}, None)
        shown = await ledger.transfer_ids_for(session, maker.org_id, transfer_id, list(receivers))  # type: ignore[arg-type]
    await events.record_events(
        session,
        event_type,
        {
            org: {"transfer_id": str(shown[org]), "amount": amount, "person_id": str(theirs)}
            for org, theirs in receivers.items()
        },
    )


async def wallet(
    session: AsyncSession, principal: Principal, org_person_id: uuid.UUID, page: PageRequest
) -> dict[str, Any]:
    """The resident's balance, holds and history, for an organisation they granted ``rewards``
    (403 otherwise). The read is access-logged."""
    # Read under the stated purpose: row-level security shows the wallet only to an organisation the
    # resident granted rewards, whatever the check decided.
    async with consent_access.consented_read(
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
        wallet_id = await repo.wallet_of(session, canonical)
        if wallet_id is None:
            return 0
        for hold_id in await repo.open_holds(session, wallet_id):
            await ledger.apply(
                session,
                actor,
                ledger.Transfer(
                    uuid.uuid5(hold_id, "erasure"), code="reverse", phase="void", pending_id=hold_id
                ),
                None,
            )
        earnings = await repo.earnings_into(session, wallet_id)
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
