"""Identifier and secret generation."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
import uuid


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


def ordered_uuid() -> uuid.UUID:
    """A UUID whose leading 48 bits are the Unix time in milliseconds (the UUIDv7 layout of RFC
    9562), the other 74 bits random. Rows keyed by it are appended at the right edge of their
    primary-key index instead of landing on a random page, so a large batch dirties a few pages per
    index rather than one per row. For internal ids only: it reveals when it was made, so an id an
    organisation sees (``org_people.org_person_id``) stays wholly random."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(_random_bytes(10))
    return uuid.UUID(int=value & _V7_KEEP | _V7_SET)


_V7_KEEP = ~(0xF000 << 64) & ~(0xC << 60)  # every bit but the version's and the variant's
_V7_SET = 0x7000 << 64 | 0x8 << 60  # version 7, RFC 4122 variant


_POOL_SIZE = 8192
_pool = memoryview(b"")
_pool_lock = threading.Lock()


def _random_bytes(n: int) -> bytes:
    """``n`` bytes from the operating system's CSPRNG, read a few kilobytes at a time: a batch makes
    thousands of ids, and one getrandom call each cost more than the rest of making them."""
    global _pool
    with _pool_lock:
        if len(_pool) < n:
            _pool = memoryview(os.urandom(_POOL_SIZE))
        chunk, _pool = _pool[:n], _pool[n:]
    return bytes(chunk)


def _forget_pool() -> None:
    global _pool
    _pool = memoryview(b"")


os.register_at_fork(after_in_child=_forget_pool)  # a forked process must not repeat its parent's bytes


def new_token(prefix: str, nbytes: int = 24) -> str:
    """A random, URL-safe token with a readable prefix (e.g. ``kc_…`` for a client id)."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def hash_secret(secret: str) -> str:
    # Client secrets are 256-bit random values, not passwords: a fast hash is enough because there is
    # nothing to brute-force, and it keeps the token endpoint cheap. Only the hash is stored.
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)
