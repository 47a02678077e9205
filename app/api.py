"""Every domain's router, mounted under /v1."""

from __future__ import annotations

from fastapi import APIRouter

from app.organisations.endpoints import router as organisations_router

v1 = APIRouter(prefix="/v1")
v1.include_router(organisations_router)
