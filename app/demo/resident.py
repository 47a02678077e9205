"""The demo resident, Dee Monstration, whose portal has something on every page.

She lives in Riverside, uses the council, the food bank, the health centre and two shops, volunteers
at the community garden (her credits: earned there, some spent at the café and the bakery), has
friends, has granted several organisations what they need, carries a rewards card the food bank
gave her and she confirmed with her PIN, and finds in "who looked" the reads staff made of her
profile.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.ratelimit import RateLimiter
from app.consent import access as consent_access
from app.db.session import Database
from app.demo.town import DEMO_RESIDENT_EMAIL, DEMO_RESIDENT_REF, DEMO_STAFF, MARKER
from app.identity import service as identity_service
from app.organisations import service as organisations
from app.rewards import cards as rewards_cards
from app.rights import service as rights

RECORD = {
    "external_ref": DEMO_RESIDENT_REF,
    "given_name": "Dee",
    "family_name": "Monstration",
    "date_of_birth": "1984-05-17",
    "email": DEMO_RESIDENT_EMAIL,
    "verified": ["email"],  # the council checked it: she signs in to the portal with it
}
USES = ("Riverside Food Bank", MARKER, "Riverside Health Centre", "The Riverside Café", "Riverside Bakery")
VOLUNTEERS_AT = "Riverside Community Garden"
CARD_FROM = "Riverside Food Bank"
CARD_PIN = "3917"  # printed by `kith serve --demo`, for trying her card at a till
# What she granted, in the portal: organisation → (purpose, categories).
GRANTS = {
    MARKER: ("service_delivery", ["address", "contact", "identity"]),
    "Riverside Food Bank": ("case_coordination", ["contact", "identity", "interactions"]),
    "Riverside Health Centre": ("case_coordination", ["identity", "interactions", "relationships"]),
    "Riverside Community Garden": ("rewards", ["identity", "rewards"]),
    "The Riverside Café": ("rewards", ["rewards"]),
}
# Who read her profile, and why: (staff email, purpose).
READS = (
    ("caseworker@riverside-foodbank.example.org", "case_coordination"),
    ("admin@riverside-council.example.org", "service_delivery"),
    ("caseworker@riverside-foodbank.example.org", "service_delivery"),
)


async def settle_in(session: AsyncSession, dee: uuid.UUID, orgs: dict[str, uuid.UUID]) -> None:
    """Her grants and her card (in the seed's platform transaction, after her year is written)."""
    me = Principal.resident(dee)
    for name, (purpose, categories) in GRANTS.items():
        await rights.grant(session, me, orgs[name], purpose, categories)
    # The command line runs no server, so no server's rate limits: one card needs none.
    session.info.setdefault("limiter", RateLimiter("memory://"))
    issuer = orgs[CARD_FROM]
    their_id = await identity_service.org_person_id(session, issuer, dee)
    await rewards_cards.issue_card_for_org(session, Principal(issuer, None), their_id)
    waiting = await rewards_cards.cards_awaiting(session, dee)
    await rewards_cards.answer_card(session, me, dee, waiting[-1]["id"], True, CARD_PIN)


async def staff_reads(db: Database) -> int:
    """Staff of the food bank and the council read her profile, each read in its own transaction
    as the console makes it, so that "who looked" shows them. Run once the seed is committed."""
    async with db.session(platform=True) as session:
        dee = await rights.person_of(
            session, Principal.resident(await _person_of_record(session, DEMO_RESIDENT_REF))
        )
        readers = {}
        for email, (org_name, _) in DEMO_STAFF.items():
            org_id = await _organisation(session, org_name)
            staff = next(s for s in await organisations.list_staff(session, org_id) if s.email == email)
            readers[email] = (
                Principal.staff(org_id, staff.id, staff.role),
                await identity_service.org_person_id(session, org_id, dee),
            )
    for email, purpose in READS:
        reader, their_id = readers[email]
        await consent_access.profile_read(db, reader, their_id, purpose)
    return len(READS)


async def _person_of_record(session: AsyncSession, external_ref: str) -> uuid.UUID:
    return await session.scalar(
        text("SELECT person_id FROM person_records WHERE external_ref = :ref AND org_id IS NOT NULL"),
        {"ref": external_ref},
    )


async def _organisation(session: AsyncSession, name: str) -> uuid.UUID:
    return await session.scalar(text("SELECT id FROM organisations WHERE name = :n"), {"n": name})
