"""The ledger: the only code that writes ledger rows.

Double-entry and immutable, in the model of TigerBeetle. Every movement is a transfer between two
accounts; a balance is never set, only moved. Each transfer (or the posting or voiding of a hold)
is one call of the database function ``kith_ledger_transfer``, which in one round trip checks for a
replay of its id, locks both accounts in id order — so that concurrent transfers queue on the rows
they touch and can never deadlock each other — applies the balance rule, and writes. The balance
rule is also a CHECK constraint on the accounts table: the database refuses an overdrawn flagged
account whatever the code above it does. Business refusals come back as results, not errors, so a
refused transfer leaves nothing behind and a non-atomic batch goes on past it.

Authorisation (who may debit what) is decided here before the call; the writes run in the platform
scope because a transfer touches two owners' accounts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from app.core.pagination import PageRequest, encode_cursor
from app.db.session import platform_scope


class TransferRefused(AppError):
    """A transfer the ledger refused; ``code`` says why in TigerBeetle's words."""

    status, title = 409, "Transfer refused"


class AccountNotFound(NotFound):
    code = "account_not_found"


class TransferNotFound(NotFound):
    code = "transfer_not_found"


_REFUSALS: dict[str, tuple[int, str]] = {
    "exists_with_different_fields": (409, "A transfer with this id exists with different fields."),
    "exceeds_credits": (409, "The debit account does not hold enough credits for this transfer."),
    "debit_account_not_found": (404, "No such debit account."),
    "credit_account_not_found": (404, "No such credit account."),
    "account_closed": (409, "One of the accounts is closed."),
    "pending_transfer_not_found": (404, "No such pending transfer."),
    "pending_transfer_not_pending": (409, "That transfer is not a hold."),
    "pending_transfer_already_resolved": (409, "That hold has already been posted or voided."),
    "pending_transfer_expired": (409, "That hold has timed out."),
    "exceeds_pending_transfer_amount": (422, "A hold cannot be posted for more than it holds."),
}


@dataclass(frozen=True)
class Transfer:
    """A transfer to make: ``phase`` single (posted at once), pending (a hold), post or void."""

    id: uuid.UUID
    code: str
    amount: int | None = None
    debit_account_id: uuid.UUID | None = None
    credit_account_id: uuid.UUID | None = None
    phase: str = "single"
    pending_id: uuid.UUID | None = None
    timeout_seconds: int | None = None
    metadata: dict[str, Any] | None = None


def refusal(result: str) -> TransferRefused:
    status, detail = _REFUSALS[result]
    code = "transfer_exists_with_different_fields" if result == "exists_with_different_fields" else result
    return TransferRefused(detail, status=status, code=code)


async def apply(session: AsyncSession, t: Transfer, org_id: uuid.UUID | None) -> tuple[str, uuid.UUID | None]:
    """Make one transfer (no authorisation check: callers decide who may). (result, transfer id):
    result ``created``, ``exists`` (the same transfer again) or a refusal code."""
    timeout_at = datetime.now(UTC) + timedelta(seconds=t.timeout_seconds) if t.timeout_seconds else None
    async with platform_scope(session):
        row = (
            await session.execute(
                text(
                    "SELECT result, transfer_id FROM kith_ledger_transfer(:id, :debit, :credit, :amount, :code, "
                    ":phase, :pending, :timeout, CAST(:metadata AS jsonb), :org)"
                ),
                {
                    "id": t.id,
                    "debit": t.debit_account_id,
                    "credit": t.credit_account_id,
                    "amount": t.amount,
                    "code": t.code,
                    "phase": t.phase,
                    "pending": t.pending_id,
                    "timeout": timeout_at,
                    "metadata": orjson.dumps(t.metadata).decode() if t.metadata is not None else None,
                    "org": org_id,
                },
            )
        ).one()
    return row.result, row.transfer_id


async def transfer(session: AsyncSession, actor: Principal, t: Transfer) -> tuple[dict[str, Any], bool]:
    """Make one transfer and answer with it: (transfer, True) when made now, (the original, False)
    on a replay; a refusal raises."""
    result, transfer_id = await apply(session, t, actor.org_id)
    if result not in ("created", "exists"):
        raise refusal(result)
    if result == "created":
        audit.record(
            session,
            actor,
            f"ledger.{t.phase}",
            "ledger_transfer",
            transfer_id,
            {"code": t.code, "amount": t.amount},
        )
    return await get_transfer(session, transfer_id, platform=True), result == "created"  # type: ignore[arg-type]


def _view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "debit_account_id": row.debit_account_id,
        "credit_account_id": row.credit_account_id,
        "amount": row.amount,
        "code": row.code,
        "phase": row.phase,
        "pending_id": row.pending_id,
        "timeout_at": row.timeout_at,
        "metadata": row.metadata,
        "created_at": row.created_at,
        "status": row.status,
    }


_TRANSFER_SELECT = (
    "SELECT t.*, CASE WHEN t.phase <> 'pending' THEN 'posted' "
    "WHEN r.phase = 'post' THEN 'posted' WHEN r.phase = 'void' THEN 'voided' "
    "WHEN t.timeout_at IS NOT NULL AND t.timeout_at <= now() THEN 'expired' ELSE 'pending' END AS status "
    "FROM ledger_transfers t LEFT JOIN ledger_transfers r ON r.pending_id = t.id "
)


async def get_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, *, platform: bool = False
) -> dict[str, Any]:
    """A transfer the caller may see (one touching its accounts), with the state of a hold."""
    statement = text(_TRANSFER_SELECT + "WHERE t.id = :id")
    if platform:
        async with platform_scope(session):
            row = (await session.execute(statement, {"id": transfer_id})).first()
    else:
        row = (await session.execute(statement, {"id": transfer_id})).first()
    if row is None:
        raise TransferNotFound(f"No transfer {transfer_id}.")
    return _view(row)


# ------------------------------------------------------------------------------------- accounts


def account_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "owner_kind": row.owner_kind,
        "name": row.name,
        "debits_must_not_exceed_credits": row.debits_must_not_exceed_credits,
        "debits_posted": row.debits_posted,
        "credits_posted": row.credits_posted,
        "debits_pending": row.debits_pending,
        "credits_pending": row.credits_pending,
        "balance": row.credits_posted - row.debits_posted,
        "available": row.credits_posted - row.debits_posted - row.debits_pending,
        "closed_at": row.closed_at,
        "created_at": row.created_at,
    }


async def account(session: AsyncSession, account_id: uuid.UUID, *, platform: bool = False) -> Any:
    statement = text("SELECT * FROM ledger_accounts WHERE id = :id")
    if platform:
        async with platform_scope(session):
            row = (await session.execute(statement, {"id": account_id})).first()
    else:
        row = (await session.execute(statement, {"id": account_id})).first()
    if row is None:
        raise AccountNotFound(f"No ledger account {account_id}.")
    return row


_FIND = {
    "operating": text("SELECT id FROM ledger_accounts WHERE kind = 'operating' AND org_id = :org_id"),
    "wallet": text("SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND person_id = :person_id"),
    "platform": text("SELECT id FROM ledger_accounts WHERE kind = :kind AND owner_kind = 'platform'"),
}


async def _ensure(session: AsyncSession, unique: str, values: dict[str, Any]) -> uuid.UUID:
    """The account of a kind there is one of per owner, made on first use."""
    async with platform_scope(session):
        await session.execute(
            text(
                "INSERT INTO ledger_accounts (id, kind, owner_kind, person_id, org_id, name, "
                "debits_must_not_exceed_credits) VALUES (:id, :kind, :owner_kind, :person_id, :org_id, :name, :flag) "
                "ON CONFLICT DO NOTHING"
            ),
            {"id": uuid.uuid4(), "person_id": None, "org_id": None, "name": None, **values},
        )
        return await session.scalar(_FIND[unique], values)  # type: ignore[return-value]


async def operating_account(session: AsyncSession, org_id: uuid.UUID) -> uuid.UUID:
    """The organisation's operating account: where redemptions land and funding comes from. It may
    go below zero — what an organisation owes the scheme is settled outside Kith."""
    return await _ensure(
        session,
        "operating",
        {
            "kind": "operating",
            "owner_kind": "organisation",
            "org_id": org_id,
            "flag": False,
            "name": "operating",
        },
    )


async def wallet(session: AsyncSession, person_id: uuid.UUID) -> uuid.UUID:
    """The resident's wallet (their canonical person), which never goes below zero."""
    return await _ensure(
        session,
        "wallet",
        {"kind": "wallet", "owner_kind": "person", "person_id": person_id, "flag": True, "name": "wallet"},
    )


async def platform_account(session: AsyncSession, kind: str) -> uuid.UUID:
    """The platform's issuance account (where minted credits come from) or expiry account."""
    return await _ensure(
        session,
        "platform",
        {"kind": kind, "owner_kind": "platform", "flag": False, "name": kind},
    )


async def create_pool(session: AsyncSession, principal: Principal, name: str, rule: dict[str, Any]) -> Any:
    account_id = uuid.uuid4()
    async with platform_scope(session):
        await session.execute(
            text(
                "INSERT INTO ledger_accounts (id, kind, owner_kind, org_id, name, rule, debits_must_not_exceed_credits) "
                "VALUES (:id, 'pool', 'organisation', :org, :name, CAST(:rule AS jsonb), true)"
            ),
            {"id": account_id, "org": principal.org_id, "name": name, "rule": orjson.dumps(rule).decode()},
        )
    audit.record(session, principal, "ledger.pool_created", "ledger_account", account_id, {"name": name})
    return await account(session, account_id)


# --------------------------------------------------------------------------- the low-level API


async def transfer_by_org(
    session: AsyncSession, principal: Principal, t: Transfer
) -> tuple[dict[str, Any], bool]:
    """A transfer asked for through the low-level API: an organisation debits only accounts it
    owns, and never a resident's wallet (that takes a redemption)."""
    if t.phase in ("post", "void"):
        # A hold is ended by whoever made it (a business posting or releasing a held redemption).
        made_by = await session.scalar(
            text("SELECT org_id FROM ledger_transfers WHERE id = :id AND phase = 'pending'"),
            {"id": t.pending_id},
        )
        if made_by is None or made_by != principal.org_id:
            raise TransferNotFound(f"No pending transfer {t.pending_id} of this organisation.")
    else:
        debit = await account(session, t.debit_account_id, platform=True)  # type: ignore[arg-type]
        if debit.org_id != principal.org_id:
            raise Forbidden(
                "An organisation may debit only accounts it owns; a resident's wallet only by a redemption.",
                code="debit_not_allowed",
            )
        await account(session, t.credit_account_id, platform=True)  # type: ignore[arg-type]
    return await transfer(session, principal, t)


async def batch_by_org(
    session: AsyncSession, principal: Principal, transfers: list[Transfer], atomic: bool
) -> list[dict[str, Any]]:
    """Several transfers: each answered by index. ``atomic``: all are made or none (the first
    refusal undoes the rest, and the answer says which one and why)."""
    results: list[dict[str, Any]] = []
    for index, t in enumerate(transfers):
        try:
            view, created = await transfer_by_org(session, principal, t)
            results.append({"index": index, "result": "created" if created else "exists", "transfer": view})
        except (TransferRefused, NotFound, Forbidden) as exc:
            results.append({"index": index, "result": exc.code, "detail": exc.detail})
            if atomic:
                raise AtomicBatchRefused(results) from exc
    return results


class AtomicBatchRefused(Conflict):
    code = "atomic_batch_refused"

    def __init__(self, results: list[dict[str, Any]]) -> None:
        failed = results[-1]
        super().__init__(
            f"Transfer {failed['index']} was refused ({failed['result']}): nothing in the batch was made.",
            errors=[{"field": f"transfers.{failed['index']}", "message": failed["detail"]}],
        )


async def account_for_org(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID
) -> dict[str, Any]:
    """One of the organisation's own accounts (row-level security hides everyone else's)."""
    return account_view(await account(session, account_id))


async def transfers_of(
    session: AsyncSession, account_id: uuid.UUID, page: PageRequest, *, platform: bool = False
) -> tuple[list[dict[str, Any]], str | None]:
    """Transfers touching an account, newest first."""
    before = page.position(datetime.fromisoformat, uuid.UUID)
    statement = text(
        _TRANSFER_SELECT + "WHERE (t.debit_account_id = :acc OR t.credit_account_id = :acc) "
        "AND (CAST(:at AS timestamptz) IS NULL OR (t.created_at, t.id) < (:at, :tid)) "
        "ORDER BY t.created_at DESC, t.id DESC LIMIT :limit"
    )
    params = {
        "acc": account_id,
        "at": before[0] if before else None,
        "tid": before[1] if before else uuid.UUID(int=0),
        "limit": page.limit + 1,
    }
    if platform:
        async with platform_scope(session):
            rows = (await session.execute(statement, params)).all()
    else:
        rows = (await session.execute(statement, params)).all()
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        next_cursor = encode_cursor((rows[-1].created_at.isoformat(), str(rows[-1].id)))
    return [_view(r) for r in rows], next_cursor


async def void_expired_holds(session: AsyncSession, limit: int = 500) -> int:
    """Void holds whose timeout has passed (each by a visible void transfer, with an id derived
    from the hold's, so that two workers doing this at once make it once)."""
    async with platform_scope(session):
        rows = await session.execute(
            text(
                "SELECT t.id FROM ledger_transfers t WHERE t.phase = 'pending' AND t.timeout_at <= now() "
                "AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id) LIMIT :limit"
            ),
            {"limit": limit},
        )
        expired = list(rows.scalars())
    for pending_id in expired:
        void_id = uuid.uuid5(pending_id, "timeout")
        await apply(session, Transfer(void_id, code="reverse", phase="void", pending_id=pending_id), None)
    return len(expired)


def require_positive(amount: int, field: str = "amount") -> int:
    if amount <= 0:
        raise ValidationFailed(
            "Amounts are positive whole credits.", errors=[{"field": field, "message": "must be > 0"}]
        )
    return amount


async def mint(
    session: AsyncSession,
    principal: Principal,
    transfer_id: uuid.UUID,
    account_id: uuid.UUID,
    amount: int,
    reference: str | None,
) -> tuple[dict[str, Any], bool]:
    """Credits enter the system: from the platform's issuance account into a pool or operating
    account, against a real contribution made outside it (platform admins only)."""
    target = await account(session, account_id, platform=True)
    if target.kind not in ("pool", "operating"):
        raise ValidationFailed(
            "Credits are minted into pools and operating accounts.",
            errors=[{"field": "account_id", "message": f"a {target.kind} account"}],
        )
    issuance = await platform_account(session, "issuance")
    return await transfer(
        session,
        principal,
        Transfer(
            id=transfer_id,
            code="mint",
            amount=require_positive(amount),
            debit_account_id=issuance,
            credit_account_id=account_id,
            metadata={"reference": reference} if reference else None,
        ),
    )
