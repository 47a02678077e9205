"""Sign-in by a one-time code mailed to an address: the one mechanism of the portal (residents) and
the console (staff), each over its own table of codes (``portal_codes``, ``staff_codes``: the same
columns, owned by each, declared by :class:`EmailCodes` here).

A code is six digits, kept only as a hash keyed with a server key of its own per table, valid for
ten minutes, used once, dead after five wrong tries; an address may ask for a few codes per quarter
hour. The code's id goes to the browser, which sends it back with the code: a code is tried only
against the one it was sent as. Every function runs in the platform scope (sign-in comes before any
organisation or resident)."""

# ruff: noqa: S608 -- the one name put into the SQL is the owning table's, a constant of its code

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import RateLimited

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5


def token_hash(token: str) -> str:
    """How a session's (or a sign-in's) random token is kept: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CodeTry:
    """A code tried: the address it proved (``email``), or why not (``problem``, with the tries left
    when a wrong code may be tried again)."""

    email: str | None = None
    problem: str | None = None
    tries_left: int | None = None


@dataclass(frozen=True)
class EmailCodes:
    """The codes of one table (``table``), hashed with the server key derived for ``purpose``."""

    table: str
    purpose: str

    def _hash(self, session: AsyncSession, code_id: uuid.UUID, code: str) -> str:
        secret = session.info["signing_key"].derive(self.purpose)
        return hmac.new(secret, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()

    async def issue(self, session: AsyncSession, email: str, per_quarter_hour: int) -> tuple[uuid.UUID, str]:
        """A new code for the (normalised) address: (its id, the code to mail). RateLimited (429)
        beyond ``per_quarter_hour`` codes for the address."""
        asked = await session.scalar(
            text(
                f"SELECT count(*) FROM {self.table} "
                "WHERE email = :e AND created_at > now() - interval '15 minutes'"
            ),
            {"e": email},
        )
        if asked >= per_quarter_hour:
            raise RateLimited(
                "Too many codes have been asked for this address. Wait 15 minutes, then try again.",
                headers={"Retry-After": "900"},
            )
        await session.execute(text(f"DELETE FROM {self.table} WHERE expires_at < now() - interval '1 day'"))
        code_id = uuid.uuid4()
        code = f"{secrets.randbelow(10**6):06d}"
        await session.execute(
            text(
                f"INSERT INTO {self.table} (id, email, code_hash, expires_at) VALUES (:id, :email, :h, :exp)"
            ),
            {
                "id": code_id,
                "email": email,
                "h": self._hash(session, code_id, code),
                "exp": datetime.now(UTC) + CODE_TTL,
            },
        )
        return code_id, code

    async def check(self, session: AsyncSession, code_id: uuid.UUID, code: str) -> CodeTry:
        """Try a code, used up if right. A wrong try is counted (and committed with the request),
        so this returns rather than raises. The row is locked: two tries of one code at once are
        counted one after the other."""
        row = (
            await session.execute(
                text(
                    "SELECT email, code_hash, attempts, used_at, expires_at <= now() AS expired "
                    f"FROM {self.table} WHERE id = :id FOR UPDATE"
                ),
                {"id": code_id},
            )
        ).first()
        if row is None or row.used_at is not None or row.expired:
            return CodeTry(problem="This code has expired or has already been used. Ask for a new code.")
        if row.attempts >= MAX_ATTEMPTS:
            return CodeTry(problem="This code has been tried too many times. Ask for a new code.")
        if not hmac.compare_digest(self._hash(session, code_id, (code or "").strip()), row.code_hash):
            tries = await session.scalar(
                text(f"UPDATE {self.table} SET attempts = attempts + 1 WHERE id = :id RETURNING attempts"),
                {"id": code_id},
            )
            left = MAX_ATTEMPTS - tries
            if left <= 0:
                return CodeTry(
                    problem="That code is not right, and it has now been tried too many times. Ask for a new code."
                )
            return CodeTry(
                problem="That code is not right. Check the message and try again.", tries_left=left
            )
        await session.execute(
            text(f"UPDATE {self.table} SET used_at = now() WHERE id = :id"), {"id": code_id}
        )
        return CodeTry(email=row.email)
