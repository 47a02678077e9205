"""Seeding a neighbourhood straight into the tables with COPY, as their owner: what years of
registrations would have left behind, made in seconds rather than through the API."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from app.bench import synthetic
from app.identity.normalise import normalise
from app.identity.submissions import match_columns
from app.people.schemas import PersonIn

ASSERTED_AT = "2025-06-01T09:00:00+00:00"
# Rows seeded are dated when their claims were asserted, as years of registrations would have left
# them: not as changes of the last few minutes for the indicator roll-up to re-derive.
_SEEDED_AT = datetime.fromisoformat(ASSERTED_AT)
_MATCH_COLUMNS = list(match_columns({}).keys())


def attributes_of(record: synthetic.SyntheticRecord) -> dict[str, Any]:
    """The record's attributes as the API would have normalised them."""
    body = PersonIn.model_validate(record.as_payload())
    attributes, _errors, _dropped = normalise(
        body.model_dump(exclude={"verified", "external_ref"}, exclude_none=True)
    )
    return attributes.values


@dataclass(frozen=True)
class Holding:
    """One organisation's record of a person: which attributes it holds of them, under what ref."""

    org_id: uuid.UUID
    sector: str
    external_ref: str
    attributes: dict[str, Any]


async def copy_people(
    conn: asyncpg.Connection,
    people: Sequence[Sequence[Holding]],
    on_progress: Callable[[int], None] | None = None,
    chunk: int = 50_000,
) -> list[list[uuid.UUID]]:
    """One person per entry of ``people``, held by each of its organisations (an ``org_people`` id
    and a ``person_records`` row each). Returns, per person, the organisations' ids for them in the
    order given."""
    ids: list[list[uuid.UUID]] = []
    for start in range(0, len(people), chunk):
        persons, links, records, matches = [], [], [], []
        for holdings in people[start : start + chunk]:
            pid = uuid.uuid4()
            persons.append((pid, pid, "active", _SEEDED_AT, _SEEDED_AT))
            own = []
            for h in holdings:
                org_person_id = uuid.uuid4()
                own.append(org_person_id)
                links.append((org_person_id, h.org_id, pid, pid))
                claims = {
                    a: {"value": v, "verified": False, "asserted_at": ASSERTED_AT}
                    for a, v in h.attributes.items()
                }
                record_id, columns = uuid.uuid4(), list(match_columns(claims).values())
                records.append(
                    (
                        record_id,
                        pid,
                        h.org_id,
                        h.external_ref,
                        h.sector,
                        orjson.dumps(claims, default=str).decode(),
                        _SEEDED_AT,
                        _SEEDED_AT,
                        *columns,
                    )
                )
                matches.append((record_id, h.org_id, pid, *columns))
            ids.append(own)
        await conn.copy_records_to_table(
            "people", records=persons, columns=["id", "canonical_id", "status", "created_at", "changed_at"]
        )
        await conn.copy_records_to_table(
            "org_people", records=links, columns=["org_person_id", "org_id", "person_id", "canonical_id"]
        )
        await conn.copy_records_to_table(
            "person_records",
            records=records,
            columns=[
                "id",
                "person_id",
                "org_id",
                "external_ref",
                "source_sector",
                "claims",
                "created_at",
                "updated_at",
                *_MATCH_COLUMNS,
            ],
        )
        await conn.copy_records_to_table(
            "person_match", records=matches, columns=["record_id", "org_id", "canonical_id", *_MATCH_COLUMNS]
        )
        if on_progress is not None:
            on_progress(len(ids))
    await conn.execute("ANALYZE people, org_people, person_records, person_match")
    await checkpoint(conn)
    return ids


async def checkpoint(conn: asyncpg.Connection) -> None:
    """Write out what seeding dirtied, so that the measurements after it do not pay for that
    (CHECKPOINT needs a superuser or pg_checkpoint; without either the seed is left to the next one)."""
    try:
        await conn.execute("CHECKPOINT")
    except asyncpg.InsufficientPrivilegeError:
        pass


async def copy_grants(
    conn: asyncpg.Connection,
    org_id: uuid.UUID,
    org_person_ids: Sequence[uuid.UUID],
    purpose: str,
    categories: list[str],
) -> None:
    """A confirmed grant to ``org_id`` for ``purpose`` and ``categories`` from each of the people
    (the organisation's ids for them), as a trusted organisation records what residents told it:
    confirmed, since an unconfirmed grant opens nothing."""
    now = datetime.now(UTC)
    evidence = '{"kind": "written", "reference": "bench"}'
    grants = [
        (uuid.uuid4(), org_id, pid, purpose, categories, "recorded_by_org", evidence, "org:bench", now, now)
        for pid in org_person_ids
    ]
    columns = ["id", "org_id", "org_person_id", "purpose", "categories", "method", "evidence", "granted_by"]
    await conn.copy_records_to_table(
        "consent_grants", records=grants, columns=[*columns, "granted_at", "confirmed_at"]
    )
    await conn.execute("ANALYZE consent_grants")
