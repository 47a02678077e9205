"""Every domain's router, mounted under /v1."""

from __future__ import annotations

from fastapi import APIRouter

from app.identity.endpoints import router as identity_router
from app.organisations.endpoints import router as organisations_router
from app.people.endpoints import router as people_router

v1 = APIRouter(prefix="/v1")
v1.include_router(organisations_router)
v1.include_router(people_router)
v1.include_router(identity_router)
