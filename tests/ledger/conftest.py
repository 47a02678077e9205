"""Ledger fixtures: an organisation with a funded pool, accounts made through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from tests.factories import org_with_token

SCOPES = (
    "ledger:read ledger:write rewards:earn rewards:redeem people:read people:write consent:read consent:write"
)


@dataclass
class Funded:
    org_id: uuid.UUID
    headers: dict
    pool: str  # a pool of the organisation's, minted 1,000 credits
    other_pool: str  # a second, empty pool of the organisation's


@pytest.fixture
async def admin(platform):
    return await platform.admin_headers()


async def make_pool(client, headers, name="Volunteering") -> str:
    response = await client.post("/v1/rewards/pools", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def mint(client, admin, account_id, amount) -> dict:
    response = await client.post(
        "/v1/admin/ledger/mint",
        json={"id": str(uuid.uuid4()), "account_id": account_id, "amount": amount},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def funded(client, platform, admin) -> Funded:
    org_id, headers = await org_with_token(platform, SCOPES)
    pool = await make_pool(client, headers)
    await mint(client, admin, pool, 1000)
    return Funded(org_id, headers, pool, await make_pool(client, headers, "Second"))


async def balance(client, headers, account_id) -> dict:
    response = await client.get(f"/v1/ledger/accounts/{account_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()
