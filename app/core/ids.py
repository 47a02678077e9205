"""Identifier and secret generation."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
import uuid


def new_uuid() -> uuid.UUID:
    """A random UUID (version 4: 122 bits from the operating system's CSPRNG)."""
    return uuid.UUID(int=_random_int() & _V4_KEEP | _V4_SET)


def ordered_uuid() -> uuid.UUID:
    """A UUID whose leading 48 bits are the Unix time in milliseconds (the UUIDv7 layout of RFC
    9562), the other 74 bits random. Rows keyed by it are appended at the right edge of their
    primary-key index instead of landing on a random page, so a large batch dirties a few pages per
    index rather than one per row. For internal ids only: it reveals when it was made, so an id an
    organisation sees (``org_people.org_person_id``) stays wholly random."""
    value = (time.time_ns() // 1_000_000) << 80 | _random_int() & _LOW_80
    return uuid.UUID(int=value & _V7_KEEP | _V7_SET)


_LOW_80 = (1 << 80) - 1
_V7_KEEP = ~(0xF000 << 64) & ~(0xC << 60)  # every bit but the version's and the variant's
_V7_SET = 0x7000 << 64 | 0x8 << 60  # version 7, RFC 4122 variant
_V4_KEEP = ((1 << 128) - 1) & ~(0xF000 << 64) & ~(0xC << 60)
_V4_SET = 0x4000 << 64 | 0x8 << 60  # version 4, RFC 4122 variant

_POOL_BYTES = 8192
_pool: list[int] = []


def _random_int() -> int:
    """128 bits from the operating system's CSPRNG, read 8 KiB at a time: a batch makes thousands of
    ids, and one getrandom call each cost more than the rest of making them. Without a lock: a
    list's pop and extend are atomic, so no two callers are handed the same bits."""
    while True:
        try:
            return _pool.pop()
        except IndexError:
            fresh = os.urandom(_POOL_BYTES)
            _pool.extend([int.from_bytes(fresh[i : i + 16]) for i in range(0, _POOL_BYTES, 16)])


def _forget_pool() -> None:
    _pool.clear()


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
