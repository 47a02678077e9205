"""What a resident is told of a grant made in their name: the notice, with the link that confirms a
grant awaiting them, and how often an organisation may ask them."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.consent import repository as repo
from app.consent.catalogue import CATEGORIES, PURPOSES
from app.consent.models import ConsentGrant
from app.core.ids import hash_secret
from app.db.session import platform_scope
from app.mail import service as mail


def awaiting(row: ConsentGrant) -> str:
    """Mark ``row`` as awaiting the resident; the token of the link that confirms it (kept by
    :func:`keep_confirm_links` once the row is written)."""
    row.confirmed_at = None
    return secrets.token_urlsafe(24)


async def keep_confirm_links(session: AsyncSession, rows: list[tuple[ConsentGrant, str | None]]) -> None:
    """Keep the hash of each confirmation link's token on its grant. In the platform scope: the
    link confirms a grant with no sign-in, so the organisation's own transaction may not set it
    (kith_grant_guard refuses it there) — or a partner could confirm its own grants."""
    links = [{"id": row.id, "hash": hash_secret(token)} for row, token in rows if token is not None]
    if not links:
        return
    async with platform_scope(session):
        await repo.set_confirm_token_hashes(session, links)


async def tell_resident(
    session: AsyncSession, canonical: uuid.UUID, row: ConsentGrant, org_name: str, token: str | None
) -> None:
    """Tell the resident of a new grant (one awaiting them only while :func:`may_ask`)."""
    if token is not None and not await may_ask(session, row.org_id, canonical):
        return
    async with platform_scope(session):  # the resident's address is theirs, not the organisation's
        await mail.tell_residents(session, [(canonical, *grant_notice(session, row, org_name, token))])


async def may_ask(session: AsyncSession, org_id: uuid.UUID, canonical: uuid.UUID) -> bool:
    """Whether the organisation may mail the resident another "did you agree?" now: a few a day at
    most, so that re-recording grants cannot wear her down into confirming one (beyond it the grant
    still waits for her in the portal)."""
    limiter = session.info.get("limiter")  # the server's; the command line asks without limit
    if limiter is None:
        return True
    return await limiter.allow(
        session.info["settings"].grant_ask_rate_limit, f"grant-ask:{org_id}:{canonical}"
    )


def grant_notice(
    session: AsyncSession, row: ConsentGrant, org_name: str, token: str | None
) -> tuple[str, str]:
    """What a resident is told of a new grant: (subject, body), with the confirmation link when it
    awaits them."""
    settings = session.info["settings"]
    portal = f"{settings.public_url.rstrip('/')}/portal/organisations"
    what = "; ".join(CATEGORIES.get(c, c).lower() for c in row.categories)
    why = PURPOSES.get(row.purpose, row.purpose)
    how = {
        "portal": "You gave it in the Kith portal.",
        "card_presented": f"You showed your rewards card at {org_name}.",
        "recorded_by_org": f"{org_name} recorded that you agreed"
        + (f" ({row.evidence['kind']} consent)." if row.evidence else "."),
    }.get(row.method, "")
    if token is not None:
        link = f"{settings.public_url.rstrip('/')}/portal/consents/confirm/{token}"
        return (
            f"Did you agree to share your information with {org_name}?",
            f"{org_name} says you agreed to let it see {what} that other organisations hold about you, "
            f"for: {why}\n\n{how} Nothing is shared until you confirm it.\n\n"
            f"If you agreed, confirm here: {link}\n\n"
            f"If you did not, you need do nothing; you can also refuse it at {portal}\n",
        )
    return (
        f"You gave {org_name} permission to see your information",
        f"{org_name} may now see {what} that other organisations hold about you, for: {why}\n\n"
        f"{how}\n\nYou can see and withdraw every permission in one step at {portal}\n",
    )
