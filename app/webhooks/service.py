"""Recording events for webhooks. Delivery (subscriptions, signing, retries) builds on this outbox."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import platform_scope

EVENT_TYPES = (
    "person.updated",
    "person.merged",
    "person.erased",
    "consent.granted",
    "consent.withdrawn",
    "interaction.created",
    "rewards.earned",
    "rewards.redeemed",
)

_INSERT = text(
    "INSERT INTO outbox_events (event_id, org_id, event_type, payload) "
    "SELECT gen_random_uuid(), o, :event_type, p::jsonb FROM unnest(CAST(:orgs AS uuid[]), CAST(:payloads AS text[])) AS t(o, p)"
)


async def record_events(
    session: AsyncSession, event_type: str, payloads: dict[uuid.UUID, dict[str, Any]]
) -> None:
    """Queue one event per receiving organisation, in the caller's transaction (so it exists
    exactly when the change does). Payloads carry ids and field names, never personal values."""
    await record_many(session, event_type, list(payloads.items()))


async def record_many(
    session: AsyncSession, event_type: str, events: list[tuple[uuid.UUID, dict[str, Any]]]
) -> None:
    """Queue events given as (receiving organisation, payload), several per organisation if need be.
    The receivers are often other organisations than the caller, whose outbox rows its own
    context may not write: the insert runs in the platform scope."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type}")
    if not events:
        return
    async with platform_scope(session):
        await session.execute(
            _INSERT,
            {
                "event_type": event_type,
                "orgs": [org for org, _ in events],
                "payloads": [orjson.dumps(p, default=str).decode() for _, p in events],
            },
        )
