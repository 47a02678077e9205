"""Redemption: a resident spends credits at a local business, proven by their card or a one-time
code they gave it, and is told of every spend; a card shown links the business to them with a
``rewards`` grant. Every movement is a ledger transfer made through ``ledger/service.py``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent import access as consent_access
from app.consent import service as consent_service
from app.core.errors import ValidationFailed
from app.db.session import platform_scope
from app.identity import service as identity_service
from app.ledger import service as ledger
from app.mail import service as mail
from app.rewards import cards, wallets


async def _present_card(
    session: AsyncSession, principal: Principal, token: str, pin: str | None = None
) -> tuple[uuid.UUID, uuid.UUID]:
    """A resident showing their card (with its PIN, for a card an organisation gave them): the
    business is linked to them and holds a ``rewards`` grant recorded as card_presented.
    (canonical person, the business's id for them)"""
    canonical, card_id = await cards.card_holder(session, principal, token, pin)
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


async def resolve_card(
    session: AsyncSession, principal: Principal, token: str, pin: str | None = None
) -> dict[str, Any]:
    """Who holds this card, in the caller's own id, and their available balance."""
    canonical, their_id = await _present_card(session, principal, token, pin)
    # A read like any other: who holds the card, and their balance, in the resident's access log.
    async with consent_access.consented_read(
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
        return await _present_card(session, principal, body.card_token, body.card_pin)
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
    await consent_access.require(session, principal, canonical, "rewards", "rewards")
    if not await ledger.transfer_made(session, principal.org_id, body.id):  # type: ignore[arg-type]
        await cards.use_spend_code(session, principal, canonical, body.resident_code)
    # else a replay, answered as the transfer it repeats: it spends nothing, and the code is used up.
    return canonical, body.person_id


async def _tell_resident_of_spend(
    session: AsyncSession, principal: Principal, canonical: uuid.UUID, body: Any
) -> None:
    """Every spend of a resident's credits is told to them (by mail, at their own address)."""
    names = await consent_access.organisation_names(session, [principal.org_id])  # type: ignore[list-item]
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
    await consent_access.require(session, principal, canonical, "rewards", "rewards")
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
        await wallets.tell_organisations(
            session, "rewards.redeemed", canonical, principal, body.id, body.amount
        )
        await _tell_resident_of_spend(session, principal, canonical, body)
    return {**view, "person_id": their_id}, created
