"""Consent receipts: the Kantara Initiative Consent Receipt v1.1 fields for each grant and each
withdrawal, signed as a compact JWS (ES256) with the platform key published at
/.well-known/jwks.json, so that a resident or an organisation can prove what was agreed; issued
with each grant and withdrawal, and read back by the organisation they were issued to."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from joserfc import jws
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.keys import SigningKey
from app.auth.principal import Principal
from app.consent import repository as repo
from app.consent.catalogue import CATEGORIES, PURPOSES
from app.consent.models import ConsentGrant, ConsentReceipt
from app.core.errors import NotFound


class ReceiptNotFound(NotFound):
    code = "receipt_not_found"


VERSION = "KI-CR-v1.1.0"
JURISDICTION = "GB"
COLLECTION_METHODS = {
    "portal": "The resident, signed in to the Kith consent portal",
    "card_presented": "The resident presented their Kith card to the organisation",
    "recorded_by_org": "Recorded by the organisation",
}


def build(
    *,
    receipt_id: uuid.UUID,
    event: str,
    at: datetime,
    grant: Any,
    organisation: Any,
    policy_url: str,
) -> dict[str, Any]:
    """The receipt for ``event`` (granted or withdrawn) of ``grant`` to ``organisation``."""
    method = COLLECTION_METHODS[grant.method]
    if grant.evidence:
        method += f" ({grant.evidence['kind']}, reference {grant.evidence['reference']})"
    return {
        "version": VERSION,
        "jurisdiction": JURISDICTION,
        "consentTimestamp": int(at.timestamp()),
        "collectionMethod": method,
        "consentReceiptID": str(receipt_id),
        "language": "en",
        "piiPrincipalId": str(grant.org_person_id),
        "piiControllers": [
            {
                "piiController": organisation.name,
                "onBehalf": False,
                "sector": organisation.sector,
            }
        ],
        "policyUrl": policy_url,
        "services": [
            {
                "service": "Kith shared local profile",
                "purposes": [
                    {
                        "purpose": PURPOSES[grant.purpose],
                        "purposeCategory": [grant.purpose],
                        "consentType": "EXPLICIT",
                        "piiCategory": [CATEGORIES[c] for c in grant.categories],
                        "primaryPurpose": True,
                        "termination": (
                            f"Until {grant.expires_at.isoformat()} or withdrawn"
                            if grant.expires_at
                            else "Until withdrawn"
                        ),
                        "thirdPartyDisclosure": True,
                        "thirdPartyName": "Organisations on Kith holding data about the resident",
                    }
                ],
            }
        ],
        "sensitive": False,
        "spiCat": [],
        # Kith's own fields: what happened, to which grant, in machine-readable terms.
        "kith": {
            "event": event,
            "consentId": str(grant.id),
            "organisationId": str(organisation.id),
            "purpose": grant.purpose,
            "categories": list(grant.categories),
            "method": grant.method,
            "grantedAt": grant.granted_at.isoformat(),
            "expiresAt": grant.expires_at.isoformat() if grant.expires_at else None,
            "withdrawnAt": grant.withdrawn_at.isoformat() if grant.withdrawn_at else None,
        },
    }


def sign(receipt: dict[str, Any], key: SigningKey) -> str:
    """The receipt as a compact JWS; its payload is the receipt's JSON."""
    header = {"alg": "ES256", "kid": key.kid, "typ": "JWT", "cty": "kantara-consent-receipt+json"}
    return jws.serialize_compact(header, orjson.dumps(receipt), key.key)


async def issue(session: AsyncSession, grant: ConsentGrant, event: str, at: datetime) -> ConsentReceipt:
    """The signed receipt for ``event`` of ``grant``, written."""
    organisation = await repo.organisation(session, grant.org_id)
    row = ConsentReceipt(**signed_columns(session, grant, event, at, organisation))
    session.add(row)
    await session.flush()
    return row


def signed_columns(
    session: AsyncSession, grant: ConsentGrant, event: str, at: datetime, organisation: Any
) -> dict[str, Any]:
    """A new receipt for ``event`` of ``grant``, signed: ConsentReceipt's columns."""
    receipt_id = uuid.uuid4()
    body = build(
        receipt_id=receipt_id,
        event=event,
        at=at,
        grant=grant,
        organisation=organisation,
        policy_url=session.info["settings"].policy_url,
    )
    return {
        "id": receipt_id,
        "grant_id": grant.id,
        "org_id": grant.org_id,
        "event": event,
        "receipt": body,
        "jws": sign(body, session.info["signing_key"]),
        "created_at": at,
    }


async def receipt(session: AsyncSession, principal: Principal, receipt_id: uuid.UUID) -> dict[str, Any]:
    """A receipt of the caller's own (row-level security hides everyone else's)."""
    row = await repo.receipt(session, receipt_id)
    if row is None or (principal.org_id is not None and row.org_id != principal.org_id):
        raise ReceiptNotFound(f"No consent receipt {receipt_id}.")
    return {
        "id": row.id,
        "consent_id": row.grant_id,
        "event": row.event,
        "receipt": row.receipt,
        "jws": row.jws,
    }
