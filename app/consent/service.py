"""Consent decides what one organisation may see of what others hold about a person.

Every read of person data goes through :func:`visible_categories`. Grants (person × organisation ×
purpose × categories) are recorded through the consent API; until a person has granted an
organisation anything, that organisation sees only what it asserted itself.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent.catalogue import PURPOSES
from app.core.errors import ValidationFailed


class UnknownPurpose(ValidationFailed):
    code = "unknown_purpose"


def require_purpose(purpose: str) -> str:
    """The purpose, or a 422 naming the known ones."""
    if purpose not in PURPOSES:
        raise UnknownPurpose(
            f"Unknown purpose '{purpose}'; one of: {', '.join(PURPOSES)}.",
            errors=[{"field": "purpose", "message": "unknown purpose"}],
        )
    return purpose


async def visible_categories(
    session: AsyncSession, principal: Principal, person_canonical_id: uuid.UUID, purpose: str
) -> frozenset[str]:
    """The data categories of *other* organisations' data about the person that the caller may see
    for ``purpose``. No grant table exists yet, so no person has granted anything: empty."""
    require_purpose(purpose)
    return frozenset()
