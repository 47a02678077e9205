"""Webhook subscriptions and their deliveries."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response

from app.auth.deps import Context, tenant
from app.core.pagination import PageRequest, page_request
from app.webhooks import service
from app.webhooks.schemas import DeliveryList, SubscriptionCreated, SubscriptionIn, SubscriptionList

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("", response_model=SubscriptionCreated, status_code=201, operation_id="createWebhook")
async def create_webhook(body: SubscriptionIn, request: Request, ctx: Context = tenant("webhooks:manage")):
    """Subscribe a URL to events; the signing secret is shown once."""
    allow_internal = request.app.state.settings.env == "dev"
    return await service.subscribe(
        ctx.session, ctx.principal, body.url, list(body.events), allow_internal=allow_internal
    )


@router.get("", response_model=SubscriptionList, operation_id="listWebhooks")
async def list_webhooks(ctx: Context = tenant("webhooks:manage")):
    """The organisation's subscriptions (without their secrets)."""
    return SubscriptionList(items=await service.subscriptions(ctx.session, ctx.principal))


@router.delete("/{webhook_id}", status_code=204, operation_id="deleteWebhook")
async def delete_webhook(webhook_id: uuid.UUID, ctx: Context = tenant("webhooks:manage")):
    """Stop a subscription; pending deliveries are cancelled."""
    await service.unsubscribe(ctx.session, ctx.principal, webhook_id)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList, operation_id="listWebhookDeliveries")
async def list_deliveries(
    webhook_id: uuid.UUID, page: PageRequest = Depends(page_request), ctx: Context = tenant("webhooks:manage")
):
    """The subscription's deliveries, newest first: status, attempts, last response."""
    items, next_cursor = await service.deliveries(ctx.session, ctx.principal, webhook_id, page)
    return DeliveryList(items=items, next_cursor=next_cursor)
