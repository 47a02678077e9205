"""Response bodies for the platform's answers to residents' written requests: the access log, erasure."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.core.schemas import ResponseModel


class AccessLogOut(ResponseModel):
    organisation_id: uuid.UUID
    organisation: str
    client_id: str | None
    purpose: str
    categories: list[str]
    action: str
    read_at: datetime


class AccessLogPage(ResponseModel):
    items: list[AccessLogOut]
    next_cursor: str | None = None


class ErasureOut(ResponseModel):
    records_deleted: int
    grants_withdrawn: int
    organisations_told: int
