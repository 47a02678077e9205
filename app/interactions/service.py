"""Interactions: logging contacts with residents (one, or ten thousand in one bulk write) and the
consented timeline.

A batch is validated in one pass, then written by a single statement: the items go in as arrays,
are joined to the caller's own person ids (so an organisation can log only for people linked to
it), and inserted with ``ON CONFLICT DO NOTHING`` on the organisation's ``external_id`` — replays,
and the same id twice in one batch, are counted as duplicates and never stored twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.consent import access as consent_access
from app.core.batch import BatchTooLarge, MalformedBatch, parse_batch
from app.core.errors import ValidationFailed
from app.core.pagination import PageRequest, encode_cursor
from app.core.schemas import nul_check_context
from app.db.session import Database, driver_connection, platform_scope
from app.identity import repository as identity_repo
from app.identity import service as identity_service
from app.interactions.schemas import InteractionBatchItem, InteractionIn
from app.webhooks import service as events

MAX_BATCH = 10_000
FUTURE_TOLERANCE = timedelta(minutes=5)
_ITEMS = TypeAdapter(list[InteractionBatchItem])


_COLUMNS = (
    "kind",
    "occurred_at",
    "channel",
    "area_code",
    "value_pence",
    "duration_minutes",
    "counterpart_org_id",
    "attributes",
    "external_id",
)

# The caller's own ids for people, and who they are, leaving out anyone erased.
_LINKED = (
    "SELECT op.org_person_id, op.canonical_id FROM org_people op JOIN people p ON p.id = op.canonical_id "
    "WHERE op.org_person_id = ANY($1::uuid[]) AND op.org_id = $2 AND p.status <> 'erased'"
)

# One statement for the whole batch, straight from arrays; replays of an external_id (earlier, or
# earlier in this batch) insert nothing and are told apart by the ids that come back.
_INSERT = """
INSERT INTO interactions (id, org_id, person_id, kind, occurred_at, channel, area_code, value_pence,
                          duration_minutes, counterpart_org_id, attributes, external_id)
SELECT t.id, $1, t.person_id, t.kind, t.occurred_at, t.channel, t.area_code, t.value_pence, t.duration_minutes,
       t.counterpart_org_id, t.attributes::jsonb, t.external_id
  FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::int8[],
              $9::int4[], $10::uuid[], $11::text[], $12::text[])
    AS t(id, person_id, kind, occurred_at, channel, area_code, value_pence, duration_minutes, counterpart_org_id,
         attributes, external_id)
ON CONFLICT (org_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
RETURNING id
"""


def _errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "item", "message": e["msg"]} for e in exc.errors()
    ]


def validate(items: list[Any]) -> tuple[list[tuple[int, InteractionIn]], list[dict[str, Any]]]:
    """(index, item) for the valid items and {index, errors} for the others, in one pass when all
    are valid (the common case) and item by item otherwise."""
    try:
        valid = list(enumerate(_ITEMS.validate_python(items)))
        rejected: list[dict[str, Any]] = []
    except ValidationError:
        valid, rejected = [], []
        for index, item in enumerate(items):
            try:
                valid.append((index, InteractionBatchItem.model_validate(item)))
            except ValidationError as exc:
                rejected.append({"index": index, "errors": _errors(exc)})
    return _not_future(valid, rejected)


async def _unknown_counterparts(
    session: AsyncSession, valid: list[tuple[int, InteractionIn]]
) -> set[uuid.UUID]:
    wanted = {item.counterpart_org_id for _, item in valid if item.counterpart_org_id}
    if not wanted:
        return set()
    async with platform_scope(session):
        rows = await session.execute(
            text("SELECT id FROM organisations WHERE id = ANY(CAST(:ids AS uuid[]))"), {"ids": list(wanted)}
        )
    return wanted - set(rows.scalars())


async def log(
    session: AsyncSession, principal: Principal, items: list[Any]
) -> tuple[dict[str, Any], dict[int, uuid.UUID]]:
    """Store the valid items (up to 10,000); each bad one is reported by index. The summary
    (accepted, duplicates, rejected) and the id given to each item that was stored now."""
    if len(items) > MAX_BATCH:
        raise BatchTooLarge(f"A batch holds at most {MAX_BATCH:,} interactions; this one has {len(items):,}.")
    valid, rejected = validate(items)
    return await _store(session, principal, valid, rejected)


async def log_json(
    session: AsyncSession, principal: Principal, body: bytes, *, ndjson: bool = False
) -> tuple[dict[str, Any], dict[int, uuid.UUID]]:
    """:func:`log` for a request body as it came (a JSON array, or NDJSON): when every item is
    valid — the common case — it is validated straight from the bytes, without building Python
    objects for the JSON first."""
    raw = b"[" + b",".join(line for line in body.splitlines() if line.strip()) + b"]" if ndjson else body
    try:
        models = _ITEMS.validate_json(raw, context=nul_check_context(raw))
    except ValidationError:
        return await log(session, principal, parse_batch(body, ndjson=ndjson, max_items=MAX_BATCH))
    if not models:
        raise MalformedBatch("The batch is empty.")
    if len(models) > MAX_BATCH:
        raise BatchTooLarge(
            f"A batch holds at most {MAX_BATCH:,} interactions; this one has {len(models):,}."
        )
    return await _store(session, principal, *_not_future(list(enumerate(models)), []))


def _not_future(
    valid: list[tuple[int, InteractionIn]], rejected: list[dict[str, Any]]
) -> tuple[list[tuple[int, InteractionIn]], list[dict[str, Any]]]:
    latest = datetime.now(UTC) + FUTURE_TOLERANCE
    future = {i for i, item in valid if item.occurred_at > latest}
    if future:
        rejected = rejected + [
            {"index": i, "errors": [{"field": "occurred_at", "message": "must not be in the future"}]}
            for i in sorted(future)
        ]
        valid = [(i, item) for i, item in valid if i not in future]
    return valid, rejected


async def _store(
    session: AsyncSession,
    principal: Principal,
    valid: list[tuple[int, InteractionIn]],
    rejected: list[dict[str, Any]],
) -> tuple[dict[str, Any], dict[int, uuid.UUID]]:
    unknown = await _unknown_counterparts(session, valid)
    if unknown:
        rejected += [
            {"index": i, "errors": [{"field": "counterpart_org_id", "message": "no such organisation"}]}
            for i, item in valid
            if item.counterpart_org_id in unknown
        ]
        valid = [(i, item) for i, item in valid if item.counterpart_org_id not in unknown]
    stored: dict[int, uuid.UUID] = {}
    persons: set[uuid.UUID] = set()
    duplicates = 0
    if valid:
        connection = await driver_connection(session)
        # Generic plans (which asyncpg's prepared statements get after five runs) guess ten rows for
        # an array; the real sizes must shape the plans every time.
        await connection.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        linked = dict(
            await connection.fetch(_LINKED, list({item.person_id for _, item in valid}), principal.org_id)
        )
        unlinked = [i for i, item in valid if item.person_id not in linked]
        rejected += [
            {
                "index": i,
                "errors": [
                    {"field": "person_id", "message": "no person with this id is linked to the organisation"}
                ],
            }
            for i in unlinked
        ]
        if unlinked:
            valid = [(i, item) for i, item in valid if item.person_id in linked]
        ids = [uuid.uuid4() for _ in valid]
        columns: dict[str, list] = {c: [] for c in _COLUMNS}
        for _, item in valid:
            for c in _COLUMNS:
                columns[c].append(getattr(item, c))
        columns["attributes"] = [
            None if a is None else orjson.dumps(a).decode() for a in columns["attributes"]
        ]
        people = [linked[item.person_id] for _, item in valid]
        inserted = {
            r[0]
            for r in await connection.fetch(
                _INSERT, principal.org_id, ids, people, *(columns[c] for c in _COLUMNS)
            )
        }
        for (index, _), interaction_id, person in zip(valid, ids, people, strict=True):
            if interaction_id in inserted:
                stored[index] = interaction_id
                persons.add(person)
            else:
                duplicates += 1
    summary = {
        "accepted": len(stored),
        "duplicates": duplicates,
        "rejected": sorted(rejected, key=lambda r: r["index"]),
    }
    if stored:
        await _tell_organisations(
            session, principal, list(persons), [(stored[i], item) for i, item in valid if i in stored]
        )
        audit.record(
            session,
            principal,
            "interactions.logged",
            "interactions",
            None,
            {"accepted": summary["accepted"], "duplicates": summary["duplicates"], "rejected": len(rejected)},
        )
    return summary, stored


async def _tell_organisations(
    session: AsyncSession,
    principal: Principal,
    persons: list[uuid.UUID],
    stored: list[tuple[uuid.UUID, InteractionIn]],
) -> None:
    """``interaction.created`` for each other organisation the person lets see their interactions
    (looked up once for the whole batch; usually there is none)."""
    async with platform_scope(session):
        rows = await session.execute(
            text(
                "SELECT DISTINCT own.org_person_id AS ours, g.org_id, op.org_person_id AS theirs "
                "FROM org_people own JOIN org_people op ON op.canonical_id = own.canonical_id "
                "JOIN consent_grants g ON g.org_person_id = op.org_person_id "
                "WHERE own.org_id = :org AND own.canonical_id = ANY(CAST(:persons AS uuid[])) "
                f"AND {consent_access.ACTIVE_GRANT} AND 'interactions' = ANY(g.categories) AND g.org_id <> :org"
            ),
            {"org": principal.org_id, "persons": persons},
        )
        receivers = rows.all()
    if not receivers:
        return
    ours_to_theirs: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]] = defaultdict(list)
    for ours, org, theirs in receivers:
        ours_to_theirs[ours].append((org, theirs))
    queued = [
        (
            org,
            {
                "interaction_id": str(interaction_id),
                "person_id": str(theirs),
                "kind": item.kind,
                "occurred_at": item.occurred_at.isoformat(),
                "organisation_id": str(principal.org_id),
            },
        )
        for interaction_id, item in stored
        for org, theirs in ours_to_theirs.get(item.person_id, ())
    ]
    await events.record_many(session, "interaction.created", queued)


async def log_one(
    session: AsyncSession, principal: Principal, item: InteractionIn
) -> tuple[dict[str, Any], bool]:
    """Log one interaction: (the interaction, True) when stored now, (the original, False) on a
    replay of its external_id."""
    summary, stored = await _store(session, principal, *_not_future([(0, item)], []))
    if summary["rejected"]:
        errors = summary["rejected"][0]["errors"]
        if errors[0]["field"] == "person_id":
            raise identity_service.PersonNotFound(f"No person {item.person_id}.")
        raise ValidationFailed(f"Invalid: {', '.join(e['field'] for e in errors)}.", errors=errors)
    if stored:
        return await _one(session, principal, stored[0]), True
    original = await session.scalar(
        text("SELECT id FROM interactions WHERE org_id = :org AND external_id = :ext"),
        {"org": principal.org_id, "ext": item.external_id},
    )
    return await _one(session, principal, original), False


async def _one(session: AsyncSession, principal: Principal, interaction_id: uuid.UUID) -> dict[str, Any]:
    row = (
        (
            await session.execute(
                text(
                    "SELECT i.*, p.canonical_id FROM interactions i JOIN people p ON p.id = i.person_id "
                    "WHERE i.id = :id AND i.org_id = :org"
                ),
                {"id": interaction_id, "org": principal.org_id},
            )
        )
        .mappings()
        .one()
    )
    ids = await identity_repo.org_ids_for(session, principal.org_id, [row["canonical_id"]])  # type: ignore[arg-type]
    return {**{k: row[k] for k in ("id", "created_at", *_COLUMNS)}, "person_id": ids[row["canonical_id"]]}


async def timeline(
    db: Database, principal: Principal, org_person_id: uuid.UUID, purpose: str, page: PageRequest
) -> bytes:
    """The person's interactions, newest first, as the JSON of a ``Timeline``: the caller's own,
    and other organisations' where the person granted it ``interactions`` for ``purpose``. With
    no grant at all for the purpose, 403. The read is access-logged, in the same statement
    (:func:`consent_access.timeline_read`)."""
    before = page.position(datetime.fromisoformat, uuid.UUID)
    read = await consent_access.timeline_read(db, principal, org_person_id, purpose, before, page.limit)
    # The items are written by the statement in the documented shape; the page is put round them.
    head = orjson.dumps({"person_id": org_person_id, "purpose": purpose})[:-1]
    cursor = encode_cursor(read.last) if read.last is not None else None
    return b'%s,"items":%s,"next_cursor":%s}' % (head, read.items.encode(), orjson.dumps(cursor))


async def forget_person(session: AsyncSession, people_ids: list[uuid.UUID], ghost: uuid.UUID) -> None:
    """At erasure (platform scope): what organisations wrote on the person's interactions goes, and
    the interactions themselves stay — so that published aggregates do not change — belonging from
    now on to ``ghost``, an erased id linked to no one."""
    ids = {"ids": people_ids, "ghost": ghost}
    await session.execute(
        text(
            "UPDATE interactions SET attributes = '{}'::jsonb "
            "WHERE person_id = ANY(CAST(:ids AS uuid[])) AND attributes <> '{}'::jsonb"
        ),
        ids,
    )
    await session.execute(
        text("UPDATE interactions SET person_id = :ghost WHERE person_id = ANY(CAST(:ids AS uuid[]))"), ids
    )
