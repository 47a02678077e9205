"""The low-level ledger API, and the platform's mint."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from app.auth.deps import Context, DirectContext, DirectRoute, direct, tenant
from app.core.pagination import PageRequest, page_request
from app.ledger import service
from app.ledger.schemas import (
    AccountOut,
    BatchIn,
    MintIn,
    OperatingLimitIn,
    PostIn,
    TransferBatchOut,
    TransferIn,
    TransferList,
    TransferOut,
    VoidIn,
)

router = APIRouter(prefix="/ledger", tags=["ledger"])
# Single transfers, posts and voids: the busiest writes, each one statement (see DirectRoute).
transfers = APIRouter(prefix="/ledger", tags=["ledger"], route_class=DirectRoute)
admin = APIRouter(prefix="/admin/ledger", tags=["admin"])
_REPLAY = {200: {"model": TransferOut, "description": "A replay: the original transfer"}}


def _answer(view: dict, created: bool) -> Response:
    body = TransferOut(**view).model_dump_json()
    return Response(body, status_code=201 if created else 200, media_type="application/json")


def _transfer(body: TransferIn) -> service.Transfer:
    return service.Transfer(
        id=body.id,
        code=body.code,
        amount=body.amount,
        debit_account_id=body.debit_account_id,
        credit_account_id=body.credit_account_id,
        phase="pending" if body.pending else "single",
        timeout_seconds=body.timeout_seconds,
        metadata=body.metadata,
    )


@router.get("/accounts/{account_id}", response_model=AccountOut, operation_id="getLedgerAccount")
async def get_account(account_id: uuid.UUID, ctx: Context = tenant("ledger:read")):
    """One of the organisation's ledger accounts, with its balances."""
    return await service.account_for_org(ctx.session, ctx.principal, account_id)


@router.get(
    "/accounts/{account_id}/transfers", response_model=TransferList, operation_id="listAccountTransfers"
)
async def account_transfers(
    account_id: uuid.UUID, page: PageRequest = Depends(page_request), ctx: Context = tenant("ledger:read")
):
    """Transfers touching one of the organisation's accounts, newest first."""
    await service.account_for_org(ctx.session, ctx.principal, account_id)
    items, next_cursor = await service.transfers_of(ctx.session, ctx.principal, account_id, page)
    return TransferList(items=items, next_cursor=next_cursor)


@transfers.post(
    "/transfers",
    response_model=TransferOut,
    status_code=201,
    operation_id="createTransfer",
    responses=_REPLAY,
)
async def create_transfer(body: TransferIn, ctx: DirectContext = direct("ledger:write")):
    """Move credits from an account the organisation owns (201; the same id again: 200)."""
    return _answer(*await service.transfer_by_org_directly(ctx.db, ctx.principal, _transfer(body)))


@router.post("/transfers/batch", response_model=TransferBatchOut, operation_id="createTransfersBatch")
async def create_transfers(body: BatchIn, ctx: Context = tenant("ledger:write")):
    """Up to 1,000 transfers, answered by index; atomic: all or nothing."""
    results = await service.batch_by_org(
        ctx.session, ctx.principal, [_transfer(t) for t in body.transfers], body.atomic
    )
    return TransferBatchOut(results=results)


@transfers.post(
    "/transfers/{transfer_id}/post",
    response_model=TransferOut,
    status_code=201,
    operation_id="postTransfer",
    responses=_REPLAY,
)
async def post_transfer(transfer_id: uuid.UUID, body: PostIn, ctx: DirectContext = direct("ledger:write")):
    """Post a hold the organisation made, in full or in part (the rest is released)."""
    t = service.Transfer(id=body.id, code="", amount=body.amount, phase="post", pending_id=transfer_id)
    return _answer(*await service.transfer_by_org_directly(ctx.db, ctx.principal, t))


@transfers.post(
    "/transfers/{transfer_id}/void",
    response_model=TransferOut,
    status_code=201,
    operation_id="voidTransfer",
    responses=_REPLAY,
)
async def void_transfer(transfer_id: uuid.UUID, body: VoidIn, ctx: DirectContext = direct("ledger:write")):
    """Release a hold the organisation made."""
    t = service.Transfer(id=body.id, code="", phase="void", pending_id=transfer_id)
    return _answer(*await service.transfer_by_org_directly(ctx.db, ctx.principal, t))


@admin.post(
    "/mint", response_model=TransferOut, status_code=201, operation_id="mintCredits", responses=_REPLAY
)
async def mint(body: MintIn, ctx: Context = tenant("admin")):
    """Issue credits into an account against a contribution made outside Kith (platform only)."""
    return _answer(
        *await service.mint(ctx.session, ctx.principal, body.id, body.account_id, body.amount, body.reference)
    )


@admin.put("/operating-accounts/{org_id}", response_model=AccountOut, operation_id="setOperatingAccountLimit")
async def set_operating_limit(org_id: uuid.UUID, body: OperatingLimitIn, ctx: Context = tenant("admin")):
    """Let an organisation's operating account go below zero, or not (platform only; not by default)."""
    return await service.let_operating_go_negative(ctx.session, ctx.principal, org_id, body.may_go_negative)
