"""Consent receipts: the Kantara Initiative Consent Receipt v1.1 fields for each grant and each
withdrawal, signed as a compact JWS (ES256) with the platform key published at
/.well-known/jwks.json, so that a resident or an organisation can prove what was agreed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from joserfc import jws

from app.auth.keys import SigningKey
from app.consent.catalogue import CATEGORIES, PURPOSES

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
