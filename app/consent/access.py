"""Consent decides what one organisation may see of what others hold about a person.

Every read of a person's data by an organisation names a purpose and goes through one entry
point here: :func:`consented_read` (relationships, a wallet, a card), or, each a whole read in one
statement, :func:`profile_read` (the profile) and :func:`timeline_read` (a page of the timeline). Either resolves the organisation's id,
evaluates the person's grants with the database's one rule (``kith_active_grants``, which the
row-level policies call too) and writes the access-log entry in the
reading transaction: a read that returns data is logged, a refused one is not. There is no cache:
a withdrawal or an expiry holds from the very next statement. A write that needs a grant asks
:func:`require`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent import repository as repo
from app.consent.service import ConsentRequired, require_purpose
from app.core.logging import request_id_var
from app.db.session import ClientDisabled, Database, driver_connection, platform_scope
from app.identity import service as identity_service

# The SQL condition (on a grant aliased ``g``) under which a grant opens anything, for other
# domains' queries that join grants: the rule lives in the repository, once.
ACTIVE_GRANT = repo.ACTIVE


@dataclass(frozen=True)
class ConsentedRead:
    person_id: uuid.UUID  # the platform's person behind the organisation's id (canonical)
    categories: frozenset[str]  # of other organisations' data, what its grants let it see for the purpose


@asynccontextmanager
async def consented_read(
    session: AsyncSession,
    principal: Principal,
    org_person_id: uuid.UUID,
    purpose: str,
    action: str,
    *,
    requires: str | None = None,
    shows: Iterable[str] | None = None,
) -> AsyncIterator[ConsentedRead]:
    """A consented read of a person's data by the caller: yields whose it is and the categories
    the person's grants let the caller see of others' data for ``purpose``, with the purpose
    stated to PostgreSQL for the reads inside (its row-level security applies the same rule, so a
    bug here still cannot leak a row of a person who granted nothing). One statement
    (``kith_consented_read``) resolves the id, evaluates the grants and writes the access-log
    entry (``action``; ``shows``: the categories the read shows, else those granted) in the
    reading transaction: a read whose data is returned is logged, by construction. 404 for an id
    not the caller's; 403, and nothing logged, where ``requires`` (a category; ``*``: any) is
    not granted. A profile is read by :func:`profile_read`, the same rule in one statement."""
    require_purpose(purpose)
    connection = await driver_connection(session)
    outcome, person, categories = await repo.open_consented_read(
        connection,
        org_person_id,
        purpose,
        action,
        requires,
        sorted(shows) if shows is not None else None,
        principal.client_id,
        request_id_var.get(),
    )
    if outcome == "not_found":
        raise identity_service.PersonNotFound(f"No person {org_person_id}.")
    if outcome == "refused":
        raise ConsentRequired(
            f"The person has granted this organisation nothing for the purpose '{purpose}'."
            if requires == "*"
            else f"The person has not granted this organisation '{requires}' for the purpose '{purpose}'."
        )
    try:
        yield ConsentedRead(person, frozenset(categories))
    finally:
        await repo.end_consented_read(connection)


async def profile_read(
    db: Database, principal: Principal, org_person_id: uuid.UUID, purpose: str
) -> list[dict[str, Any]]:
    """The person's records as the caller may see them for ``purpose`` — its own whole, another
    organisation's claims only in the categories the person's grants cover — with the read
    logged: one statement (``kith_profile_read``), its own transaction, opening the caller's
    context itself. Each record: ``org_id``, ``source_sector``, ``claims``, ``external_ref``
    (the caller's own records only). 404 for an id not the caller's."""
    require_purpose(purpose)
    async with db.direct() as connection:
        outcome, records = await repo.profile_read(
            connection,
            db.service_key,
            principal.client_id,
            principal.org_id,
            org_person_id,
            purpose,
            request_id_var.get(),
        )
    if outcome == "client_disabled":
        raise ClientDisabled()
    if outcome == "not_found":
        raise identity_service.PersonNotFound(f"No person {org_person_id}.")
    # The pool's connections decode jsonb (SQLAlchemy's asyncpg dialect sets the codec); a plain
    # asyncpg connection hands the text.
    return orjson.loads(records) if isinstance(records, str) else records


@dataclass(frozen=True)
class TimelinePage:
    items: str  # the page's items as a JSON array (the documented TimelineItem shape), as written
    last: tuple[datetime, uuid.UUID] | None  # the last item's position when there are more


async def timeline_read(
    db: Database,
    principal: Principal,
    org_person_id: uuid.UUID,
    purpose: str,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> TimelinePage:
    """A page of the person's interactions, newest first, before ``before`` if given: the
    caller's own, and other organisations' where the person's grants cover ``interactions`` for
    ``purpose``; with no grant at all for the purpose, 403 and nothing logged. One statement
    (``kith_timeline_read``), its own transaction, opening the caller's context itself and
    logging the read (``timeline``, showing ``interactions``). 404 for an id not the caller's."""
    require_purpose(purpose)
    async with db.direct() as connection:
        outcome, items, last_at, last_id = await repo.timeline_read(
            connection,
            db.service_key,
            principal.client_id,
            principal.org_id,
            org_person_id,
            purpose,
            request_id_var.get(),
            before[0] if before else None,
            before[1] if before else None,
            limit,
        )
    if outcome == "client_disabled":
        raise ClientDisabled()
    if outcome == "not_found":
        raise identity_service.PersonNotFound(f"No person {org_person_id}.")
    if outcome == "refused":
        raise ConsentRequired(
            f"The person has granted this organisation nothing for the purpose '{purpose}'."
        )
    return TimelinePage(items, (last_at, last_id) if last_at is not None else None)


async def people_granting(
    session: AsyncSession,
    principal: Principal,
    person_canonical_ids: Iterable[uuid.UUID],
    purpose: str,
    category: str,
) -> frozenset[uuid.UUID]:
    """Those of the people who let the caller see ``category`` of other organisations' data for
    ``purpose`` (its active grants from them cover it)."""
    require_purpose(purpose)
    if principal.org_id is None:
        return frozenset()
    return frozenset(
        await repo.people_granting(session, principal.org_id, list(person_canonical_ids), purpose, category)
    )


async def require(
    session: AsyncSession, principal: Principal, person_canonical_id: uuid.UUID, purpose: str, category: str
) -> None:
    """403 unless the caller's active grants from the person cover ``category`` for ``purpose``:
    for writes that need a grant (earning, spending). A read goes through :func:`consented_read`."""
    require_purpose(purpose)
    granted = (
        await repo.granted_categories(session, principal.org_id, person_canonical_id, purpose)
        if principal.org_id is not None
        else set()
    )
    if category not in granted:
        raise ConsentRequired(
            f"The person has not granted this organisation '{category}' for the purpose '{purpose}'."
        )


async def organisations_to_tell(
    session: AsyncSession,
    person_canonical_id: uuid.UUID,
    categories: Iterable[str],
    exclude: uuid.UUID | None,
) -> dict[uuid.UUID, uuid.UUID]:
    """Organisations (other than ``exclude``) that may see changes in ``categories`` of the
    person's data, each with its own id for the person; the caller must be in a platform scope."""
    orgs = await repo.orgs_granted(session, person_canonical_id, sorted(set(categories)), exclude)
    if not orgs:
        return {}
    ids = await repo.org_person_ids(session, person_canonical_id)
    return {org: ids[org] for org in orgs if org in ids}


async def organisation_names(
    session: AsyncSession, org_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    """Name and sector of organisations whose data a consented read shows (residents and their
    organisations see who holds what; an organisation's name is not personal data)."""
    wanted = list(set(org_ids))
    if not wanted:
        return {}
    async with platform_scope(session):
        return await repo.organisation_names(session, wanted)


REVIEW_PURPOSE = "identity_review"  # the platform's reviewers deciding whether two records are one person


async def log_review(session: AsyncSession, principal: Principal, person_ids: Iterable[uuid.UUID]) -> None:
    """The platform's reviewers read every record organisations hold of both sides of a possible
    match: each person shown is logged as read, in the reviewer's transaction, so that the resident
    sees it among who looked (by role, never by name)."""
    people = list(dict.fromkeys(person_ids))
    if people:
        await repo.log_reviews(
            session,
            principal.org_id,  # type: ignore[arg-type]
            principal.client_id,
            people,
            REVIEW_PURPOSE,
            ["identity", "contact", "address"],
            request_id_var.get(),
        )
