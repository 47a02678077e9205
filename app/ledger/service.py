"""The ledger: the only code that writes ledger rows.

Double-entry and immutable, in the model of TigerBeetle. Every movement is a transfer between two
accounts; a balance is never set, only moved. Each transfer (or the posting or voiding of a hold)
is one call of the database function ``kith_ledger_transfer``, which in one round trip checks for a
replay of its id, locks both accounts in id order — so that concurrent transfers queue on the rows
they touch and can never deadlock each other — applies the balance rule, and writes. The balance
rule is also a CHECK constraint on the accounts table: the database refuses an overdrawn flagged
account whatever the code above it does. Business refusals come back as results, not errors, so a
refused transfer leaves nothing behind and a non-atomic batch goes on past it.

Under load, single transfers requested at the same time in one process share one statement
(``kith_ledger_requests``, through :mod:`app.db.coalesce`): each is made and answered exactly as it
would be alone, and the transaction around them — most of a transfer's cost — is paid once.

Who may debit what is decided here (which transfers an organisation may ask for directly) and
enforced in the same call (``owner_only``: it debits only accounts it owns, credits no resident's
wallet, and ends only holds it made); the function works in the platform scope, because a transfer
touches two owners' accounts.

Ids are each organisation's own, as its person ids are. A transfer's id is the one the organisation
that made it chose, kept under that organisation's key (``kith_transfer_key``), so two
organisations' ids never meet; a transfer another made is shown under an alias. An account is shown
as it is to its owner (and a pool to everyone: its id is how others fund it), and under an alias of
the viewer's otherwise (``kith_account_shown``), which is also how the viewer names it back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from app.core.logging import request_id_var
from app.core.pagination import PageRequest, make_page
from app.db.coalesce import Coalescer
from app.db.session import ClientDisabled, Database, driver_connection, platform_scope, service_key
from app.organisations import service as organisations


class TransferRefused(AppError):
    """A transfer the ledger refused; ``code`` says why in TigerBeetle's words."""

    status, title = 409, "Transfer refused"


class AccountNotFound(NotFound):
    code = "account_not_found"


_REFUSALS: dict[str, tuple[int, str]] = {
    "exists_with_different_fields": (409, "A transfer with this id exists with different fields."),
    "exceeds_credits": (409, "The debit account does not hold enough credits for this transfer."),
    "debit_account_not_found": (404, "No such debit account."),
    "debit_not_allowed": (
        403,
        "An organisation may debit only accounts it owns; a resident's wallet only by a redemption.",
    ),
    "credit_not_allowed": (
        403,
        "Credits reach a resident's wallet only by earning (POST /v1/rewards/earn), under their consent; "
        "the low-level API cannot credit one.",
    ),
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


_CALL = "SELECT * FROM kith_ledger_transfer($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13)"
# The same transfer as one API request's whole transaction (docs/decisions/0002-lean-routes.md).
_REQUEST = "SELECT * FROM kith_ledger_request($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb)"


def _arguments(t: Transfer) -> tuple[Any, ...]:
    """The transfer as the ledger functions take it."""
    timeout_at = datetime.now(UTC) + timedelta(seconds=t.timeout_seconds) if t.timeout_seconds else None
    return (
        t.id,
        t.debit_account_id,
        t.credit_account_id,
        t.amount,
        t.code,
        t.phase,
        t.pending_id,
        timeout_at,
        orjson.dumps(t.metadata).decode() if t.metadata is not None else None,
    )


async def apply(
    session: AsyncSession,
    actor: Principal,
    t: Transfer,
    org_id: uuid.UUID | None,
    *,
    owner_only: bool = False,
    platform: bool = False,
) -> tuple[str, dict[str, Any] | None]:
    """Make one transfer for ``actor``, its ids ``org_id``'s own (None: Kith's, stored as they
    are). (result, the transfer as ``org_id`` is shown it — as stored with ``platform``): result
    ``created``, ``exists`` (the same transfer again) or a refusal code. ``owner_only``: ``org_id``
    names accounts as it is shown them, may debit only accounts it owns, credit no wallet, and end
    only holds it made. A transfer made is audited, whoever made it (a client, a resident's
    erasure, a job)."""
    connection = await driver_connection(session)
    row = await connection.fetchrow(_CALL, *_arguments(t), org_id, owner_only, platform, service_key(session))
    view = _view(row) if row["id"] is not None else None
    if row["result"] == "created" and view is not None:
        audit.record(
            session,
            actor,
            f"ledger.{t.phase}",
            "ledger_transfer",
            t.id,
            {"code": view["code"], "amount": view["amount"]},
        )
    return row["result"], view


async def transfer(
    session: AsyncSession, actor: Principal, t: Transfer, *, owner_only: bool = False
) -> tuple[dict[str, Any], bool]:
    """Make one transfer and answer with it: (transfer, True) when made now, (the original, False)
    on a replay; a refusal raises."""
    result, view = await apply(
        session, actor, t, actor.org_id, owner_only=owner_only, platform=actor.platform
    )
    if result not in ("created", "exists"):
        raise refusal(result)
    return view, result == "created"  # type: ignore[return-value]


_VIEW_FIELDS = (
    "id",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "code",
    "phase",
    "pending_id",
    "timeout_at",
    "metadata",
    "created_at",
    "status",
)


def _view(row: Any) -> dict[str, Any]:
    """A transfer (an asyncpg record or a SQLAlchemy row) as the API shows it."""
    fields = row._mapping if hasattr(row, "_mapping") else row
    view = {k: fields[k] for k in _VIEW_FIELDS}
    if isinstance(view["metadata"], str):
        view["metadata"] = orjson.loads(view["metadata"])
    return view


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
    """The organisation's operating account: where redemptions land and funding comes from. It
    holds only what was minted into it or redeemed at the organisation: it may not go below zero
    unless the platform lets it (:func:`let_operating_go_negative`), for what an organisation will
    settle with the scheme outside Kith."""
    return await _ensure(
        session,
        "operating",
        {
            "kind": "operating",
            "owner_kind": "organisation",
            "org_id": org_id,
            "flag": True,
            "name": "operating",
        },
    )


class OverdrawnAccount(Conflict):
    code = "account_overdrawn"


async def let_operating_go_negative(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, allowed: bool
) -> dict[str, Any]:
    """Let an organisation's operating account go below zero, or not (platform only). It cannot be
    held above zero again while it is below."""
    await organisations.get_organisation(session, org_id)  # 404 for no such organisation
    account_id = await operating_account(session, org_id)
    async with platform_scope(session):
        changed = await session.scalar(
            text(
                "UPDATE ledger_accounts SET debits_must_not_exceed_credits = :flag WHERE id = :id "
                "AND (NOT :flag OR debits_posted + debits_pending <= credits_posted) RETURNING id"
            ),
            {"id": account_id, "flag": not allowed},
        )
    if changed is None:
        raise OverdrawnAccount(
            "The operating account is below zero: it can be held above zero once credits bring it back."
        )
    audit.record(
        session,
        principal,
        "ledger.operating_limit",
        "ledger_account",
        account_id,
        {"may_go_negative": allowed},
    )
    return account_view(await account(session, account_id, platform=True))


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
    owns (never a resident's wallet: that takes a redemption), and ends only holds it made."""
    return await transfer(session, principal, t, owner_only=True)


async def transfer_by_org_directly(
    db: Database, principal: Principal, t: Transfer
) -> tuple[dict[str, Any], bool]:
    """:func:`transfer_by_org` when the transfer is the request's only work: one statement is its
    whole transaction (context, transfer, audit), on a connection outside any session. The busiest
    write Kith has, so it skips the session and four round trips; and where the process runs a
    :data:`REQUESTS` coalescer, requests made at the same time share one statement."""
    request = (
        principal.client_id,
        principal.platform,
        principal.org_id,
        principal.actor,
        request_id_var.get(),
        *_arguments(t),
    )
    coalescer = db.services.get(REQUESTS)
    row = await (coalescer(request) if coalescer is not None else _request_alone(db, request))
    result = row["result"]
    if result == "client_disabled":
        raise ClientDisabled()
    if result not in ("created", "exists"):
        raise refusal(result)
    return _view(row), result == "created"


REQUESTS = "ledger_requests"  # the key of the process's coalescer in Database.services
# Many requests' arguments as parallel arrays, answered one row each, in order
# (docs/decisions/0003-statement-coalescing.md).
_REQUESTS = (
    "SELECT * FROM kith_ledger_requests($1::bytea, $2::text[], $3::boolean[], $4::uuid[], $5::text[], "
    "$6::text[], $7::uuid[], $8::uuid[], $9::uuid[], $10::bigint[], $11::text[], $12::text[], $13::uuid[], "
    "$14::timestamptz[], $15::text[]) ORDER BY ord"
)


async def _request_alone(db: Database, request: tuple[Any, ...]) -> Any:
    async with db.direct() as connection:
        return await connection.fetchrow(_REQUEST, db.service_key, *request)


async def _requests_together(db: Database, requests: list[tuple[Any, ...]]) -> list[Any]:
    async with db.direct() as connection:
        return await connection.fetch(
            _REQUESTS, db.service_key, *(list(column) for column in zip(*requests, strict=True))
        )


def requests_coalescer(db: Database, *, lanes: int, most: int) -> Coalescer:
    """The coalescer of a process's single transfers, posts and voids: those made while another
    statement of them runs wait for it and are then made together (kith_ledger_requests), each
    answered as it would be alone."""
    return Coalescer(
        "kith_ledger_request",
        lambda request: _request_alone(db, request),
        lambda requests: _requests_together(db, requests),
        lanes=lanes,
        most=most,
    )


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
        except TransferRefused as exc:
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


# Transfers touching an account, newest first, as an organisation is shown them (kith_ledger_view);
# the row-level security of the caller's transaction decides which it may see. Ties in time are
# broken by an id of the organisation's own (``place``), so that a page cursor carries no id two
# organisations share.
_TRANSFERS_OF = text(
    "SELECT v.*, t.place FROM (SELECT x.id, x.created_at, x.place FROM (SELECT y.id, y.created_at, "
    "CASE WHEN CAST(:viewer AS uuid) IS NULL THEN y.id ELSE kith_transfer_alias(:viewer, y.id) END AS place "
    "FROM ledger_transfers y WHERE y.debit_account_id = :acc OR y.credit_account_id = :acc) x "
    "WHERE CAST(:at AS timestamptz) IS NULL OR (x.created_at, x.place) < (:at, :place) "
    "ORDER BY x.created_at DESC, x.place DESC LIMIT :limit) t, "
    "LATERAL kith_ledger_view(t.id, :viewer, :platform, :key) v ORDER BY t.created_at DESC, t.place DESC"
)


async def transfers_of(
    session: AsyncSession, viewer: Principal, account_id: uuid.UUID, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    """Transfers touching an account, newest first, as ``viewer`` is shown them."""
    before = page.position(datetime.fromisoformat, uuid.UUID)
    params = {
        "acc": account_id,
        "viewer": None if viewer.platform else viewer.org_id,
        "platform": viewer.platform,
        "at": before[0] if before else None,
        "place": before[1] if before else uuid.UUID(int=0),
        "limit": page.limit + 1,
        "key": service_key(session),
    }
    rows = (await session.execute(_TRANSFERS_OF, params)).all()
    rows, next_cursor = make_page(rows, page.limit, lambda r: (r.created_at, r.place))
    return [_view(r) for r in rows], next_cursor


async def shown_account(session: AsyncSession, viewer: Principal, account_id: uuid.UUID) -> uuid.UUID:
    """An account's id as ``viewer`` is shown it (kith_account_shown)."""
    async with platform_scope(session):
        return await session.scalar(  # type: ignore[return-value]
            text("SELECT kith_account_shown(:viewer, :platform, :acc)"),
            {"viewer": viewer.org_id, "platform": viewer.platform, "acc": account_id},
        )


async def transfer_made(session: AsyncSession, org_id: uuid.UUID, transfer_id: uuid.UUID) -> bool:
    """Whether the organisation has made a transfer with this id of its own."""
    async with platform_scope(session):
        return bool(
            await session.scalar(
                text(
                    "SELECT EXISTS (SELECT 1 FROM ledger_transfers WHERE id = kith_transfer_key(:org, :ref))"
                ),
                {"org": org_id, "ref": transfer_id},
            )
        )


async def transfer_ids_for(
    session: AsyncSession, maker: uuid.UUID, transfer_id: uuid.UUID, viewers: list[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The id each of ``viewers`` is shown for the transfer ``maker`` calls ``transfer_id``."""
    rows = await session.execute(
        text(
            "SELECT v AS viewer, kith_transfer_shown(kith_transfer_key(:org, :ref), :org, :ref, v, false) AS shown "
            "FROM unnest(CAST(:viewers AS uuid[])) AS v"
        ),
        {"org": maker, "ref": transfer_id, "viewers": viewers},
    )
    return {r.viewer: r.shown for r in rows}


async def close_account(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Close an account: no transfer may move credits into or out of it from now on."""
    async with platform_scope(session):
        await session.execute(
            text("UPDATE ledger_accounts SET closed_at = now() WHERE id = :id AND closed_at IS NULL"),
            {"id": account_id},
        )


_HOLD_TIMEOUTS = Principal.background("ledger hold time-outs")


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
        await apply(
            session,
            _HOLD_TIMEOUTS,
            Transfer(void_id, code="reverse", phase="void", pending_id=pending_id),
            None,
        )
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


async def pools_of(session: AsyncSession, org_id: uuid.UUID) -> list[Any]:
    """The organisation's own open reward pools (its own rows, under row-level security)."""
    rows = await session.execute(
        text(
            "SELECT * FROM ledger_accounts WHERE kind = 'pool' AND org_id = :org AND closed_at IS NULL "
            "ORDER BY name, id"
        ),
        {"org": org_id},
    )
    return list(rows.all())


# ------------------------------------------------------------------- history, for the demo only


@dataclass(frozen=True)
class DatedTransfer:
    """A posted transfer as it was made at ``created_at``: a past the demo neighbourhood seeds."""

    id: uuid.UUID
    code: str
    amount: int
    debit_account_id: uuid.UUID
    credit_account_id: uuid.UUID
    created_at: datetime
    org_id: uuid.UUID | None = None  # the organisation that made it (the id is its own); None: Kith
    metadata: dict[str, Any] | None = None


class PlatformOnly(Forbidden):
    code = "platform_only"


_CODES = frozenset({"earn", "redeem", "fund", "mint", "expire", "refund", "reverse"})
_EXISTING = (
    "SELECT count(*) FROM ledger_transfers WHERE id IN "
    "(SELECT kith_transfer_key(o, r) FROM unnest($1::uuid[], $2::uuid[]) AS x(o, r))"
)
_ACCOUNTS = (
    "SELECT id, debits_must_not_exceed_credits AS flagged, debits_posted, debits_pending, credits_posted, "
    "closed_at FROM ledger_accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE"
)
_INSERT_HISTORY = (
    "INSERT INTO ledger_transfers (id, ref, debit_account_id, credit_account_id, amount, code, phase, metadata, "
    "org_id, created_at) SELECT kith_transfer_key(o, r), r, d, c, a, k, 'single', m::jsonb, o, t "
    "FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int8[], $6::text[], $7::text[], "
    "$8::timestamptz[]) AS x(o, r, d, c, a, k, m, t)"
)
_MOVE_TOTALS = (
    "UPDATE ledger_accounts x SET debits_posted = x.debits_posted + m.debits, "
    "credits_posted = x.credits_posted + m.credits FROM unnest($1::uuid[], $2::int8[], $3::int8[]) "
    "AS m(id, debits, credits) WHERE x.id = m.id"
)


def _history_problem(t: DatedTransfer, now: datetime) -> str | None:
    if t.code not in _CODES:
        return f"code: one of {', '.join(sorted(_CODES))}"
    if not isinstance(t.amount, int) or t.amount <= 0:
        return "amount: a positive whole number of credits"
    if t.debit_account_id == t.credit_account_id:
        return "the debit and credit accounts must differ"
    if t.created_at.tzinfo is None or t.created_at > now:
        return "created_at: a past time, with its time zone"
    return None


async def record_history(
    session: AsyncSession, principal: Principal, transfers: Sequence[DatedTransfer]
) -> int:
    """Posted transfers made in the past, each stamped with its own ``created_at``: how the demo
    seeds a year of credits (``kith demo seed``); never offered over HTTP. The platform only: its
    principal, in a transaction already in the platform scope (403 otherwise). All or nothing, and
    held to the rules a transfer made at that time meets: taken in time order, no flagged account
    ever below zero, no closed or unknown account, no id made before; the accounts' totals move
    as the normal path moves them, and the audit trail records the history as one entry. The indicators' roll-ups take
    them in at their next full refresh (an incremental one looks only at what was made since the
    last), which is why the demo seeds before its first. How many were recorded."""
    if not principal.platform or not await session.scalar(text("SELECT kith_is_platform()")):
        raise PlatformOnly("Only the platform records past transfers, in its own scope.")
    if not transfers:
        return 0
    now = datetime.now(UTC)
    for index, t in enumerate(transfers):
        if problem := _history_problem(t, now):
            raise ValidationFailed(
                f"Transfer {index}: {problem}.", errors=[{"field": f"transfers.{index}", "message": problem}]
            )
    connection = await driver_connection(session)
    keys = ([t.org_id for t in transfers], [t.id for t in transfers])
    if len(set(zip(*keys, strict=True))) < len(transfers) or await connection.fetchval(_EXISTING, *keys):
        raise TransferRefused("A past transfer's id must be new.", status=409, code="transfer_exists")
    ids = {t.debit_account_id for t in transfers} | {t.credit_account_id for t in transfers}
    accounts = {r["id"]: dict(r) for r in await connection.fetch(_ACCOUNTS, list(ids))}
    ordered = sorted(transfers, key=lambda t: t.created_at)
    for t in ordered:
        debit, credit = accounts.get(t.debit_account_id), accounts.get(t.credit_account_id)
        if debit is None or credit is None:
            raise refusal("debit_account_not_found" if debit is None else "credit_account_not_found")
        if debit["closed_at"] is not None or credit["closed_at"] is not None:
            raise refusal("account_closed")
        if (
            debit["flagged"]
            and debit["debits_posted"] + debit["debits_pending"] + t.amount > debit["credits_posted"]
        ):
            raise refusal("exceeds_credits")
        debit["debits_posted"] += t.amount
        credit["credits_posted"] += t.amount
    moved: dict[uuid.UUID, list[int]] = {}  # account → [debits, credits] added
    for t in transfers:
        moved.setdefault(t.debit_account_id, [0, 0])[0] += t.amount
        moved.setdefault(t.credit_account_id, [0, 0])[1] += t.amount
    await connection.execute(
        _INSERT_HISTORY,
        *keys,
        [t.debit_account_id for t in transfers],
        [t.credit_account_id for t in transfers],
        [t.amount for t in transfers],
        [t.code for t in transfers],
        [orjson.dumps(t.metadata).decode() if t.metadata is not None else None for t in transfers],
        [t.created_at for t in transfers],
    )
    await connection.execute(
        _MOVE_TOTALS, list(moved), [m[0] for m in moved.values()], [m[1] for m in moved.values()]
    )
    # One entry for the whole history (a year of a neighbourhood is thousands of transfers): who
    # recorded it, how much, over what time; the transfers themselves are kept as they are.
    audit.record(
        session,
        principal,
        "ledger.history",
        "ledger_transfer",
        None,
        {
            "transfers": len(transfers),
            "credits": sum(t.amount for t in transfers),
            "from": ordered[0].created_at.isoformat(),
            "to": ordered[-1].created_at.isoformat(),
        },
    )
    return len(transfers)
