"""Idempotency keys, with Stripe's semantics, for the single posts a client may retry.

A client sends ``Idempotency-Key: <any 1-255 printable characters>`` with a post; the key is the
client's own (two clients may use the same key). The first request with a key runs and its
response is kept, in the request's own transaction, so the key exists exactly when the work does:

- the same key and the same request again (method, path and JSON body, whatever its key order or
  spacing) → the kept response, byte for byte, with ``Idempotent-Replayed: true``;
- the same key with another request → 409 ``idempotency_key_reused``; nothing runs;
- the same key while the first request is still running → the second waits for it (on the first's
  uncommitted row) and then replays its response; one that waits longer than the statement
  timeout → 409 ``idempotency_key_in_use`` with ``Retry-After``;
- a request that fails (any error response) keeps nothing: its transaction is rolled back, and
  the key may be used again, as Stripe does for requests that fail before they start.

Keys are kept for 24 hours: an older key is a new key, and :func:`purge_expired` deletes them. A
kept answer that names a person (``person_id``) is about them: erasing the person deletes it
(:func:`forget_subjects`).
Routes opt in with ``tenant(scope, idempotent=True)`` and answer with ``Context.respond``
(app/auth/deps.py).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

import orjson
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict

HEADER = "Idempotency-Key"
KEEP_HOURS = 24
# Printable ASCII without spaces: no NUL (no text column may hold one) and nothing to trim.
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_QUERY_CANCELED = "57014"  # statement_timeout
_LOCK_NOT_AVAILABLE = "55P03"


class IdempotencyKeyReused(Conflict):
    code, title = "idempotency_key_reused", "Idempotency key reused"


class IdempotencyKeyInUse(Conflict):
    code, title = "idempotency_key_in_use", "Idempotency key in use"


class Replayed(Exception):
    """Not an error: the request is a replay, answered with the response kept for its key."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


@dataclass
class Claim:
    """A key this request holds: its response is kept with :func:`keep` before the commit."""

    client_id: str
    key: str
    status: int | None = None
    body: bytes | None = None

    def answer(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body


def fingerprint(method: str, path: str, body: bytes) -> bytes:
    """What makes two requests the same: method, path and the JSON body as data (keys sorted), or
    the body's bytes where it is not JSON."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(canonical)
    return digest.digest()


# A new key, or one past its day (taken over); None when the key is held: by a committed request
# (then the SELECT below finds it) or one still running (then this statement waits for it to end).
_CLAIM = text(
    "INSERT INTO idempotency_keys AS k (client_id, key, org_id, fingerprint) "
    "VALUES (:client_id, :key, :org_id, :fingerprint) "
    "ON CONFLICT (client_id, key) DO UPDATE SET org_id = EXCLUDED.org_id, "
    "fingerprint = EXCLUDED.fingerprint, status = NULL, body = NULL, created_at = now() "
    "WHERE k.created_at < now() - make_interval(hours => :keep_hours) RETURNING true"
)
_KEPT = text(
    "SELECT fingerprint, status, body FROM idempotency_keys WHERE client_id = :client_id AND key = :key"
)
_KEEP = text(
    "UPDATE idempotency_keys SET status = :status, body = :body, subject = :subject "
    "WHERE client_id = :client_id AND key = :key"
)
_FORGET = text("DELETE FROM idempotency_keys WHERE subject = ANY(CAST(:ids AS uuid[]))")
_PURGE = text("DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => :keep_hours)")


async def claim(session: AsyncSession, org_id, client_id: str, key: str, request_fingerprint: bytes) -> Claim:
    """Hold ``key`` for this request in its transaction, or raise :class:`Replayed` with the
    response kept for it, or a 409 (another request's key, or one still running too long)."""
    identity = {"client_id": client_id, "key": key}
    try:
        claimed = await session.scalar(
            _CLAIM,
            {**identity, "org_id": org_id, "fingerprint": request_fingerprint, "keep_hours": KEEP_HOURS},
        )
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) in (_QUERY_CANCELED, _LOCK_NOT_AVAILABLE):
            raise IdempotencyKeyInUse(
                f"A request with this {HEADER} is still being processed; try again shortly.",
                headers={"Retry-After": "1"},
            ) from exc
        raise
    if claimed:
        return Claim(client_id, key)
    kept = (await session.execute(_KEPT, identity)).one()
    if kept.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(
            f"This {HEADER} was used for a different request in the last {KEEP_HOURS} hours; "
            "use a new key for a new request.",
            errors=[{"field": HEADER, "in": "header", "message": "used for a different request"}],
        )
    if kept.status is None:  # cannot be committed so: a route that kept nothing (see keep)
        raise IdempotencyKeyInUse(f"A request with this {HEADER} is still being processed.")
    raise Replayed(kept.status, kept.body)


async def keep(session: AsyncSession, held: Claim) -> None:
    """Keep the response for the key, in the request's transaction (before its commit)."""
    if held.status is None:
        raise RuntimeError("an idempotent route must answer with Context.respond")
    await session.execute(
        _KEEP,
        {
            "client_id": held.client_id,
            "key": held.key,
            "status": held.status,
            "body": held.body,
            "subject": _subject(held.body),
        },
    )


def _subject(body: bytes | None) -> uuid.UUID | None:
    """The person an answer is about: its ``person_id``, where it names one."""
    try:
        answer = orjson.loads(body) if body else None
        return uuid.UUID(answer["person_id"]) if isinstance(answer, dict) else None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


async def forget_subjects(session: AsyncSession, org_person_ids: list[uuid.UUID]) -> None:
    """Delete every kept answer about these people (their organisations' ids): at erasure, in a
    platform transaction."""
    await session.execute(_FORGET, {"ids": org_person_ids})


async def purge_expired(session: AsyncSession) -> int:
    """Delete the keys past their day (in a platform transaction); how many were deleted."""
    result = await session.execute(_PURGE, {"keep_hours": KEEP_HOURS})
    return result.rowcount or 0
