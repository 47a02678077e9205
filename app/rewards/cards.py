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

A card an organisation's staff issue in the console (:func:`issue_card_for_org`, decision 0007) is
handed to the resident, so that organisation has seen its code, and could pass it on: the code
alone must prove nothing. Such a card waits for the resident, who confirms it in the portal and
chooses a PIN that only they know (4 to 6 digits, kept as a keyed hash); from then on it resolves
and spends only with the PIN (the fifth wrong PIN in a row stops it until the resident chooses another; each is mailed to them), and never at
the organisation that issued it. The resident is told of every such card; one waiting card per organisation (a new
one replaces the last); confirming one retires the resident's earlier card.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import Conflict, Forbidden, NotFound
from app.db.session import platform_scope
from app.identity import service as identity_service
from app.mail import service as mail

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


class CardIssuedHere(Forbidden):
    code = "card_issued_here"


class CardPinRequired(Forbidden):
    code = "card_pin_required"


class CardPinWrong(Forbidden):
    code = "card_pin_wrong"


@dataclass(frozen=True)
class IssuedCard:
    """A card an organisation issued: its code (shown once, to hand over), and whether the resident
    was mailed of it (no address Kith holds: they confirm it when they next sign in)."""

    code: str
    mailed: bool


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


def _pin_hash(session: AsyncSession, card_id: uuid.UUID, pin: str) -> str:
    return _keyed_hash(session, "reward-card-pin", f"{card_id}:{pin}")


PIN_TRIES = 5  # wrong PINs in a row that stop an organisation's card until the resident chooses another
_PIN = re.compile(r"[0-9]{4,6}")
# PINs people choose most often: refused, as are runs, repeats and the resident's own birthday.
_COMMON_PINS = frozenset(
    "0000 1111 1212 1004 2000 2001 4444 6969 1122 1313 1010 2580 5683 0852 1234 123456 654321 "
    "111111 000000 121212 112233 696969 159753 123123".split()
)


def valid_pin(raw: str) -> str | None:
    """A PIN as the resident typed it, if it is one: 4 to 6 ASCII digits."""
    pin = (raw or "").strip()
    return pin if _PIN.fullmatch(pin) else None


def pin_problem(pin: str, born: date | None) -> str | None:
    """Why a PIN is too easy to guess (by an organisation that knows the resident), if it is."""
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    if pin in _COMMON_PINS or len(set(pin)) == 1 or steps in ({1}, {-1}):
        return (
            "Choose a PIN that is harder to guess: not a run like 1234, a repeat like 1111, or a common one"
        )
    if born is not None:
        day, month, year = f"{born.day:02d}", f"{born.month:02d}", f"{born.year:04d}"
        from_birthday = {
            day + month,
            month + day,
            year,
            year[2:] + month,
            month + year[2:],
            day + month + year[2:],
            year[2:] + month + day,
            day + month + year[:2],
            month + day + year[2:],
        }
        if pin in from_birthday or pin[:4] in {day + month, month + day, year}:
            return "Choose a PIN that is not made from your date of birth"
    return None


async def _living_resident(session: AsyncSession, person_id: uuid.UUID) -> None:
    """404 for an id that is no resident's platform id (an organisation's own id for them
    included) or an erased one; the resident's row is locked, so that cards issued, renewed and
    confirmed for them at once are settled one after the other. In a platform scope."""
    status = await session.scalar(
        text("SELECT status FROM people WHERE id = :p AND canonical_id = id FOR UPDATE"), {"p": person_id}
    )
    if status is None or status == "erased":
        raise ResidentNotFound(f"No resident {person_id} (cards are issued to a resident's platform id).")


_THEIR_CARDS = "person_id IN (SELECT id FROM people WHERE canonical_id = :p)"


async def _retire_cards(session: AsyncSession, person_id: uuid.UUID, keep: uuid.UUID | None = None) -> None:
    """Every card of the resident's (under any of their ids) but ``keep`` stops working. In a
    platform scope."""
    await session.execute(
        text(
            f"UPDATE reward_cards SET revoked_at = now() WHERE {_THEIR_CARDS} AND revoked_at IS NULL "  # noqa: S608
            "AND id IS DISTINCT FROM :keep"
        ),
        {"p": person_id, "keep": keep},
    )


async def _new_card(
    session: AsyncSession, person_id: uuid.UUID, issued_by_org: uuid.UUID | None
) -> tuple[uuid.UUID, str]:
    """A card row with a fresh code: (its id, its code); in use at once unless an organisation
    issued it. In a platform scope."""
    while True:  # two cards whose 50 bits meet: draw again
        card_id = uuid.uuid4()
        code = _card_code(session, card_id)
        made = await session.scalar(
            text(
                "INSERT INTO reward_cards (id, person_id, token_hash, issued_by_org, activated_at) "
                "VALUES (:id, :p, :h, :org, CASE WHEN CAST(:org AS uuid) IS NULL THEN now() END) "
                "ON CONFLICT (token_hash) DO NOTHING RETURNING id"
            ),
            {
                "id": card_id,
                "p": person_id,
                "h": _keyed_hash(session, "reward-card-hash", code),
                "org": issued_by_org,
            },
        )
        if made is not None:
            return card_id, code


async def issue_card(session: AsyncSession, actor: Principal, person_id: uuid.UUID) -> str:
    """A new card for the resident (any earlier one stops working), issued by ``actor`` (a platform
    admin, or the resident in the portal) and audited; returns its code. 404 for an id that is no
    resident's platform id (an organisation's own id for them included) or an erased one."""
    async with platform_scope(session):
        await _living_resident(session, person_id)
        await _retire_cards(session, person_id)
        card_id, code = await _new_card(session, person_id, None)
    audit.record(session, actor, "reward_card.issued", "person", person_id, {"card": str(card_id)})
    return _written(code)


_ISSUED_SINCE = (
    f"SELECT 1 FROM reward_cards WHERE {_THEIR_CARDS} AND issued_by_org = :org AND created_at > :t"  # noqa: S608
)


class CardAlreadyIssued(Conflict):
    code = "card_already_issued"


async def issue_card_for_org(
    session: AsyncSession,
    principal: Principal,
    org_person_id: uuid.UUID,
    *,
    not_since: datetime | None = None,
) -> IssuedCard:
    """A card the organisation's staff hand the resident behind one of its own ids (404 for any
    other), waiting for the resident to confirm it and choose its PIN in the portal; their card in
    use keeps working meanwhile. It replaces the organisation's earlier waiting card for them, and
    the resident is told. A few a day per organisation and resident (429 beyond). ``not_since``:
    refused (409) if the organisation issued them one after that time — the same form sent again,
    as a reloaded page does, issues nothing."""
    canonical = await identity_service.person_of_org(session, org_person_id)
    org_id = principal.org_id
    if not_since is not None:
        async with platform_scope(session):
            again = await session.scalar(
                text(_ISSUED_SINCE),
                {"p": canonical, "org": org_id, "t": not_since},
            )
        if again:
            raise CardAlreadyIssued(
                "A card was issued to this resident from this page already (its code was shown once). "
                "To issue another, open their page again and choose Issue a card."
            )
    await session.info["limiter"].hit(
        session.info["settings"].card_issue_rate_limit, f"card-issue:{org_id}:{canonical}"
    )
    async with platform_scope(session):
        await _living_resident(session, canonical)
        await session.execute(
            text(
                f"UPDATE reward_cards SET revoked_at = now() WHERE {_THEIR_CARDS} AND issued_by_org = :org "  # noqa: S608
                "AND activated_at IS NULL AND revoked_at IS NULL"
            ),
            {"p": canonical, "org": org_id},
        )
        card_id, code = await _new_card(session, canonical, org_id)
        org_name = await session.scalar(text("SELECT name FROM organisations WHERE id = :o"), {"o": org_id})
        mailed = await mail.tell_residents(
            session, [(canonical, *_card_notice(session, str(org_name), code))]
        )
    audit.record(session, principal, "reward_card.issued", "person", org_person_id, {"card": str(card_id)})
    return IssuedCard(_written(code), mailed > 0)


def _card_notice(session: AsyncSession, org_name: str, code: str) -> tuple[str, str]:
    """What a resident is told of a card an organisation issued them: (subject, body)."""
    rewards = f"{session.info['settings'].public_url.rstrip('/')}/portal/rewards"
    return (
        f"{org_name} wants to give you a rewards card",
        f"{org_name} issued you a rewards card (its code ends {_written(code)[-5:]}). It works once "
        f"you say it is yours and choose its PIN, at {rewards}\n\nIf you were not given it, refuse it "
        f"there, or do nothing: it will never work.\n",
    )


async def cards_awaiting(session: AsyncSession, canonical: uuid.UUID) -> list[dict[str, Any]]:
    """Cards organisations issued the resident that wait for them to confirm: id, the organisation,
    when, and the code's last five characters (to compare with the card in their hand). The caller
    is the resident."""
    rows = (
        await session.execute(
            text(
                "SELECT c.id, c.created_at, o.name AS org_name FROM reward_cards c "
                "JOIN people p ON p.id = c.person_id LEFT JOIN organisations o ON o.id = c.issued_by_org "
                "WHERE p.canonical_id = :p AND c.revoked_at IS NULL AND c.activated_at IS NULL "
                "ORDER BY c.created_at"
            ),
            {"p": canonical},
        )
    ).all()
    return [
        {
            "id": r.id,
            "issued_at": r.created_at,
            "org_name": r.org_name or "An organisation",
            "ending": _written(_card_code(session, r.id))[-5:],
        }
        for r in rows
    ]


async def answer_card(
    session: AsyncSession,
    resident: Principal,
    canonical: uuid.UUID,
    card_id: uuid.UUID,
    accept: bool,
    pin: str | None = None,
) -> None:
    """The resident says whether a card an organisation issued them is theirs: accepted with the
    PIN they chose (``valid_pin``), it works and retires their earlier card; refused, it never
    works. 404 for a card that is not theirs or no longer waits."""
    if accept and pin is None:
        raise ValueError("a card is accepted with its PIN")
    async with platform_scope(session):  # only the resident's word sets it; their own scope may not
        await _living_resident(session, canonical)
        waiting = await session.scalar(
            text(
                f"SELECT id FROM reward_cards WHERE id = :c AND {_THEIR_CARDS} "  # noqa: S608
                "AND revoked_at IS NULL AND activated_at IS NULL"
            ),
            {"c": card_id, "p": canonical},
        )
        if waiting is None:
            raise CardNotFound("There is no card waiting for you with this id.")
        if accept:
            await session.execute(
                text("UPDATE reward_cards SET activated_at = now(), pin_hash = :h WHERE id = :c"),
                {"c": card_id, "h": _pin_hash(session, card_id, pin or "")},
            )
            await _retire_cards(session, canonical, keep=card_id)
        else:
            await session.execute(
                text("UPDATE reward_cards SET revoked_at = now() WHERE id = :c"), {"c": card_id}
            )
    audit.record(
        session,
        resident,
        "reward_card.confirmed" if accept else "reward_card.refused",
        "person",
        canonical,
        {"card": str(card_id)},
    )


async def current_card(session: AsyncSession, canonical: uuid.UUID) -> dict[str, Any] | None:
    """The resident's card in use (its code, when it was issued, whether it needs the PIN), if they
    have one. The caller is the resident."""
    row = (
        await session.execute(
            text(
                "SELECT c.id, c.token_hash, c.created_at, c.pin_hash IS NOT NULL AS with_pin, "
                "c.pin_failures >= :tries AS locked FROM reward_cards c "
                "JOIN people p ON p.id = c.person_id "
                "WHERE p.canonical_id = :p AND c.revoked_at IS NULL AND c.activated_at IS NOT NULL "
                "ORDER BY c.activated_at DESC LIMIT 1"
            ),
            {"p": canonical, "tries": PIN_TRIES},
        )
    ).first()
    if row is None:
        return None
    code = _card_code(session, row.id)
    if hmac.compare_digest(_keyed_hash(session, "reward-card-hash", code), row.token_hash):
        token = _written(code)
    else:
        token = _legacy_token(session, row.id)
    return {"token": token, "issued_at": row.created_at, "with_pin": row.with_pin, "locked": row.locked}


async def card_holder(
    session: AsyncSession, principal: Principal, raw: str, pin: str | None = None
) -> tuple[uuid.UUID, uuid.UUID]:
    """The canonical person whose live card a business was shown, and the card (404 otherwise),
    within the business's limits on look-ups; with its PIN where an organisation issued it, and
    never at that organisation."""
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
                        "SELECT p.canonical_id, p.status, c.id AS card_id, c.issued_by_org, c.pin_hash, "
                        "c.pin_failures, c.revoked_at IS NULL AND c.activated_at IS NOT NULL AND p.status <> 'erased' "
                        "AS live FROM reward_cards c JOIN people p ON p.id = c.person_id WHERE c.token_hash = :h"
                    ),
                    {"h": stored},
                )
            ).first()
    if row is not None and row.issued_by_org is not None:
        if row.issued_by_org == principal.org_id:
            # Whatever the card's state: the issuer learns nothing of what the resident did with it.
            raise CardIssuedHere(
                "Your organisation issued this card, so it cannot be used here: it works at every other "
                "organisation. To award credits, record the resident's consent; to spend, ask them for a "
                "one-time code from their Kith account."
            )
        # Whatever its state, a card an organisation issued answers everyone else alike without its
        # PIN, and is opened only by it: whoever was handed the code learns nothing from trying it.
        await _check_pin(session, principal, row, pin)
        return row.canonical_id, row.card_id
    if row is None or not row.live:
        await limiter.hit(settings.card_miss_rate_limit, f"card-miss:{principal.org_id}")
        raise CardNotFound("This card is not valid.")
    return row.canonical_id, row.card_id


async def _check_pin(session: AsyncSession, principal: Principal, row: Any, pin: str | None) -> None:
    """The PIN of a card an organisation issued, as the resident gives it at the till. A wrong one
    counts against the resolving organisation's misses and the card's own tries: it is written in
    a transaction of its own (the refusal rolls the request's back), and the resident is mailed of
    it; at the fifth in a row the card stops until the resident chooses a new PIN in the portal."""
    if pin is None:
        raise CardPinRequired(
            "This card was given by an organisation and works only with the PIN the resident chose: "
            "ask them for it (card_pin)."
        )
    settings, limiter = session.info["settings"], session.info["limiter"]
    locked = row.pin_failures >= PIN_TRIES
    right = (
        row.live
        and not locked
        and row.pin_hash is not None
        and hmac.compare_digest(_pin_hash(session, row.card_id, pin), row.pin_hash)
    )
    if right:
        if row.pin_failures:
            async with platform_scope(session):
                await session.execute(
                    text("UPDATE reward_cards SET pin_failures = 0 WHERE id = :c"), {"c": row.card_id}
                )
        return
    await limiter.hit(settings.card_miss_rate_limit, f"card-miss:{principal.org_id}")
    if row.live and not locked:
        async with session.info["db"].session(platform=True) as counting:
            await counting.execute(
                text("UPDATE reward_cards SET pin_failures = pin_failures + 1 WHERE id = :c"),
                {"c": row.card_id},
            )
            org_name = await counting.scalar(
                text("SELECT name FROM organisations WHERE id = :o"), {"o": principal.org_id}
            )
            rewards = f"{settings.public_url.rstrip('/')}/portal/rewards"
            await mail.tell_residents(
                counting,
                [
                    (
                        row.canonical_id,
                        "A wrong PIN was given for your rewards card",
                        f"{org_name} tried your rewards card with a wrong PIN. After {PIN_TRIES} wrong PINs in a "
                        f"row the card stops working until you choose a new PIN at {rewards}\n\n"
                        "If this was not you, choose a new PIN there now, or renew your card.\n",
                    )
                ],
            )
    raise CardPinWrong("That is not this card's PIN. Ask the resident again.")


async def change_pin(session: AsyncSession, resident: Principal, canonical: uuid.UUID, pin: str) -> None:
    """The resident chooses a new PIN for their card in use that an organisation issued (which also
    starts it working again after wrong PINs). 404 if they have no such card."""
    async with platform_scope(session):
        await _living_resident(session, canonical)
        card_id = await session.scalar(
            text(
                f"SELECT id FROM reward_cards WHERE {_THEIR_CARDS} AND issued_by_org IS NOT NULL "  # noqa: S608
                "AND revoked_at IS NULL AND activated_at IS NOT NULL ORDER BY activated_at DESC LIMIT 1"
            ),
            {"p": canonical},
        )
        if card_id is None:
            raise CardNotFound("You have no card in use that needs a PIN.")
        await session.execute(
            text("UPDATE reward_cards SET pin_hash = :h, pin_failures = 0 WHERE id = :c"),
            {"c": card_id, "h": _pin_hash(session, card_id, pin)},
        )
    audit.record(session, resident, "reward_card.pin_changed", "person", canonical, {"card": str(card_id)})


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
