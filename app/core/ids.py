"""Identifier and secret generation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


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
