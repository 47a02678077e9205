"""Merges and reviews: people the platform or a reviewer decided are one (merged, reversibly), or
not (kept apart), and the decisions held for reviewers' judgement."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import Conflict, NotFound
from app.db.session import platform_scope
from app.identity import repository as repo
from app.identity.errors import MergeRefused, PersonNotFound, ReviewNotFound
from app.webhooks import service as events


async def _canonical_active(session: AsyncSession, person_id: uuid.UUID) -> Any:
    row = (
        await session.execute(
            text("SELECT id, canonical_id, status, merged_into FROM people WHERE id = :id"), {"id": person_id}
        )
    ).first()
    if row is None:
        raise PersonNotFound(f"No person {person_id}.")
    return row


# After a merge or an unmerge has moved people to canonical person ``to``: their records' match
# rows follow them.
_MOVE_MATCHES = text(
    "UPDATE person_match m SET canonical_id = :to FROM person_records r "
    "WHERE m.record_id = r.id AND r.person_id IN (SELECT id FROM people WHERE canonical_id = :to) "
    "AND m.canonical_id <> :to"
)


async def merge(
    session: AsyncSession, principal: Principal, keep: uuid.UUID, merged: uuid.UUID, reason: str = "admin"
) -> uuid.UUID:
    """Merge person ``merged`` into ``keep`` (platform ids). Nothing moves: the merged person and
    everything merged into it point at ``keep``, so :func:`unmerge` can restore them exactly."""
    if keep == merged:
        raise MergeRefused("A person cannot be merged into itself.")
    a = await _canonical_active(session, keep)
    b = await _canonical_active(session, merged)
    for row in (a, b):
        if row.canonical_id != row.id:
            raise MergeRefused(f"Person {row.id} is already merged into {row.canonical_id}; merge that one.")
        if row.status == "erased":
            raise MergeRefused(f"Person {row.id} has been erased.")
    await session.execute(
        text("UPDATE people SET merged_into = :keep WHERE id = :merged"), {"keep": keep, "merged": merged}
    )
    await session.execute(
        text("UPDATE people SET canonical_id = :keep WHERE canonical_id = :merged"),
        {"keep": keep, "merged": merged},
    )
    await session.execute(
        text("UPDATE org_people SET canonical_id = :keep WHERE canonical_id = :merged"),
        {"keep": keep, "merged": merged},
    )
    await session.execute(_MOVE_MATCHES, {"to": keep})
    if a.status == "provisional" and b.status != "provisional":
        await session.execute(text("UPDATE people SET status = 'active' WHERE id = :keep"), {"keep": keep})
    merge_id = uuid.uuid4()
    await session.execute(
        text(
            "INSERT INTO person_merges (id, keep_id, merged_id, reason, actor) VALUES (:id, :keep, :merged, :reason, :actor)"
        ),
        {"id": merge_id, "keep": keep, "merged": merged, "reason": reason, "actor": principal.actor},
    )
    # Each organisation that knows either person hears of it, in its own ids.
    rows = await session.execute(
        text(
            "SELECT op.org_id, array_agg(op.org_person_id ORDER BY op.person_id = :keep DESC, op.created_at) "
            "FROM org_people op JOIN people p ON p.id = op.person_id WHERE op.canonical_id = :keep GROUP BY op.org_id"
        ),
        {"keep": keep},
    )
    # An automatic merge tells only an organisation that held ids for both people (its ids are
    # now one person's): to one that knew only one of them, the event would say that someone else
    # knows its person — what matching never answers (no oracle).
    await events.record_events(
        session,
        "person.merged",
        {
            org: {"person_id": str(ids[0]), "merged_person_ids": [str(i) for i in ids[1:]]}
            for org, ids in rows
            if reason != "automatic" or len(ids) > 1
        },
    )
    audit.record(
        session, principal, "person.merged", "person", keep, {"merged": str(merged), "reason": reason}
    )
    return merge_id


async def unmerge(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> uuid.UUID:
    """Undo the merge of ``person_id``: it and whatever had been merged into it stand apart again,
    with exactly the records and claims they had."""
    row = await _canonical_active(session, person_id)
    if row.merged_into is None:
        raise MergeRefused(f"Person {person_id} is not merged into anyone.")
    await session.execute(text("UPDATE people SET merged_into = NULL WHERE id = :id"), {"id": person_id})
    subtree = text(
        "WITH RECURSIVE t(id) AS (SELECT CAST(:id AS uuid) UNION ALL "
        "SELECT p.id FROM people p JOIN t ON p.merged_into = t.id) SELECT id FROM t"
    )
    ids = [r for (r,) in await session.execute(subtree, {"id": person_id})]
    await session.execute(
        text("UPDATE people SET canonical_id = :id WHERE id = ANY(CAST(:ids AS uuid[]))"),
        {"id": person_id, "ids": ids},
    )
    await session.execute(
        text("UPDATE org_people SET canonical_id = :id WHERE person_id = ANY(CAST(:ids AS uuid[]))"),
        {"id": person_id, "ids": ids},
    )
    await session.execute(_MOVE_MATCHES, {"to": person_id})
    await session.execute(
        text("UPDATE person_merges SET undone_at = now() WHERE merged_id = :id AND undone_at IS NULL"),
        {"id": person_id},
    )
    audit.record(session, principal, "person.unmerged", "person", person_id, {"from": str(row.merged_into)})
    return row.merged_into


async def pending_reviews(
    session: AsyncSession, limit: int, after: tuple | None, queue: str | None = None
) -> list[Any]:
    """Records held for review and merges proposed, oldest first; ``queue``: only the
    organisations' or the platform's.
    For the platform alone: a review names people of more than one organisation."""
    query = (
        "SELECT id, queue, method = 'merge_proposal' AS merge, org_id, person_id, candidate_id, score, "
        "explanation, created_at FROM identity_decisions WHERE status = 'review' AND review_outcome IS NULL"
    )
    params: dict[str, Any] = {"limit": limit + 1}
    if queue:
        query += " AND queue = :queue"
        params["queue"] = queue
    if after:
        query += " AND (created_at, id) > (:at, :id)"
        params.update(at=after[0], id=after[1])
    rows = await session.execute(text(query + " ORDER BY created_at, id LIMIT :limit"), params)
    return list(rows)


async def decide_review(
    session: AsyncSession, principal: Principal, decision_id: uuid.UUID, outcome: str
) -> Any:
    """Settle a review: ``match`` merges the provisional person into the candidate; ``distinct``
    makes it a person in its own right."""
    row = (
        await session.execute(
            text(
                "SELECT id, person_id, candidate_id, review_outcome FROM identity_decisions "
                "WHERE id = :id AND status = 'review' FOR UPDATE"
            ),
            {"id": decision_id},
        )
    ).first()
    if row is None:
        raise ReviewNotFound(f"No review {decision_id}.")
    if row.review_outcome is not None:
        if row.review_outcome == outcome:
            return row  # the same decision again: nothing more to do
        raise Conflict(
            f"Review {decision_id} was already decided: {row.review_outcome}.", code="review_decided"
        )
    person = await _canonical_active(session, row.person_id)
    if outcome == "match":
        candidate = await _canonical_active(session, row.candidate_id)
        if candidate.canonical_id != person.canonical_id:  # (merged since, by another decision)
            await merge(session, principal, candidate.canonical_id, person.canonical_id, reason="review")
    else:
        await session.execute(
            text("UPDATE people SET status = 'active' WHERE id = :id AND status = 'provisional'"),
            {"id": person.canonical_id},
        )
    await session.execute(
        text(
            "UPDATE identity_decisions SET review_outcome = :o, decided_by = :by, decided_at = now() WHERE id = :id"
        ),
        {"o": outcome, "by": principal.actor, "id": decision_id},
    )
    audit.record(
        session, principal, "identity.review_decided", "identity_decision", decision_id, {"outcome": outcome}
    )
    return row


async def explain(session: AsyncSession, decision_id: uuid.UUID) -> Any:
    """A decision with its per-attribute comparison levels and weights."""
    row = (
        await session.execute(
            text(
                "SELECT id, status, answered, method, score, explanation, person_id, candidate_id, review_outcome, "
                "created_at FROM identity_decisions WHERE id = :id"
            ),
            {"id": decision_id},
        )
    ).first()
    if row is None:
        raise NotFound(f"No identity decision {decision_id}.", code="decision_not_found")
    return row


# The organisation's own queue (SPEC §3): possible matches among its own records, for its
# caseworkers. identity_decisions is the platform's table (no organisation reads the decisions
# about others' records), so these read it in the platform scope, kept to the caller's own
# organisation and queue, and show only that organisation's own records of each side.
_CLAIM_OF = {
    "given": "given_name",
    "family": "family_name",
    "dob": "date_of_birth",
    "address": "address",
    "email": "email",
    "phone": "phone",
}


def _comparison(explanation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A decision's explanation, attribute by attribute as a reviewer reads it: the field, its
    comparison's level and its weight (None where it was not compared)."""
    explained = (explanation or {}).get("attributes", {})
    return [
        {
            "attribute": field,
            "level": (explained.get(a) or {}).get("level"),
            "weight": (explained.get(a) or {}).get("weight"),
        }
        for a, field in _CLAIM_OF.items()
    ]


async def organisation_queue(
    session: AsyncSession, principal: Principal, after: tuple | None = None, limit: int = 2
) -> list[dict[str, Any]]:
    """The oldest of the caller's organisation's pending reviews (after ``after``, the
    (created_at, id) of one skipped), each with both sides as the organisation recorded them:
    per attribute its value on each side, the comparison's level and weight, and the score."""
    org_id = principal.org_id
    async with platform_scope(session):
        query = (
            "SELECT id, person_id, candidate_id, score, explanation, created_at FROM identity_decisions "
            "WHERE org_id = :org AND queue = 'organisation' AND status = 'review' AND review_outcome IS NULL "
        )
        params: dict[str, Any] = {"org": org_id, "limit": limit}
        if after is not None:
            query += "AND (created_at, id) > (:at, :id) "
            params.update(at=after[0], id=after[1])
        rows = (await session.execute(text(query + "ORDER BY created_at, id LIMIT :limit"), params)).all()
        out = []
        for row in rows:
            sides = [await _organisations_side(session, org_id, p) for p in (row.person_id, row.candidate_id)]
            out.append(
                {
                    "id": row.id,
                    "created_at": row.created_at,
                    "score": row.score,
                    "sides": [{"person_id": s[0]} for s in sides],
                    "attributes": [
                        {**c, "values": [s[1].get(c["attribute"]) for s in sides]}
                        for c in _comparison(row.explanation)
                    ],
                }
            )
    return out


async def _organisations_side(
    session: AsyncSession, org_id: uuid.UUID | None, person_id: uuid.UUID
) -> tuple[uuid.UUID | None, dict[str, Any]]:
    """One side of a review as the organisation holds it: its own id for the person, and the values
    of its latest record of them. In the platform scope."""
    row = (
        await session.execute(
            text(
                "SELECT op.org_person_id, r.claims FROM people p "
                "LEFT JOIN org_people op ON op.canonical_id = p.canonical_id AND op.org_id = :org "
                "LEFT JOIN LATERAL (SELECT claims FROM person_records WHERE org_id = :org AND person_id IN "
                "(SELECT id FROM people WHERE canonical_id = p.canonical_id) ORDER BY updated_at DESC LIMIT 1) r "
                "ON true WHERE p.id = :p ORDER BY op.created_at LIMIT 1"
            ),
            {"org": org_id, "p": person_id},
        )
    ).first()
    if row is None:
        return None, {}
    claims = row.claims or {}
    return row.org_person_id, {k: (v or {}).get("value") for k, v in claims.items()}


async def decide_for_organisation(
    session: AsyncSession, principal: Principal, review_id: uuid.UUID, outcome: str
) -> str:
    """A caseworker settles one of their organisation's own reviews (404 for any other review):
    ``match`` merges the two, ``distinct`` keeps them apart for good; recorded as the reviewer's
    label for the matcher's training, as the platform's decisions are. Answers ``decided``, or
    ``moved``: another organisation has since come to hold a record of, or an id for, either side,
    so the pair is the platform's reviewers' now (no organisation's word alone joins people
    another organisation knows) and nothing was decided."""
    async with platform_scope(session):
        row = (
            await session.execute(
                text(
                    "SELECT id, person_id, candidate_id FROM identity_decisions WHERE id = :id AND org_id = :org "
                    "AND queue = 'organisation' AND status = 'review' FOR UPDATE"
                ),
                {"id": review_id, "org": principal.org_id},
            )
        ).first()
        if row is None:
            raise ReviewNotFound(f"No review {review_id} in your organisation's queue.")
        sides = [await _canonical_active(session, p) for p in (row.person_id, row.candidate_id)]
        await session.execute(
            text("SELECT id FROM people WHERE id = ANY(CAST(:ids AS uuid[])) ORDER BY id FOR UPDATE"),
            {"ids": [s.canonical_id for s in sides]},
        )
        if await repo.others_involved(
            session, sides[0].canonical_id, sides[1].canonical_id, principal.org_id
        ):
            await session.execute(
                text("UPDATE identity_decisions SET queue = 'platform' WHERE id = :id"), {"id": review_id}
            )
            audit.record(
                session,
                principal,
                "identity.review_moved",
                "identity_decision",
                review_id,
                {"to": "platform"},
            )
            return "moved"
        await decide_review(session, principal, review_id, outcome)
    return "decided"


# The platform's queue (SPEC §3): possible matches that involve more than one organisation, for the
# platform's own reviewers (staff role ``reviewer``, given only by the platform operator). Both
# sides are shown as every organisation recorded them: the decision is the platform's, not any
# one organisation's.
REVIEW_SCOPE = "identity:review"


def _reviewer(principal: Principal) -> None:
    if REVIEW_SCOPE not in principal.scopes:
        raise ReviewNotFound("Only the platform's reviewers see the platform's queue.")


async def platform_queue(
    session: AsyncSession, principal: Principal, after: tuple | None = None, limit: int = 2
) -> list[dict[str, Any]]:
    """The oldest pending reviews of the platform's queue (after ``after``), each side with every
    record organisations hold of it (the organisation's name and the values it recorded), and the
    comparison."""
    _reviewer(principal)
    async with platform_scope(session):
        query = (
            "SELECT id, person_id, candidate_id, score, explanation, created_at, method = 'merge_proposal' AS merge "
            "FROM identity_decisions WHERE queue = 'platform' AND status = 'review' AND review_outcome IS NULL "
        )
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            query += "AND (created_at, id) > (:at, :id) "
            params.update(at=after[0], id=after[1])
        rows = (await session.execute(text(query + "ORDER BY created_at, id LIMIT :limit"), params)).all()
        out = []
        for row in rows:
            sides = [await _records_of(session, p) for p in (row.person_id, row.candidate_id)]
            out.append(
                {
                    "id": row.id,
                    "created_at": row.created_at,
                    "score": row.score,
                    "merge": row.merge,
                    "people": (row.person_id, row.candidate_id),
                    "sides": sides,
                    "comparison": _comparison(row.explanation),
                }
            )
    return out


async def _records_of(session: AsyncSession, person_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every record held of the person (as they now are), each with its organisation's name (the
    resident, for their own) and its values. In the platform scope."""
    rows = (
        await session.execute(
            text(
                "SELECT coalesce(o.name, 'The resident') AS organisation, r.claims FROM person_records r "
                "LEFT JOIN organisations o ON o.id = r.org_id WHERE r.person_id IN (SELECT id FROM people WHERE "
                "canonical_id = (SELECT canonical_id FROM people WHERE id = :p)) ORDER BY r.created_at"
            ),
            {"p": person_id},
        )
    ).all()
    return [
        {
            "organisation": r.organisation,
            "values": {k: (v or {}).get("value") for k, v in (r.claims or {}).items()},
        }
        for r in rows
    ]


async def decide_for_platform(
    session: AsyncSession, principal: Principal, review_id: uuid.UUID, outcome: str
) -> None:
    """A platform reviewer settles a review of the platform's queue (404 for any other): ``match``
    merges the two, ``distinct`` keeps them apart for good; the reviewer's label, for training."""
    _reviewer(principal)
    async with platform_scope(session):
        queued = await session.scalar(
            text(
                "SELECT id FROM identity_decisions WHERE id = :id AND queue = 'platform' AND status = 'review'"
            ),
            {"id": review_id},
        )
        if queued is None:
            raise ReviewNotFound(f"No review {review_id} in the platform's queue.")
        await decide_review(session, principal, review_id, outcome)
