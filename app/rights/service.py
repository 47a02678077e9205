"""Residents' rights over their own data, as the portal calls them: see and download
everything held, correct it, grant and withdraw consent, object to research, erase.

Each function takes the resident's principal (``Principal.resident(person_id)``) and keeps to that
one person. The portal calls them in a transaction narrowed to the signed-in resident (row-level
security shows it only their rows: ``db.session.resident_scope``); platform admins answering a
resident's written request, in a platform transaction.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.consent import repository as repo
from app.consent import service as consent_service
from app.core.errors import NotFound
from app.core.pagination import PageRequest, decode_cursor
from app.db import idempotency
from app.identity import merges
from app.identity import repository as identity_repo
from app.identity import service as identity_service
from app.interactions import service as interactions_service
from app.ledger import service as ledger_service
from app.mail import service as mail_service
from app.people import service as people_service
from app.people.schemas import AttributesIn
from app.relationships import service as relationships_service
from app.rewards import cards as rewards_cards
from app.rewards import wallets as rewards_service
from app.webhooks import service as events


class ResidentNotFound(NotFound):
    code = "person_not_found"


class OrganisationNotLinked(NotFound):
    code = "organisation_not_linked"


async def person_of(session: AsyncSession, resident: Principal) -> uuid.UUID:
    """The resident's current (canonical) person id; 404 once erased."""
    row = await people_service.person(session, resident.resident_id)
    if row is None or row.status == "erased":
        raise ResidentNotFound("This person is not registered, or has been erased.")
    return row.canonical_id


async def is_this_you(session: AsyncSession, resident: Principal, email: str) -> list[dict[str, Any]]:
    """Possible matches across organisations that may be the resident, signed in with ``email``
    proven (``merges.questions_for_resident``)."""
    return await merges.questions_for_resident(session, await person_of(session, resident), email)


async def answer_is_this_you(
    session: AsyncSession, resident: Principal, email: str, question_id: uuid.UUID, answer: str
) -> None:
    """The resident's no (never joined to them) or yes (put to the platform's reviewers)."""
    canonical = await person_of(session, resident)
    await merges.decide_for_resident(session, resident, canonical, email, question_id, answer)


async def _organisations(session: AsyncSession, canonical: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (op.org_id) op.org_id, op.org_person_id, op.created_at, o.name, o.sector, o.kind "
            "FROM org_people op JOIN organisations o ON o.id = op.org_id WHERE op.canonical_id = :person "
            "ORDER BY op.org_id, (op.person_id = op.canonical_id) DESC, op.created_at"
        ),
        {"person": canonical},
    )
    return [
        {
            "organisation_id": r.org_id,
            "organisation": r.name,
            "sector": r.sector,
            "kind": r.kind,
            "their_id_for_you": r.org_person_id,
            "linked_at": r.created_at,
        }
        for r in sorted(rows, key=lambda r: r.created_at)
    ]


async def profile(session: AsyncSession, resident: Principal) -> dict[str, Any]:
    """Everything held about the resident's identity: the consolidated view (what each
    organisation would see with every category granted) and every claim with where it came from."""
    canonical = await person_of(session, resident)
    names = {o["organisation_id"]: o["organisation"] for o in await _organisations(session, canonical)}
    return await _profile(session, canonical, names)


async def _profile(
    session: AsyncSession, canonical: uuid.UUID, names: dict[uuid.UUID, str]
) -> dict[str, Any]:
    records = await identity_repo.records_of(session, canonical)
    return {
        "attributes": people_service.pick((r.source_sector, r.claims) for r in records),
        "claims": [
            {
                "source": "you" if r.org_id is None else names.get(r.org_id, "an organisation"),
                "organisation_id": r.org_id,
                "source_sector": r.source_sector,
                "external_ref": r.external_ref,
                "attributes": r.claims,
            }
            for r in records
        ],
    }


async def who_knows_me(session: AsyncSession, resident: Principal) -> list[dict[str, Any]]:
    """Each organisation linked to the resident: since when it has known them, what it may see, for
    which purpose and how that was given, and what it recorded of its own (contacts, relationships)."""
    canonical = await person_of(session, resident)
    grants = await repo.grants_of(session, None, canonical)
    receipts = await repo.receipt_ids(session, [g.id for g in grants])
    organisations = await _organisations(session, canonical)
    names = {o["organisation_id"]: o["organisation"] for o in organisations}
    interactions = await _interactions(session, canonical, names)
    relationships = await _relationships(session, canonical, names)
    out = []
    for org in organisations:
        mine = [g for g in grants if g.org_id == org["organisation_id"]]
        contacts = [i for i in interactions if i["org_id"] == org["organisation_id"]]
        # Since it first knew of them: its first recorded contact may come before Kith linked it.
        since = min([org["linked_at"], *(i["occurred_at"] for i in contacts)])
        out.append(
            {
                **org,
                "linked_at": since,
                "consents": [consent_service.grant_view(g, receipts[g.id]) for g in mine],
                "contacts": {"count": len(contacts), "latest": list(reversed(contacts[-5:]))},
                "relationships": [r for r in relationships if r["org_id"] == org["organisation_id"]],
            }
        )
    return out


async def grant(
    session: AsyncSession,
    resident: Principal,
    org_id: uuid.UUID,
    purpose: str,
    categories: list[str],
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    """The resident grants a linked organisation ``categories`` for ``purpose`` (in the portal)."""
    canonical = await person_of(session, resident)
    ids = await repo.org_person_ids(session, canonical)
    if org_id not in ids:
        raise OrganisationNotLinked(f"Organisation {org_id} holds no record of you.")
    row, _ = await consent_service.grant(
        session,
        resident,
        org_id=org_id,
        org_person_id=ids[org_id],
        purpose=purpose,
        categories=categories,
        method="portal",
        expires_at=expires_at,
    )
    receipts = await repo.receipt_ids(session, [row.id])
    return consent_service.grant_view(row, receipts[row.id])


async def confirm(session: AsyncSession, resident: Principal, consent_id: uuid.UUID) -> None:
    """The resident confirms a grant an organisation recorded: it takes effect now."""
    await consent_service.confirm_by_resident(session, resident, consent_id)


async def refuse(session: AsyncSession, resident: Principal, consent_id: uuid.UUID) -> None:
    """The resident refuses a grant an organisation recorded and that awaits them: withdrawn."""
    canonical = await person_of(session, resident)
    for g in await repo.active_grants(session, canonical):
        if g.id == consent_id and g.confirmed_at is None:
            g.confirm_token_hash = None
            await consent_service.withdraw(session, resident, g)
            return
    raise consent_service.ConsentNotFound("There is no permission like that awaiting you.")


async def withdraw(session: AsyncSession, resident: Principal, org_id: uuid.UUID, purpose: str) -> int:
    """The resident withdraws everything granted to the organisation for ``purpose`` (as easy as
    granting: one call). The number of grants withdrawn."""
    consent_service.require_purpose(purpose)
    canonical = await person_of(session, resident)
    withdrawn = 0
    for g in await repo.active_grants(session, canonical, purpose):
        if g.org_id == org_id:
            await consent_service.withdraw(session, resident, g)
            withdrawn += 1
    return withdrawn


async def rectify(session: AsyncSession, resident: Principal, body: AttributesIn) -> list[str]:
    """The resident corrects their details; their own claims win over organisations'."""
    canonical = await person_of(session, resident)
    return await people_service.assert_resident_claims(session, resident, canonical, body)


async def object_to_research(session: AsyncSession, resident: Principal, objecting: bool = True) -> dict:
    """Object to ``research`` (the resident is then left out of the indicators, and research grants
    are withdrawn), or lift the objection."""
    canonical = await person_of(session, resident)
    at = datetime.now(UTC) if objecting else None
    await identity_service.set_research_objection(session, canonical, at)
    withdrawn = 0
    if objecting:
        for g in await repo.active_grants(session, canonical, "research"):
            await consent_service.withdraw(session, resident, g)
            withdrawn += 1
    audit.record(
        session, resident, "person.research_objection", "person", canonical, {"objecting": objecting}
    )
    return {"objecting": objecting, "since": at, "grants_withdrawn": withdrawn}


async def research_objection(session: AsyncSession, resident: Principal) -> datetime | None:
    """Since when the resident has objected to research, if they have."""
    canonical = await person_of(session, resident)
    return (await people_service.person(session, canonical)).research_objection_at


async def access_log(
    session: AsyncSession, resident: Principal, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    """Who read the resident's data, when, why and what: newest first."""
    canonical = await person_of(session, resident)
    return await consent_service.access_log_of(session, canonical, page)


async def export(session: AsyncSession, resident: Principal) -> dict[str, Any]:
    """Everything held about the resident as one JSON document (portability and subject access)."""
    canonical = await person_of(session, resident)
    person = await people_service.person(session, canonical)
    grants = await repo.grants_of(session, None, canonical)
    receipt_rows = await repo.receipts_of(session, [g.id for g in grants])
    organisations = await _organisations(session, canonical)
    names = {o["organisation_id"]: o["organisation"] for o in organisations}
    consents = []
    for g in grants:
        mine = [r for r in receipt_rows if r.grant_id == g.id]
        consents.append(
            {
                **consent_service.grant_view(g, [r.id for r in mine]),
                "organisation_id": g.org_id,
                "organisation": names.get(g.org_id),
                "receipts": [
                    {"id": r.id, "event": r.event, "receipt": r.receipt, "jws": r.jws} for r in mine
                ],
            }
        )
    log: list[dict[str, Any]] = []
    page = PageRequest(limit=500, after=None)
    while True:
        items, cursor = await consent_service.access_log_of(session, canonical, page)
        log.extend(items)
        if cursor is None:
            break
        page = PageRequest(limit=500, after=decode_cursor(cursor))
    return {
        "format": "kith-subject-access/1",
        "exported_at": datetime.now(UTC),
        "person": {
            "status": person.status,
            "registered_at": person.created_at,
            "research_objection_at": person.research_objection_at,
        },
        "profile": await _profile(session, canonical, names),
        "organisations": organisations,
        "consents": consents,
        "interactions": await _interactions(session, canonical, names),
        "rewards": await _rewards(session, canonical),
        "relationships": await _relationships(session, canonical, names),
        "access_log": log,
    }


async def _interactions(session: AsyncSession, canonical: uuid.UUID, names: dict) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT i.id, i.org_id, i.kind, i.occurred_at, i.channel, i.area_code, i.value_pence, i.duration_minutes, "
            "i.counterpart_org_id, i.attributes, i.external_id FROM interactions i "
            "WHERE i.person_id IN (SELECT id FROM people WHERE canonical_id = :p) ORDER BY i.occurred_at, i.id"
        ),
        {"p": canonical},
    )
    return [{**r._asdict(), "organisation": names.get(r.org_id)} for r in rows]


async def rewards(session: AsyncSession, resident: Principal) -> dict[str, Any]:
    """The resident's wallet (balance, available, pending) and every transfer in or out of it."""
    return await _rewards(session, await person_of(session, resident))


async def _rewards(session: AsyncSession, canonical: uuid.UUID) -> dict[str, Any]:
    """The wallet's balances and every transfer in or out of it."""
    wallet = await session.scalar(
        text("SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND person_id = :p"), {"p": canonical}
    )
    if wallet is None:
        return {"wallet": None, "transfers": []}
    account = ledger_service.account_view(await ledger_service.account(session, wallet, platform=True))
    rows = await session.execute(
        text(
            "SELECT t.id, t.code, t.phase, t.amount, t.credit_account_id = :w AS incoming, t.created_at, "
            "o.name AS organisation, t.metadata ->> 'description' AS description, "
            "CAST(t.metadata ->> 'hours' AS numeric) AS hours FROM ledger_transfers t "
            "LEFT JOIN organisations o ON o.id = t.org_id "
            "WHERE t.debit_account_id = :w OR t.credit_account_id = :w ORDER BY t.created_at, t.id"
        ),
        {"w": wallet},
    )
    # Who moved the credits (the organisation that earned or took them), what for (a shop's
    # description of the purchase), and the hours volunteered: the history reads as what happened.
    return {
        "wallet": {k: account[k] for k in ("balance", "available", "debits_pending", "closed_at")},
        "transfers": [r._asdict() for r in rows],
    }


async def _relationships(session: AsyncSession, canonical: uuid.UUID, names: dict) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT r.id, r.org_id, r.kind, r.type, r.organisation_id, r.started_on, r.ended_on, "
            "(r.other_person_id IS NOT NULL) AS with_another_person FROM relationships r "
            "WHERE r.person_id IN (SELECT id FROM people WHERE canonical_id = :p) "
            "OR r.other_person_id IN (SELECT id FROM people WHERE canonical_id = :p) ORDER BY r.created_at, r.id"
        ),
        {"p": canonical},
    )
    return [{**r._asdict(), "recorded_by": names.get(r.org_id)} for r in rows]


async def erase(session: AsyncSession, resident: Principal) -> dict[str, Any]:
    """Erase the resident: identifying attributes and contact points deleted (every record of the
    person, the decisions that resolved them and what matching kept of them), grants withdrawn,
    the person kept only as an erased id so that past aggregates do not change, and every linked
    organisation told (``person.erased``, in its own id). Ids remain; values do not."""
    canonical = await person_of(session, resident)
    people_ids = await people_service.ids_of(session, canonical)
    their_ids = await repo.org_person_ids(session, canonical)
    withdrawn = 0
    for g in await repo.active_grants(session, canonical):
        await consent_service.withdraw(session, resident, g)
        withdrawn += 1
    returned = await rewards_service.close_wallet(session, resident, canonical)
    await rewards_cards.forget_codes(session, people_ids)
    # Free text about the person goes with them, each by its owner: what organisations wrote on
    # their interactions and relationships and as consent evidence, receipts (kept as id and
    # hash), and every sign-in code, mail and notice for their addresses. Ids and the facts
    # aggregates count stay.
    emails = await identity_service.emails_of(session, people_ids)
    await consent_service.redact_for_erasure(session, canonical)
    await mail_service.forget_addresses(session, emails)
    if emails:  # the portal's sign-in codes (the portal sits above this package: it cannot be asked)
        await session.execute(text("DELETE FROM portal_codes WHERE email = ANY(:emails)"), {"emails": emails})
    # Answers kept for Idempotency-Keys that name the person (every organisation's id for them).
    await idempotency.forget_subjects(session, await identity_service.org_person_ids_of(session, canonical))
    deleted = await identity_service.forget_records(session, people_ids)
    # Interactions and person↔organisation relationships stay, so that published aggregates do not
    # change, but belong from now on to an erased id linked to no one; person↔person ones go.
    ghost = await identity_service.new_ghost(session)
    await interactions_service.forget_person(session, people_ids, ghost)
    await relationships_service.forget_person(session, people_ids, ghost)
    await identity_service.mark_erased(session, people_ids)
    await events.record_events(
        session, "person.erased", {org: {"person_id": str(their)} for org, their in their_ids.items()}
    )
    summary = {
        "records_deleted": deleted,
        "grants_withdrawn": withdrawn,
        "organisations_told": len(their_ids),
        "credits_returned": returned,
    }
    audit.record(session, resident, "person.erased", "person", canonical, summary)
    return summary
