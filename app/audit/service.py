"""The audit trail: every write calls :func:`record`; ``kith audit verify`` calls :func:`verify`.

Entries are queued on the session and appended as the last statement before commit (one statement
calling the database's one audit writer, ``kith_audit_append``, for each), because appending takes
the lock on a chain head: taken last, it is held only until the commit and can never sit in a lock
cycle with the transaction's other row locks.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from joserfc import jws
from joserfc.errors import JoseError
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
        }
    )


# Each entry through the database's one audit writer (kith_audit_append, which the ledger's SQL
# functions call too), in one statement.
_APPEND = (
    "SELECT kith_audit_append(o, a, ac, st, si, d::jsonb, r) FROM unnest($1::uuid[], $2::text[], $3::text[], "
    "$4::text[], $5::text[], $6::text[], $7::text[]) AS t(o, a, ac, st, si, d, r)"
)


def link_hash(key: bytes, prev_hash: bytes, canonical: str) -> bytes:
    """One link of a chain: what the trigger computes with the pads, computed with the key."""
    return hmac.new(key, prev_hash + canonical.encode(), hashlib.sha256).digest()


async def _append_pending(session: AsyncSession) -> None:
    """One statement for all of the transaction's entries, straight through asyncpg (every write
    request pays for it)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    raw = await driver_connection(session)
    await raw.execute(
        _APPEND,
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


async def verify(
    session: AsyncSession, key: bytes, signing_key: Any, outside: list[dict[str, Any]] | None = None
) -> list[ChainReport]:
    """Recompute every link of every chain with the audit key, compare each chain's end with its
    head (sequence and hash), and hold each chain to its signed checkpoints — those kept in the
    database and ``outside`` ones (as ``kith audit export-checkpoints`` wrote them): a chain must
    still hold, at a checkpoint's sequence, the entry whose hash was signed. Per chain, the first
    break found, if any."""
    heads = {c: (seq, bytes(h)) for c, seq, h in (await session.execute(text(_HEADS))).all()}
    reports: dict[int, ChainReport] = {c: ChainReport(c, 0, True) for c in heads}
    expected: dict[int, tuple[int, bytes]] = {c: (0, GENESIS) for c in heads}
    wanted = await _checkpoints(session, signing_key, outside or [], reports)
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
        elif not hmac.compare_digest(link_hash(key, bytes(prev_hash), canonical), bytes(stored)):
            report.ok, report.broken_at, report.reason = False, seq, "content does not match its hash"
        elif (chain, seq) in wanted and wanted[(chain, seq)] != bytes(stored):
            report.ok, report.broken_at = False, seq
            report.reason = "differs from what a signed checkpoint recorded"
        expected[chain] = (seq, bytes(stored))
    for chain, (head_seq, head_hash) in heads.items():
        report = reports[chain]
        if not report.ok:
            continue
        if expected[chain][0] != head_seq:
            report.ok, report.broken_at = False, expected[chain][0] + 1
            report.reason = f"entries after {expected[chain][0]} are missing (head is at {head_seq})"
        elif expected[chain][1] != head_hash:
            report.ok, report.broken_at, report.reason = (
                False,
                head_seq,
                "the head's hash is not the last entry's",
            )
    for (chain, seq), _ in wanted.items():
        report = reports.setdefault(chain, ChainReport(chain, 0, True))
        if report.ok and expected.get(chain, (0, GENESIS))[0] < seq:
            report.ok, report.broken_at = False, expected.get(chain, (0, GENESIS))[0] + 1
            report.reason = f"a signed checkpoint recorded entry {seq}; the chain now ends before it"
    return sorted(reports.values(), key=lambda r: r.chain)


_HEADS = "SELECT chain, seq, hash FROM kith_audit_heads()"


async def _checkpoints(
    session: AsyncSession, signing_key: Any, outside: list[dict[str, Any]], reports: dict[int, ChainReport]
) -> dict[tuple[int, int], bytes]:
    """(chain, seq) → the hash signed for it, from every checkpoint whose signature holds; a
    checkpoint whose signature fails breaks its chain's report."""
    rows = (await session.execute(text("SELECT jws FROM audit_checkpoints ORDER BY id"))).scalars().all()
    wanted: dict[tuple[int, int], bytes] = {}
    for token in [*rows, *(c["jws"] for c in outside)]:
        try:
            payload = orjson.loads(jws.deserialize_compact(token, signing_key.key).payload)
            chain, seq, signed = int(payload["chain"]), int(payload["seq"]), bytes.fromhex(payload["hash"])
        except (ValueError, KeyError, TypeError, JoseError) as exc:
            report = reports.setdefault(-1, ChainReport(-1, 0, True))
            report.ok, report.reason = False, f"a checkpoint's signature does not hold ({type(exc).__name__})"
            continue
        wanted[(chain, seq)] = signed
    return wanted


async def checkpoint(session: AsyncSession, signing_key: Any) -> int:
    """Sign each chain's head that moved since its last checkpoint (platform scope); how many."""
    heads = (await session.execute(text(_HEADS))).all()
    last = dict(
        (await session.execute(text("SELECT chain, max(seq) FROM audit_checkpoints GROUP BY chain"))).all()
    )
    made = 0
    for chain, seq, head_hash in heads:
        if seq == 0 or last.get(chain) == seq:
            continue
        payload = {
            "chain": chain,
            "seq": seq,
            "hash": bytes(head_hash).hex(),
            "at": datetime.now(UTC).isoformat(),
        }
        header = {"alg": "ES256", "kid": signing_key.kid, "typ": "kith-audit-checkpoint+jwt"}
        token = jws.serialize_compact(header, orjson.dumps(payload), signing_key.key)
        await session.execute(
            text("INSERT INTO audit_checkpoints (chain, seq, hash, jws) VALUES (:c, :s, :h, :j)"),
            {"c": chain, "s": seq, "h": bytes(head_hash), "j": token},
        )
        made += 1
    return made


async def checkpoints(session: AsyncSession) -> list[dict[str, Any]]:
    """Every checkpoint, oldest first, for someone outside to hold (platform scope)."""
    rows = await session.execute(
        text(
            "SELECT chain, seq, encode(hash, 'hex') AS hash, made_at, jws FROM audit_checkpoints ORDER BY id"
        )
    )
    return [{**r._mapping, "made_at": r.made_at.isoformat()} for r in rows]


async def checkpoint_now(db: Any, signing_key: Any) -> int:
    """:func:`checkpoint` in a platform transaction of its own (the server's background job)."""
    async with db.session(platform=True) as session:
        return await checkpoint(session, signing_key)


async def staff_entries(session: AsyncSession, org_id: Any, start: datetime, end: datetime) -> list[Any]:
    """What the organisation's staff members changed in [start, end), oldest first."""
    rows = await session.execute(
        text(
            "SELECT occurred_at, actor, action, subject_type, subject_id, detail FROM audit_log "
            "WHERE org_id = :org AND actor LIKE 'staff:%' AND occurred_at >= :start AND occurred_at < :end "
            "ORDER BY occurred_at, chain, seq"
        ),
        {"org": org_id, "start": start, "end": end},
    )
    return list(rows.all())
