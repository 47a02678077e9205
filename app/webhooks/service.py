"""Webhooks: events recorded in the outbox with the change they describe, and the subscriptions
they are delivered to (delivery itself: ``delivery.py``)."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any, get_args

import orjson
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import NotFound
from app.core.pagination import PageRequest, make_page
from app.db.session import platform_scope
from app.webhooks import targets
from app.webhooks.models import WebhookSubscription
from app.webhooks.schemas import EventType

EVENT_TYPES = get_args(EventType)

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


class SubscriptionNotFound(NotFound):
    code = "webhook_not_found"


def _view(row: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "events": list(row.events),
        "created_at": row.created_at,
        "disabled_at": row.disabled_at,
        "disabled_reason": row.disabled_reason,
    }


async def subscribe(
    session: AsyncSession, principal: Principal, url: str, event_types: list[str], *, allow_internal: bool
) -> dict[str, Any]:
    """A new subscription of the caller's; its signing secret is in the answer, and only there."""
    await targets.check(url, allow_internal=allow_internal)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    row = WebhookSubscription(
        id=uuid.uuid4(), org_id=principal.org_id, url=url, events=sorted(set(event_types)), secret=secret
    )
    session.add(row)
    await session.flush()
    await session.refresh(row, ["created_at"])
    audit.record(
        session, principal, "webhook.subscribed", "webhook_subscription", row.id, {"events": row.events}
    )
    return {**_view(row), "secret": secret}


async def subscriptions(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.org_id == principal.org_id)
        .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    )
    return [_view(r) for r in rows]


async def _own(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> WebhookSubscription:
    row = await session.get(WebhookSubscription, subscription_id)
    if row is None or row.org_id != principal.org_id:
        raise SubscriptionNotFound(f"No webhook subscription {subscription_id}.")
    return row


async def unsubscribe(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> None:
    """Stop a subscription: nothing more is sent to it, and pending deliveries are cancelled."""
    row = await _own(session, principal, subscription_id)
    if row.disabled_at is None:
        row.disabled_at = datetime.now(UTC)
        row.disabled_reason = "deleted by the subscriber"
        await session.execute(
            text(
                "UPDATE webhook_deliveries SET status = 'cancelled' WHERE subscription_id = :id AND status = 'pending'"
            ),
            {"id": row.id},
        )
        audit.record(session, principal, "webhook.unsubscribed", "webhook_subscription", row.id)


async def deliveries(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    """The subscription's deliveries, newest first, with how each is going."""
    await _own(session, principal, subscription_id)
    before = page.position(datetime.fromisoformat, uuid.UUID)
    rows = await session.execute(
        text(
            "SELECT id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_error, "
            "delivered_at, created_at FROM webhook_deliveries WHERE subscription_id = :sub "
            "AND (CAST(:at AS timestamptz) IS NULL OR (created_at, id) < (:at, :id)) "
            "ORDER BY created_at DESC, id DESC LIMIT :limit"
        ),
        {
            "sub": subscription_id,
            "at": before[0] if before else None,
            "id": before[1] if before else uuid.UUID(int=0),
            "limit": page.limit + 1,
        },
    )
    items, next_cursor = make_page(
        [dict(r._mapping) for r in rows], page.limit, lambda d: (d["created_at"], d["id"])
    )
    return items, next_cursor
