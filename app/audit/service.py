"""The audit trail: every write calls :func:`record`; ``kith audit verify`` calls :func:`verify`.

Entries are queued on the session and appended as the last statement before commit (one multi-row
INSERT), because appending takes the lock on a chain head: taken last, it is held only until the
commit and can never sit in a lock cycle with the transaction's other row locks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.logging import request_id_var
from app.db.session import driver_connection

_PENDING = "kith.audit.pending"
GENESIS = bytes(32)


def record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    subject_type: str,
    subject_id: object | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Queue one audit entry for this transaction. ``detail`` holds ids and field names, never a
    person's identifying values (erasure must not have to rewrite the audit trail)."""
    pending: list[dict[str, Any]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        session.info.setdefault("before_commit", []).append(_append_pending)
    pending.append(
        {
            "org_id": principal.org_id,
            "actor": principal.actor,
            "action": action,
            "subject_type": subject_type,
            "subject_id": None if subject_id is None else str(subject_id),
            "detail": detail or {},
            "request_id": request_id_var.get(),
            # chain, seq, prev_hash and hash are set by the database trigger
            "chain": 0,
            "seq": 0,
            "prev_hash": b"",
            "hash": b"",
        }
    )


_INSERT = (
    "INSERT INTO audit_log (chain, seq, prev_hash, hash, org_id, actor, action, subject_type, subject_id, detail, "
    "request_id) SELECT 0, 0, ''::bytea, ''::bytea, o, a, ac, st, si, d::jsonb, r FROM unnest($1::uuid[], $2::text[], $3::text[], "
    "$4::text[], $5::text[], $6::text[], $7::text[]) AS t(o, a, ac, st, si, d, r)"
)


async def _append_pending(session: AsyncSession) -> None:
    """One statement for all of the transaction's entries, straight through asyncpg (every write
    request pays for it)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    raw = await driver_connection(session)
    await raw.execute(
        _INSERT,
        *([e[k] for e in pending] for k in ("org_id", "actor", "action", "subject_type", "subject_id")),
        [orjson.dumps(e["detail"], default=str).decode() for e in pending],
        [e["request_id"] for e in pending],
    )


@dataclass
class ChainReport:
    chain: int
    entries: int
    ok: bool
    broken_at: int | None = None
    reason: str | None = None


async def verify(session: AsyncSession) -> list[ChainReport]:
    """Recompute every link of every chain; report, per chain, the first broken link if any."""
    heads = dict((await session.execute(text("SELECT chain, seq FROM audit_chain_heads"))).all())
    reports: dict[int, ChainReport] = {c: ChainReport(c, 0, True) for c in heads}
    expected: dict[int, tuple[int, bytes]] = {c: (0, GENESIS) for c in heads}
    result = await session.stream(
        text(
            "SELECT chain, seq, prev_hash, hash, kith_audit_canonical(a) FROM audit_log a ORDER BY chain, seq"
        )
    )
    async for chain, seq, prev_hash, stored, canonical in result:
        report = reports.setdefault(chain, ChainReport(chain, 0, True))
        report.entries += 1
        if not report.ok:
            continue
        last_seq, last_hash = expected.get(chain, (0, GENESIS))
        if seq != last_seq + 1:
            report.ok, report.broken_at = False, last_seq + 1
            report.reason = f"entry {last_seq + 1} is missing"
        elif bytes(prev_hash) != last_hash:
            report.ok, report.broken_at, report.reason = False, seq, "does not link to the previous entry"
        elif hashlib.sha256(bytes(prev_hash) + canonical.encode()).digest() != bytes(stored):
            report.ok, report.broken_at, report.reason = False, seq, "content does not match its hash"
        expected[chain] = (seq, bytes(stored))
    for chain, head_seq in heads.items():
        report = reports[chain]
        if report.ok and expected[chain][0] != head_seq:
            report.ok, report.broken_at = False, expected[chain][0] + 1
            report.reason = f"entries after {expected[chain][0]} are missing (head is at {head_seq})"
    return sorted(reports.values(), key=lambda r: r.chain)
