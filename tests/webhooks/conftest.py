"""Webhook fixtures: real HTTP receivers on loopback, the app as in development (webhooks may
target loopback), subscriptions, events, and a worker's deliveries driven by the tests."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.webhooks.delivery import Deliveries
from tests.conftest import make_settings, running_app
from tests.factories import Platform, org_with_token, unique_resident

SCOPES = "people:read people:write consent:read consent:write webhooks:manage"

# Fast retries; an attempt's deadline (and the lease outlasting it) short enough to wait out.
DEV_SETTINGS = dict(
    env="dev",
    webhook_retry_base_seconds=0.2,
    webhook_timeout_seconds=2,
    webhook_lease_seconds=3,
    webhook_poll_seconds=0.05,
)


@dataclass
class Receiver:
    """An HTTP server on loopback that records what it is sent and answers as told."""

    port: int
    received: list[tuple[dict, bytes]] = field(default_factory=list)
    answers: list[tuple[int, dict]] = field(default_factory=list)  # consumed in order; then 200
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set at each request
    hold: asyncio.Event | None = None  # when given, answers wait for it

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        status, headers = self.answers.pop(0) if self.answers else (200, {})
        return Response(status_code=status, headers=headers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def serving(r: Receiver) -> AsyncIterator[Receiver]:
    """``r`` served by uvicorn on loopback while the block runs."""
    app = Starlette(routes=[Route("/hook", r.handle, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=r.port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield r
    finally:
        if r.hold is not None:
            r.hold.set()
        server.should_exit = True
        await task


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serving(Receiver(free_port())) as r:
        yield r


@asynccontextmanager
async def dev_app_with(database_url, data_dir, **overrides):
    """The app as in development (webhooks may target loopback), with ``overrides``."""
    async with running_app(make_settings(database_url, data_dir, **(DEV_SETTINGS | overrides))) as app:
        yield app


@pytest.fixture
async def dev_app(database_url, data_dir):
    """The app as in development (webhooks may target loopback), with fast retries and short
    leases; its workers are driven by the tests."""
    async with dev_app_with(database_url, data_dir) as app:
        yield app


@asynccontextmanager
async def client_of(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def dev_client(dev_app) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(dev_app) as c:
        yield c


async def subscribed(dev_app, dev_client, url_or_receiver, events=("consent.granted", "consent.withdrawn")):
    url = url_or_receiver if isinstance(url_or_receiver, str) else url_or_receiver.url
    org_id, headers = await org_with_token(Platform(dev_app, dev_client), SCOPES)
    response = await dev_client.post(
        "/v1/webhooks", json={"url": url, "events": list(events)}, headers=headers
    )
    assert response.status_code == 201, response.text
    sub = response.json()
    person = (await dev_client.post("/v1/people", json=unique_resident(), headers=headers)).json()[
        "person_id"
    ]
    return org_id, headers, sub, person


async def grant(client, headers, person, purpose="rewards", **extra) -> dict:
    response = await client.post(
        f"/v1/people/{person}/consents",
        json={
            "purpose": purpose,
            "categories": ["rewards"] if purpose == "rewards" else ["contact"],
            "method": "recorded_by_org",
            "evidence": {"kind": "verbal", "reference": "at the desk"},
            **extra,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def events(client, headers, person, n: int) -> None:
    """``n`` consent.granted events for one person (grants for offers, each of its own expiry)."""
    for k in range(n):
        await grant(client, headers, person, "offers", expires_at=f"2030-01-{k + 1:02}T00:00:00Z")


def worker(app) -> Deliveries:
    return Deliveries(app.state.db, app.state.settings)


async def deliver(w: Deliveries) -> None:
    """One turn, its attempts waited out."""
    await w.turn()
    await w.settle()


async def drain(w: Deliveries, rounds: int = 40, until=lambda: False) -> None:
    for _ in range(rounds):
        await deliver(w)
        if until():
            return
        await asyncio.sleep(0.05)
