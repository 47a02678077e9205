"""Merges and reviews: people the platform or a reviewer decided are one (merged, reversibly), or
not (kept apart), and the decisions held for reviewers' judgement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import Conflict, NotFound
from app.db.session import platform_scope
from app.identity import repository as repo
from app.identity.errors import MergeRefused, PersonNotFound, ReviewNotFound
from app.mail.repository import THEIR_EMAIL
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
    session: AsyncSession,
    principal: Principal,
    keep: uuid.UUID,
    merged: uuid.UUID,
    reason: str = "admin",
    org_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Merge person ``merged`` into ``keep`` (platform ids). Nothing moves: the merged person and
    everything merged into it point at ``keep``, so :func:`unmerge` can restore them exactly.
    ``org_id``: the organisation on whose word alone it is made (which may then undo it at once)."""
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
            "INSERT INTO person_merges (id, keep_id, merged_id, reason, actor, org_id) "
            "VALUES (:id, :keep, :merged, :reason, :actor, :org)"
        ),
        {
            "id": merge_id,
            "keep": keep,
            "merged": merged,
            "reason": reason,
            "actor": principal.actor,
            "org": org_id,
        },
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


async def unmerge(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, reason: str | None = None
) -> uuid.UUID:
    """Undo the merge of ``person_id``: it and whatever had been merged into it stand apart again,
    with exactly the records and claims they had. ``reason``: why, kept with the merge."""
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
        text(
            "UPDATE person_merges SET undone_at = now(), undo_reason = :reason, undone_by = :actor "
            "WHERE merged_id = :id AND undone_at IS NULL"
        ),
        {"id": person_id, "reason": reason, "actor": principal.actor},
    )
    audit.record(
        session,
        principal,
        "person.unmerged",
        "person",
        person_id,
        {"from": str(row.merged_into), **({"reason": reason} if reason else {})},
    )
    return row.merged_into


async def pending_reviews(
    session: AsyncSession, limit: int, after: tuple | None, queue: str | None = None
) -> list[Any]:
    """Records held for review and merges proposed, oldest first; ``queue``: only the
    organisations' or the platform's.
    For the platform alone: a review names people of more than one organisation."""
    query = (
        "SELECT id, queue, method = 'merge_proposal' AS merge, method = 'unmerge' AS unmerge, org_id, person_id, "
        "candidate_id, score, "
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
    session: AsyncSession,
    principal: Principal,
    decision_id: uuid.UUID,
    outcome: str,
    org_id: uuid.UUID | None = None,
) -> Any:
    """Settle a review: ``match`` merges the provisional person into the candidate; ``distinct``
    makes it a person in its own right. For a request to undo a merge: ``distinct`` undoes it,
    ``match`` leaves it made. ``org_id``: as :func:`merge` records it."""
    row = (
        await session.execute(
            text(
                "SELECT id, person_id, candidate_id, review_outcome, method, explanation FROM identity_decisions "
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
    if row.method == "unmerge":
        if outcome == "distinct":
            await _undo_requested(session, principal, row)
    elif outcome == "match":
        candidate = await _canonical_active(session, row.candidate_id)
        if candidate.canonical_id != person.canonical_id:  # (merged since, by another decision)
            await merge(session, principal, candidate.canonical_id, person.canonical_id, "review", org_id)
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
        await decide_review(session, principal, review_id, outcome, org_id=principal.org_id)
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
            "SELECT d.id, d.person_id, d.candidate_id, d.score, d.explanation, d.created_at, "
            "d.method = 'merge_proposal' AS merge, d.method = 'unmerge' AS unmerge, o.name AS asked_by "
            "FROM identity_decisions d LEFT JOIN organisations o ON o.id = d.org_id AND d.method = 'unmerge' "
            "WHERE d.queue = 'platform' AND d.status = 'review' AND d.review_outcome IS NULL "
        )
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            query += "AND (d.created_at, d.id) > (:at, :id) "
            params.update(at=after[0], id=after[1])
        rows = (await session.execute(text(query + "ORDER BY d.created_at, d.id LIMIT :limit"), params)).all()
        out = []
        for row in rows:
            if row.unmerge:  # one person now: the part merged in, and the rest
                sides = [await _records_of(session, row.person_id, part) for part in (True, False)]
            else:
                sides = [await _records_of(session, p) for p in (row.person_id, row.candidate_id)]
            out.append(
                {
                    "id": row.id,
                    "created_at": row.created_at,
                    "score": row.score,
                    "merge": row.merge,
                    "unmerge": row.unmerge,
                    "asked_by": row.asked_by,
                    "reason": (row.explanation or {}).get("reason") if row.unmerge else None,
                    "resident_says": (row.explanation or {}).get("resident_says"),
                    "resident_record": (row.explanation or {}).get("resident_record"),
                    "people": (row.person_id, row.candidate_id),
                    "sides": sides,
                    "comparison": _comparison(row.explanation),
                }
            )
    return out


# Person :p and everyone merged into it, directly or not: what undoing its merge sets apart.
_SUBTREE = (
    "WITH RECURSIVE sub(id) AS (SELECT CAST(:p AS uuid) UNION ALL "
    "SELECT x.id FROM people x JOIN sub ON x.merged_into = sub.id) "
)


async def _records_of(
    session: AsyncSession, person_id: uuid.UUID, part: bool | None = None
) -> list[dict[str, Any]]:
    """Every record held of the person (as they now are), each with its organisation's name (the
    resident, for their own) and its values. ``part``: only those of ``person_id`` and whoever was
    merged into it (True), or only the rest of the person it is merged into (False). In the
    platform scope."""
    query = (
        _SUBTREE  # noqa: S608 (constants)
        + "SELECT coalesce(o.name, 'The resident') AS organisation, r.claims FROM person_records r "
        "LEFT JOIN organisations o ON o.id = r.org_id WHERE r.person_id IN (SELECT id FROM people WHERE "
        "canonical_id = (SELECT canonical_id FROM people WHERE id = :p)) "
    )
    if part is not None:
        query += f"AND r.person_id {'IN' if part else 'NOT IN'} (SELECT id FROM sub) "  # noqa: S608 (constants)
    rows = (await session.execute(text(query + "ORDER BY r.created_at"), {"p": person_id})).all()
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


# Undoing a merge (SPEC §12: "unmerge with a reason"). Splitting a person never widens anyone's
# access — each part keeps only its own grants, over its own records — but it changes what
# every organisation that knows either part sees. So a caseworker undoes at once only a merge made
# on their own organisation's word alone (its caseworker's decision, or an automatic merge of its
# own records); any other becomes a request in the platform's queue. Which of the two it is depends
# only on who made the merge, never on who else knows the person now, so the answer tells the
# organisation nothing it did not know.
class MergeNotFound(NotFound):
    code = "merge_not_found"


# Whether the organisation :org has asked the platform to undo merge {merge} and awaits the answer.
_ASKED = (
    "EXISTS (SELECT 1 FROM identity_decisions d WHERE d.method = 'unmerge' AND d.review_outcome IS NULL "
    "AND d.org_id = :org AND d.explanation ->> 'merge_id' = {merge})"
)
_KNOWN_MERGES = text(
    "WITH RECURSIVE grp AS (SELECT id, merged_into FROM people WHERE canonical_id = :c), "  # noqa: S608 (constants)
    "m AS (SELECT id, merged_id, keep_id, reason, org_id, created_at FROM person_merges "
    "  WHERE undone_at IS NULL AND merged_id IN (SELECT id FROM grp)), "
    "sub(merge_id, id) AS (SELECT id, merged_id FROM m UNION ALL "
    "  SELECT sub.merge_id, g.id FROM grp g JOIN sub ON g.merged_into = sub.id), "
    "ids AS (SELECT person_id, org_person_id FROM org_people WHERE org_id = :org AND canonical_id = :c) "
    "SELECT m.id, m.merged_id, m.keep_id, m.reason, m.created_at, coalesce(m.org_id = :org, false) AS own, "
    "  ARRAY(SELECT org_person_id FROM ids WHERE person_id IN (SELECT id FROM sub WHERE merge_id = m.id) "
    "    ORDER BY org_person_id) AS merged_ids, "
    "  ARRAY(SELECT org_person_id FROM ids WHERE person_id NOT IN (SELECT id FROM sub WHERE merge_id = m.id) "
    "    ORDER BY org_person_id) AS kept_ids, "
    f"  {_ASKED.format(merge='m.id::text')} AS requested "
    "FROM m ORDER BY m.created_at, m.id"
)


async def merges_known_to(
    session: AsyncSession, org_id: uuid.UUID | None, canonical: uuid.UUID
) -> list[dict[str, Any]]:
    """The merges in force within person ``canonical`` that joined people the organisation held
    ids for on both sides — the merges it was told of (``person.merged``) — each with its ids on
    each side, whether it may undo it at once (``own``) and whether an undo awaits the platform's
    reviewers. Merges that joined its person to people only others knew are never listed: that
    would tell it that someone else knows them. In the platform scope."""
    async with platform_scope(session):
        rows = (await session.execute(_KNOWN_MERGES, {"c": canonical, "org": org_id})).mappings().all()
    return [dict(r) for r in rows if r["merged_ids"] and r["kept_ids"]]


async def _record_of_part(
    session: AsyncSession, merged: uuid.UUID, org_id: uuid.UUID | None
) -> uuid.UUID | None:
    """A record of ``merged`` or whoever was merged into it (the organisation's own first): what an
    undo's decision row names; None where none is left (only ids, or erased)."""
    return await session.scalar(
        text(
            _SUBTREE  # noqa: S608 (a constant)
            + "SELECT r.id FROM person_records r WHERE r.person_id IN (SELECT id FROM sub) "
            "ORDER BY r.org_id IS NOT DISTINCT FROM :org DESC, r.created_at LIMIT 1"
        ),
        {"p": merged, "org": org_id},
    )


async def undo_for_organisation(
    session: AsyncSession, principal: Principal, canonical: uuid.UUID, merge_id: uuid.UUID, reason: str
) -> str:
    """A caseworker undoes merge ``merge_id`` of their organisation's person ``canonical``, saying
    why: ``separated`` (a merge of the organisation's own word: undone now, and kept as "different
    people" so that it is never made again automatically) or ``requested`` (put to the platform's
    reviewers, once; a second request is the same request). 404 for a merge the organisation was
    not told of."""
    org = principal.org_id
    known = {m["id"]: m for m in await merges_known_to(session, org, canonical)}
    if merge_id not in known:
        raise MergeNotFound(f"No merge {merge_id} of this person's records.")
    found = known[merge_id]
    async with platform_scope(session):
        still = await session.scalar(
            text("SELECT id FROM person_merges WHERE id = :id AND undone_at IS NULL FOR UPDATE"),
            {"id": merge_id},
        )
        if still is None:
            return "separated"  # undone since, by someone else: what was asked is done
        if not found["own"]:
            # Asked once per organisation: looked at again under the merge row's lock, which orders
            # two asks at once (the unique index would refuse the second).
            asked = await session.scalar(
                text(f"SELECT {_ASKED.format(merge=':merge')}"),
                {"org": org, "merge": str(merge_id)},
            )
            if not asked:
                await _insert_undo(session, principal, found, reason, decided=False)
            return "requested"
        await unmerge(session, principal, found["merged_id"], reason)
        await _insert_undo(session, principal, found, reason, decided=True)
    return "separated"


async def _insert_undo(
    session: AsyncSession, principal: Principal, found: dict[str, Any], reason: str, decided: bool
) -> None:
    """The decision row of an undo: the request in the platform's queue, or (``decided``) the
    organisation's own "different people" between the two parts."""
    decision_id = uuid.uuid4()
    await session.execute(
        text(
            "INSERT INTO identity_decisions (id, org_id, record_id, person_id, candidate_id, status, queue, "
            "method, explanation, review_outcome, decided_by, decided_at) VALUES (:id, :org, :record, :merged, "
            ":keep, 'review', :queue, 'unmerge', CAST(:explanation AS jsonb), :outcome, :by, :at)"
        ),
        {
            "id": decision_id,
            "org": principal.org_id,
            "record": await _record_of_part(session, found["merged_id"], principal.org_id),
            "merged": found["merged_id"],
            "keep": found["keep_id"],
            "queue": "organisation" if decided else "platform",
            "explanation": orjson.dumps({"reason": reason, "merge_id": str(found["id"])}).decode(),
            "outcome": "distinct" if decided else None,
            "by": principal.actor if decided else None,
            "at": datetime.now(UTC) if decided else None,
        },
    )
    audit.record(
        session,
        principal,
        "identity.unmerge_requested" if not decided else "identity.unmerged",
        "identity_decision",
        decision_id,
        {"merge": str(found["id"]), "reason": reason},
    )


async def _undo_requested(session: AsyncSession, principal: Principal, row: Any) -> None:
    """The platform's reviewer agreed to a requested undo: the merge is undone, if still made."""
    asked = row.explanation or {}
    merged = await session.scalar(
        text("SELECT merged_id FROM person_merges WHERE id = :id AND undone_at IS NULL FOR UPDATE"),
        {"id": asked.get("merge_id")},
    )
    if merged is not None:
        await unmerge(session, principal, merged, asked.get("reason"))
    # Other organisations' requests to undo the same merge are answered by it.
    await session.execute(
        text(
            "UPDATE identity_decisions SET review_outcome = 'distinct', decided_by = :by, decided_at = now() "
            "WHERE method = 'unmerge' AND review_outcome IS NULL AND id <> :id "
            "AND explanation ->> 'merge_id' = :merge"
        ),
        {"by": principal.actor, "id": row.id, "merge": asked.get("merge_id")},
    )


# The resident's "is this you?" (SPEC §3): a possible match across organisations that involves the
# signed-in resident. Anyone can register in the portal under any name and birthday, proving only
# an email address, so the question is put only where the other record holds that address as
# theirs by the rule sign-in uses (``THEIR_EMAIL``: verified by an organisation trusted to verify
# identity) — a record the resident could already choose to sign in as, so asking tells them
# nothing new; otherwise it would tell a stranger that some organisation knows someone of that
# name and birthday, on a partner's word. Even then the other record may be wrong, so the resident
# is shown nothing of it but the kind of organisation holding it and which of their details it
# agrees with. "No" keeps the two apart for good (it is the resident's word about their own
# record); "yes" is their evidence, put before the platform's reviewers, who merge: an email
# address proven is not a person proven, and a merge would show the resident everything the other
# record holds.
_QUESTIONS = text(
    "WITH mine AS (SELECT id FROM people WHERE canonical_id = :c), "  # noqa: S608 (a fixed rule)
    "q AS (SELECT d.id, d.explanation, d.created_at, "
    "  CASE WHEN d.person_id IN (SELECT id FROM mine) THEN d.candidate_id ELSE d.person_id END AS other "
    "  FROM identity_decisions d WHERE d.queue = 'platform' AND d.status = 'review' AND d.review_outcome IS NULL "
    "  AND d.method <> 'unmerge' AND d.explanation -> 'resident_says' IS NULL "
    "  AND (d.person_id IN (SELECT id FROM mine) OR d.candidate_id IN (SELECT id FROM mine))) "
    "SELECT q.id, q.explanation, q.created_at, s.sectors, s.holder FROM q CROSS JOIN LATERAL ("
    "  SELECT array_agg(DISTINCT o.sector ORDER BY o.sector) FILTER (WHERE o.sector IS NOT NULL) AS sectors, "
    "  bool_or(r.org_id IS NULL) AS resident_own, bool_or(p.canonical_id = :c) AS same, "
    # the organisation whose record holds the address as theirs (the first, if several)
    "  (array_agg(o.name ORDER BY r.created_at) FILTER (WHERE lower(r.claims #>> '{email,value}') = :email "
    f"    AND {THEIR_EMAIL}))[1] AS holder "
    "  FROM people p JOIN person_records r ON r.person_id = p.id LEFT JOIN organisations o ON o.id = r.org_id "
    "  WHERE p.canonical_id = (SELECT canonical_id FROM people WHERE id = q.other)) s "
    "WHERE NOT coalesce(s.resident_own, true) AND NOT coalesce(s.same, true) AND s.holder IS NOT NULL "
    "ORDER BY q.created_at, q.id"
)


def _agreement(level: str | None, weight: float | None) -> str:
    """How one of the other record's details compares with the resident's, in words."""
    if level is None or weight is None:
        return "missing"
    if level in ("exact", "uprn"):
        return "same"
    return "close" if weight > 0 else "different"


async def questions_for_resident(
    session: AsyncSession, canonical: uuid.UUID, email: str
) -> list[dict[str, Any]]:
    """The open possible matches across organisations between resident ``canonical`` (signed in
    with ``email`` proven) and records held by organisations only, one of which carries that
    address: each with the sectors holding the other record and, per detail, whether it is the
    same as theirs, close, different or missing. In the platform scope."""
    async with platform_scope(session):
        rows = (await session.execute(_QUESTIONS, {"c": canonical, "email": email.lower()})).all()
    return [
        {
            "id": row.id,
            "created_at": row.created_at,
            "sectors": list(row.sectors),
            "holder": row.holder,
            "details": [
                {"attribute": c["attribute"], "agreement": _agreement(c["level"], c["weight"])}
                for c in _comparison(row.explanation)
            ],
        }
        for row in rows
    ]


async def decide_for_resident(
    session: AsyncSession,
    principal: Principal,
    canonical: uuid.UUID,
    email: str,
    review_id: uuid.UUID,
    answer: str,
) -> None:
    """The resident answers "is this you?": ``no`` keeps the two apart for good (a label, as a
    reviewer's); ``yes`` is kept on the review for the platform's reviewers to see, who decide.
    404 for a question not put to them (as :func:`questions_for_resident` puts them)."""
    asked = {q["id"]: q for q in await questions_for_resident(session, canonical, email)}
    if answer not in ("yes", "no") or review_id not in asked:
        raise ReviewNotFound(f"No question {review_id} for you.")
    async with platform_scope(session):
        if answer == "no":
            await decide_review(session, principal, review_id, "distinct")
            return
        said = await session.scalar(
            text(
                "UPDATE identity_decisions SET explanation = coalesce(explanation, '{}'::jsonb) || "
                "jsonb_build_object('resident_says', 'yes', 'resident_said_at', now(), 'resident_record', "
                "CAST(:holder AS text)) WHERE id = :id AND review_outcome IS NULL RETURNING id"
            ),
            {"id": review_id, "holder": asked[review_id]["holder"]},
        )
        if said is None:  # decided meanwhile by a reviewer
            raise ReviewNotFound(f"No question {review_id} for you.")
        audit.record(session, principal, "identity.resident_said_yes", "identity_decision", review_id, {})
