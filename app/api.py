"""Every domain's router, mounted under /v1."""

from __future__ import annotations

from fastapi import APIRouter

from app.consent.endpoints import router as consent_router
from app.identity.endpoints import router as identity_router
from app.indicators.endpoints import router as indicators_router
from app.interactions.endpoints import reads as interactions_reads_router
from app.interactions.endpoints import router as interactions_router
from app.ledger.endpoints import admin as ledger_admin_router
from app.ledger.endpoints import router as ledger_router
from app.ledger.endpoints import transfers as ledger_transfers_router
from app.organisations.endpoints import router as organisations_router
from app.people.endpoints import reads as people_reads_router
from app.people.endpoints import router as people_router
from app.relationships.endpoints import router as relationships_router
from app.rewards.endpoints import admin as rewards_admin_router
from app.rewards.endpoints import router as rewards_router
from app.rights.endpoints import admin as rights_admin_router
from app.webhooks.endpoints import router as webhooks_router

v1 = APIRouter(prefix="/v1")
# FastAPI matches a request against the routes in the order they were included, one by one, so the
# routers that carry the traffic come first: profile reads and registrations, ledger transfers,
# interaction batches, rewards at the till. Their paths do not overlap, so the order changes no
# route's meaning.
v1.include_router(people_router)
v1.include_router(people_reads_router)
v1.include_router(ledger_transfers_router)
v1.include_router(ledger_router)
v1.include_router(interactions_router)
v1.include_router(interactions_reads_router)
v1.include_router(rewards_router)
v1.include_router(consent_router)
v1.include_router(relationships_router)
v1.include_router(indicators_router)
v1.include_router(webhooks_router)
v1.include_router(organisations_router)
v1.include_router(identity_router)
v1.include_router(rights_admin_router)
v1.include_router(ledger_admin_router)
v1.include_router(rewards_admin_router)
