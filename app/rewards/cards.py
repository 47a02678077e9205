"""What lets a business spend a resident's credits: their reward card, or a one-time code they made.

A card code is ten characters of Crockford base32 (50 bits), read out at a till or scanned from its
QR code and written XXXXX-XXXXX; case, spaces, hyphens and the letters easily misheard (O for 0, I
and L for 1) do not matter. It is derived from the card's id with a secret of the platform's, so the
resident's portal can show it again whenever they need it, and only its keyed hash (HMAC-SHA256) is
stored: fifty bits hashed without a key could be searched from a copy of the database in about a
day of one GPU, every card at once; keyed, a copy alone gives nothing. Cards issued before
(``kc1_…``, 192 bits) keep working under the SHA-256 hash they were stored with.

Card look-ups are limited per organisation: all of them (KITH_CARD_RESOLVE_RATE_LIMIT), and far
harder those of codes that are no card's (KITH_CARD_MISS_RATE_LIMIT), so that guessing codes is
hopeless.

A spend code is six characters (30 bits, XXX-XXX) the resident makes in the portal and gives a
business that knows them, to spend without the card (online, on the phone): valid ten minutes,
used once, replaced by the next, kept as a keyed hash, and tried at most a few times per resident
in ten minutes, by anyone (KITH_RESIDENT_CODE_RATE_LIMIT).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound
from app.db.session import platform_scope

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_HEARD_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
CARD_LENGTH = 10  # 50 bits
SPEND_CODE_LENGTH = 6  # 30 bits, alive ten minutes and tried a few times
SPEND_CODE_TTL = timedelta(minutes=10)
_LEGACY_PREFIX = "kc1_"


class ResidentNotFound(NotFound):
    code = "person_not_found"


class CardNotFound(NotFound):
    code = "card_not_found"


class ResidentCodeRefused(Forbidden):
    code = "resident_code_refused"


def _encoded(value: int, length: int) -> str:
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(length)))


def _written(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalised(raw: str, length: int) -> str | None:
    """A code as typed or read out, in its one form; None if it cannot be one."""
    code = "".join(raw.split()).replace("-", "").upper().translate(_HEARD_AS)
    if len(code) != length or any(c not in ALPHABET for c in code):
        return None
    return code


def _keyed_hash(session: AsyncSession, purpose: str, code: str) -> str:
    secret = session.info["signing_key"].derive(purpose)
    return hmac.new(secret, code.encode(), hashlib.sha256).hexdigest()


def _card_code(session: AsyncSession, card_id: uuid.UUID) -> str:
    secret = session.info["signing_key"].derive("reward-card-code")
    digest = hmac.new(secret, card_id.bytes, hashlib.sha256).digest()
    return _encoded(int.from_bytes(digest[:8]) >> (64 - 5 * CARD_LENGTH), CARD_LENGTH)


def _legacy_token(session: AsyncSession, card_id: uuid.UUID) -> str:
    """A card's token as cards were issued before ten-character codes."""
    secret = session.info["signing_key"].derive("reward-card")
    digest = hmac.new(secret, card_id.bytes, hashlib.sha256).digest()
    return _LEGACY_PREFIX + base64.urlsafe_b64encode(digest[:24]).decode()


def _card_hash(session: AsyncSession, raw: str) -> str | None:
    """The stored hash of the card a code names, if it can name one."""
    if raw.startswith(_LEGACY_PREFIX):
        return hashlib.sha256(raw.encode()).hexdigest()
    code = normalised(raw, CARD_LENGTH)
    return _keyed_hash(session, "reward-card-hash", code) if code else None


async def issue_card(session: AsyncSession, actor: Principal, person_id: uuid.UUID) -> str:
    """A new card for the resident (any earlier one stops working), issued by ``actor`` (an admin,
    or the resident in the portal) and audited; returns its code. 404 for an id that is no
    resident's platform id (an organisation's own id for them included) or an erased one."""
    async with platform_scope(session):
        status = await session.scalar(
            text("SELECT status FROM people WHERE id = :p AND canonical_id = id"), {"p": person_id}
        )
        if status is None or status == "erased":
            raise ResidentNotFound(f"No resident {person_id} (cards are issued to a resident's platform id).")
        await session.execute(
            text("UPDATE reward_cards SET revoked_at = now() WHERE person_id = :p AND revoked_at IS NULL"),
            {"p": person_id},
        )
        while True:  # two cards whose 50 bits meet: draw again
            card_id = uuid.uuid4()
            code = _card_code(session, card_id)
            made = await session.scalar(
                text(
                    "INSERT INTO reward_cards (id, person_id, token_hash) VALUES (:id, :p, :h) "
                    "ON CONFLICT (token_hash) DO NOTHING RETURNING id"
                ),
                {"id": card_id, "p": person_id, "h": _keyed_hash(session, "reward-card-hash", code)},
            )
            if made is not None:
                audit.record(
                    session, actor, "reward_card.issued", "person", person_id, {"card": str(card_id)}
                )
                return _written(code)


async def current_card(session: AsyncSession, canonical: uuid.UUID) -> dict[str, Any] | None:
    """The resident's card in use (its code and when it was issued), if they have one. The caller
    is the resident (a platform scope)."""
    row = (
        await session.execute(
            text(
                "SELECT c.id, c.token_hash, c.created_at FROM reward_cards c JOIN people p ON p.id = c.person_id "
                "WHERE p.canonical_id = :p AND c.revoked_at IS NULL ORDER BY c.created_at DESC LIMIT 1"
            ),
            {"p": canonical},
        )
    ).first()
    if row is None:
        return None
    code = _card_code(session, row.id)
    if hmac.compare_digest(_keyed_hash(session, "reward-card-hash", code), row.token_hash):
        token = _written(code)
    else:
        token = _legacy_token(session, row.id)
    return {"token": token, "issued_at": row.created_at}


async def card_holder(session: AsyncSession, principal: Principal, raw: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The canonical person whose live card a business was shown, and the card (404 otherwise),
    within the business's limits on look-ups."""
    limiter, settings = session.info["limiter"], session.info["settings"]
    await limiter.hit(settings.card_resolve_rate_limit, f"card-resolve:{principal.org_id}")
    await limiter.check(settings.card_miss_rate_limit, f"card-miss:{principal.org_id}")
    stored = _card_hash(session, raw)
    row = None
    if stored is not None:
        async with platform_scope(session):
            row = (
                await session.execute(
                    text(
                        "SELECT p.canonical_id, p.status, c.id AS card_id FROM reward_cards c JOIN people p ON p.id = c.person_id "
                        "WHERE c.token_hash = :h AND c.revoked_at IS NULL"
                    ),
                    {"h": stored},
                )
            ).first()
    if row is None or row.status == "erased":
        await limiter.hit(settings.card_miss_rate_limit, f"card-miss:{principal.org_id}")
        raise CardNotFound("This card is not valid.")
    return row.canonical_id, row.card_id


_THEIR_PEOPLE = "person_id IN (SELECT id FROM people WHERE canonical_id = :p)"


async def issue_spend_code(session: AsyncSession, canonical: uuid.UUID) -> tuple[str, datetime]:
    """A one-time code for the resident to give a business that knows them, to spend their credits
    without the card; any earlier unused one stops working. (The code, when it stops working.)
    The caller is the resident (a platform scope)."""
    code = _encoded(secrets.randbits(5 * SPEND_CODE_LENGTH), SPEND_CODE_LENGTH)
    expires_at = datetime.now(UTC) + SPEND_CODE_TTL
    async with platform_scope(session):
        await session.execute(
            text(f"DELETE FROM spend_codes WHERE {_THEIR_PEOPLE} AND expires_at < now() - interval '1 day'"),  # noqa: S608
            {"p": canonical},
        )
        await session.execute(
            text(
                f"UPDATE spend_codes SET expires_at = now() WHERE {_THEIR_PEOPLE} AND used_at IS NULL "  # noqa: S608
                "AND expires_at > now()"
            ),
            {"p": canonical},
        )
        await session.execute(
            text("INSERT INTO spend_codes (id, person_id, code_hash, expires_at) VALUES (:id, :p, :h, :exp)"),
            {
                "id": uuid.uuid4(),
                "p": canonical,
                "h": _keyed_hash(session, "spend-code", code),
                "exp": expires_at,
            },
        )
    return _written(code), expires_at


async def use_spend_code(session: AsyncSession, principal: Principal, canonical: uuid.UUID, raw: str) -> None:
    """Use up the resident's live code (ResidentCodeRefused if this is not one), within the limit on
    tries of the resident's codes."""
    settings = session.info["settings"]
    # Counted per business and resident: one business cannot lock the resident's codes out at
    # every other (and only one she granted rewards to gets this far).
    await session.info["limiter"].hit(
        settings.resident_code_rate_limit, f"spend-code:{principal.org_id}:{canonical}"
    )
    code = normalised(raw, SPEND_CODE_LENGTH)
    used = None
    if code is not None:
        async with platform_scope(session):
            used = await session.scalar(
                text(
                    f"UPDATE spend_codes SET used_at = now(), used_by = :org WHERE {_THEIR_PEOPLE} "  # noqa: S608
                    "AND code_hash = :h AND used_at IS NULL AND expires_at > now() RETURNING id"
                ),
                {"p": canonical, "org": principal.org_id, "h": _keyed_hash(session, "spend-code", code)},
            )
    if used is None:
        raise ResidentCodeRefused(
            "This is not a live code of the resident's: codes work once, for ten minutes, and a new one "
            "replaces the last. Ask them for a new one (from the rewards page of their Kith account)."
        )


async def forget_codes(session: AsyncSession, people_ids: list[uuid.UUID]) -> None:
    """On erasure: the resident's cards stop working and their spend codes go."""
    async with platform_scope(session):
        await session.execute(
            text(
                "UPDATE reward_cards SET revoked_at = now() WHERE person_id = ANY(CAST(:ids AS uuid[])) "
                "AND revoked_at IS NULL"
            ),
            {"ids": people_ids},
        )
        await session.execute(
            text("DELETE FROM spend_codes WHERE person_id = ANY(CAST(:ids AS uuid[]))"), {"ids": people_ids}
        )
