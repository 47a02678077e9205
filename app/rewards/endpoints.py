"""Rewards: pools, earning, cards, redemption, wallets."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from app.auth.deps import Context, tenant
from app.core.pagination import PageRequest, page_request
from app.ledger.schemas import TransferOut
from app.rewards import cards, earning, pools, redemption, wallets
from app.rewards.schemas import (
    CardIn,
    CardIssued,
    CardResolved,
    EarnIn,
    FundIn,
    PoolIn,
    PoolOut,
    Redeemed,
    RedeemIn,
    WalletOut,
)

router = APIRouter(tags=["rewards"])
admin = APIRouter(prefix="/admin", tags=["admin"])


def _answer(model, view: dict, created: bool) -> JSONResponse:
    return JSONResponse(model(**view).model_dump(mode="json"), status_code=201 if created else 200)


@router.post("/rewards/pools", response_model=PoolOut, status_code=201, operation_id="createPool")
async def create_pool(body: PoolIn, ctx: Context = tenant("rewards:earn")):
    """Create a rewards pool owned by the organisation (others may fund it)."""
    return await pools.create_pool(
        ctx.session, ctx.principal, body.name, body.credits_per_hour, body.expiry_days
    )


@router.post(
    "/rewards/pools/{pool_id}/fund", response_model=TransferOut, status_code=201, operation_id="fundPool"
)
async def fund_pool(pool_id: uuid.UUID, body: FundIn, ctx: Context = tenant("ledger:write")):
    """Fund a pool from the organisation's operating account."""
    return _answer(
        TransferOut, *await pools.fund_pool(ctx.session, ctx.principal, pool_id, body.id, body.amount)
    )


@router.post("/rewards/earn", response_model=TransferOut, status_code=201, operation_id="earnCredits")
async def earn(body: EarnIn, ctx: Context = tenant("rewards:earn")):
    """Award a resident credits from one of the organisation's pools (an amount, or hours)."""
    return _answer(TransferOut, *await earning.earn(ctx.session, ctx.principal, body))


@router.post("/cards/resolve", response_model=CardResolved, operation_id="resolveCard")
async def resolve_card(body: CardIn, ctx: Context = tenant("rewards:redeem")):
    """A resident shows their card: who they are (in the organisation's id) and what they can spend."""
    return await redemption.resolve_card(ctx.session, ctx.principal, body.card_token, body.card_pin)


@router.post("/rewards/redeem", response_model=Redeemed, status_code=201, operation_id="redeemCredits")
async def redeem(body: RedeemIn, ctx: Context = tenant("rewards:redeem")):
    """Spend a resident's credits with their card or one-time code (optionally as a hold to post or void later)."""
    return _answer(Redeemed, *await redemption.redeem(ctx.session, ctx.principal, body))


@router.get("/people/{person_id}/wallet", response_model=WalletOut, operation_id="getWallet")
async def get_wallet(
    person_id: uuid.UUID, page: PageRequest = Depends(page_request), ctx: Context = tenant("ledger:read")
):
    """A resident's credits and their history (needs the person's rewards grant)."""
    return await wallets.wallet(ctx.session, ctx.principal, person_id, page)


@admin.post("/people/{person_id}/card", response_model=CardIssued, status_code=201, operation_id="issueCard")
async def issue_card(person_id: uuid.UUID, ctx: Context = tenant("admin")):
    """Issue a resident a new card (any earlier one stops working); its code is in their portal too."""
    return {"card_token": await cards.issue_card(ctx.session, ctx.principal, person_id)}
