"""Relationships: person↔organisation, person↔person (recorded only with the consent of the
resident who told the organisation), organisation↔organisation.

People appear only through the reading organisation's own ids: a related person it has no id for
is shown as null. A relationship between two people that another organisation recorded is shown
only when both of them let the reader see their relationships (row-level security holds the same
rule), so a resident's grant never reveals whom else they know.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.consent import access as consent_access
from app.core.errors import ValidationFailed
from app.core.pagination import PageRequest, make_page
from app.db.session import platform_scope
from app.identity import repository as identity_repo
from app.identity import service as identity_service
from app.relationships.models import TYPES, Relationship
from app.relationships.schemas import RelationshipIn

KIND_OF = {t: kind for kind, types in TYPES.items() for t in types}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"Invalid: {field} ({message}).", errors=[{"field": field, "message": message}])


async def _person(session: AsyncSession, org_person_id: uuid.UUID | None, field: str) -> uuid.UUID:
    if org_person_id is None:
        raise _invalid(field, "required for this type of relationship")
    return await identity_service.person_of_org(session, org_person_id)


async def _organisation_exists(session: AsyncSession, org_id: uuid.UUID) -> bool:
    async with platform_scope(session):
        return bool(await session.scalar(text("SELECT 1 FROM organisations WHERE id = :id"), {"id": org_id}))


def _forbid(body: RelationshipIn, *fields: str) -> None:
    for field in fields:
        if getattr(body, field) is not None:
            raise _invalid(field, f"not used for a {KIND_OF[body.type].replace('_', '↔')} relationship")


async def record(session: AsyncSession, principal: Principal, body: RelationshipIn) -> dict[str, Any]:
    """Record a relationship the organisation knows of."""
    kind = KIND_OF[body.type]
    row = Relationship(
        id=uuid.uuid4(),
        org_id=principal.org_id,
        kind=kind,
        type=body.type,
        started_on=body.started_on,
        ended_on=body.ended_on,
    )
    if kind == "person_organisation":
        _forbid(body, "other_person_id", "other_organisation_id", "evidence")
        row.person_id = await _person(session, body.person_id, "person_id")
        row.organisation_id = body.organisation_id or principal.org_id
        if row.organisation_id != principal.org_id and not await _organisation_exists(
            session, row.organisation_id
        ):
            raise _invalid("organisation_id", "no such organisation")
    elif kind == "person_person":
        _forbid(body, "organisation_id", "other_organisation_id")
        if body.evidence is None:
            raise _invalid(
                "evidence", "a person-to-person relationship needs the resident's consent to record it"
            )
        row.person_id = await _person(session, body.person_id, "person_id")
        row.other_person_id = await _person(session, body.other_person_id, "other_person_id")
        if row.person_id == row.other_person_id:
            raise _invalid("other_person_id", "must be a different person")
        row.evidence = body.evidence.model_dump()
    else:
        _forbid(body, "person_id", "other_person_id", "evidence")
        if body.organisation_id not in (None, principal.org_id):
            raise _invalid("organisation_id", "an organisation records only its own relationships")
        if body.other_organisation_id is None:
            raise _invalid("other_organisation_id", "required for this type of relationship")
        if body.other_organisation_id == principal.org_id:
            raise _invalid("other_organisation_id", "must be another organisation")
        if not await _organisation_exists(session, body.other_organisation_id):
            raise _invalid("other_organisation_id", "no such organisation")
        row.organisation_id, row.other_organisation_id = principal.org_id, body.other_organisation_id
    session.add(row)
    await session.flush()
    await session.refresh(row, ["created_at"])
    audit.record(session, principal, "relationship.recorded", "relationship", row.id, {"type": body.type})
    [out] = await _views(session, principal, [row])
    return out


async def _views(session: AsyncSession, principal: Principal, rows: list[Any]) -> list[dict[str, Any]]:
    """Rows as the caller sees them: people only through its own ids (null where it has none)."""
    people = {p for r in rows for p in (r.person_id, r.other_person_id) if p}
    canonical: dict[uuid.UUID, uuid.UUID] = {}
    if people:
        async with platform_scope(session):
            found = await session.execute(
                text("SELECT id, canonical_id FROM people WHERE id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": list(people)},
            )
            canonical = dict(found.all())
    ids = await identity_repo.org_ids_for(session, principal.org_id, list(set(canonical.values())))  # type: ignore[arg-type]

    def mine(person: uuid.UUID | None) -> uuid.UUID | None:
        return ids.get(canonical.get(person)) if person else None  # type: ignore[arg-type]

    return [
        {
            "id": r.id,
            "kind": r.kind,
            "type": r.type,
            "person_id": mine(r.person_id),
            "other_person_id": mine(r.other_person_id),
            "organisation_id": r.organisation_id,
            "other_organisation_id": r.other_organisation_id,
            "started_on": r.started_on,
            "ended_on": r.ended_on,
            "recorded_by_you": r.org_id == principal.org_id,
            "created_at": r.created_at,
        }
        for r in rows
    ]


def _page_params(page: PageRequest) -> dict[str, Any]:
    after = page.position(datetime.fromisoformat, uuid.UUID)
    return {
        "at": after[0] if after else None,
        "id": after[1] if after else uuid.UUID(int=0),
        "limit": page.limit + 1,
    }


# The far end, from the person whose people are :ids, of a relationship between two people.
_FAR_END = "CASE WHEN r.person_id = ANY(CAST(:ids AS uuid[])) THEN r.other_person_id ELSE r.person_id END"


async def _third_persons_shown(
    session: AsyncSession, principal: Principal, ids: list[uuid.UUID], purpose: str
) -> list[uuid.UUID]:
    """The people at the far end of the person's relationships to other people that other
    organisations recorded, who let the caller see their relationships for ``purpose``: a
    relationship to a person is shown only under that person's own grant."""
    async with platform_scope(session):  # ids only, to ask each far end's grants
        rows = await session.execute(
            text(
                f"SELECT DISTINCT {_FAR_END} AS far, p.canonical_id FROM relationships r "  # noqa: S608 (a constant)
                f"JOIN people p ON p.id = {_FAR_END} WHERE r.kind = 'person_person' AND r.org_id <> :org "
                "AND (r.person_id = ANY(CAST(:ids AS uuid[])) OR r.other_person_id = ANY(CAST(:ids AS uuid[])))"
            ),
            {"ids": ids, "org": principal.org_id},
        )
        far_ends = rows.all()
    granting = await consent_access.people_granting(
        session, principal, {c for _, c in far_ends}, purpose, "relationships"
    )
    return [far for far, c in far_ends if c in granting]


async def of_person(
    session: AsyncSession, principal: Principal, org_person_id: uuid.UUID, purpose: str, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    """The person's relationships: those the caller recorded, and others' where the person granted
    it ``relationships`` for ``purpose`` — one to another person only where that person granted it
    too. The read is access-logged."""
    async with consent_access.consented_read(
        session, principal, org_person_id, purpose, "relationships", shows={"relationships"}
    ) as read:
        canonical, categories = read.person_id, read.categories
        ids = list(
            (
                await session.execute(text("SELECT id FROM people WHERE canonical_id = :p"), {"p": canonical})
            ).scalars()
        )
        others = "relationships" in categories
        shown = await _third_persons_shown(session, principal, ids, purpose) if others else []
        rows = await session.execute(
            text(
                "SELECT r.* FROM relationships r "  # noqa: S608 (a constant)
                "WHERE (r.person_id = ANY(CAST(:ids AS uuid[])) OR r.other_person_id = ANY(CAST(:ids AS uuid[]))) "
                "AND (r.org_id = :org OR (:others AND (r.other_person_id IS NULL "
                f"OR {_FAR_END} = ANY(CAST(:shown AS uuid[]))))) "
                "AND (CAST(:at AS timestamptz) IS NULL OR (r.created_at, r.id) > (:at, :id)) "
                "ORDER BY r.created_at, r.id LIMIT :limit"
            ),
            {"ids": ids, "org": principal.org_id, "others": others, "shown": shown, **_page_params(page)},
        )
        found, next_cursor = make_page(rows.all(), page.limit, lambda r: (r.created_at, r.id))
    return await _views(session, principal, found), next_cursor


async def of_organisation(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    """Relationships the caller recorded, and organisation↔organisation ones that involve it."""
    async with platform_scope(session):
        rows = await session.execute(
            text(
                "SELECT r.* FROM relationships r WHERE (r.org_id = :org OR (r.kind = 'organisation_organisation' "
                "AND :org IN (r.organisation_id, r.other_organisation_id))) "
                "AND (CAST(:at AS timestamptz) IS NULL OR (r.created_at, r.id) > (:at, :id)) "
                "ORDER BY r.created_at, r.id LIMIT :limit"
            ),
            {"org": principal.org_id, **_page_params(page)},
        )
        found, next_cursor = make_page(rows.all(), page.limit, lambda r: (r.created_at, r.id))
    return await _views(session, principal, found), next_cursor


async def forget_person(session: AsyncSession, people_ids: list[uuid.UUID], ghost: uuid.UUID) -> None:
    """At erasure (platform scope): the evidence written of the person's ties goes (its kind
    stays); ties between the person and another go; ties with organisations stay, so that published
    aggregates do not change, belonging from now on to ``ghost``, an erased id linked to no one."""
    ids = {"ids": people_ids, "ghost": ghost}
    await session.execute(
        text(
            "UPDATE relationships SET evidence = jsonb_build_object('kind', evidence->>'kind') "
            "WHERE (person_id = ANY(CAST(:ids AS uuid[])) OR other_person_id = ANY(CAST(:ids AS uuid[]))) "
            "AND evidence IS NOT NULL"
        ),
        ids,
    )
    await session.execute(
        text(
            "DELETE FROM relationships WHERE kind = 'person_person' AND (person_id = ANY(CAST(:ids AS uuid[])) "
            "OR other_person_id = ANY(CAST(:ids AS uuid[])))"
        ),
        ids,
    )
    await session.execute(
        text("UPDATE relationships SET person_id = :ghost WHERE person_id = ANY(CAST(:ids AS uuid[]))"), ids
    )
