"""Portal fixtures: the app as in development (codes go to the dev outbox), and a resident signing
in the way a browser does (forms, cookies, CSRF tokens)."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.conftest import make_settings, running_app
from tests.factories import Platform, org_with_token, unique_resident

BASE = "https://testserver"  # portal cookies are Secure: a browser sends them over HTTPS (or to localhost)
ORG_SCOPES = "people:read people:write consent:read consent:write interactions:read"


@pytest.fixture(scope="module")
async def portal_app(database_url, data_dir):
    settings = make_settings(
        database_url, data_dir, env="dev", public_url=BASE, portal_address_limit="100000/hour"
    )
    async with running_app(settings) as app:
        yield app


@pytest.fixture
async def web(portal_app) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client: keeps cookies, does not follow redirects on its own."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=portal_app), base_url=BASE) as c:
        yield c


@asynccontextmanager
async def portal_client(database_url, data_dir, **settings) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of an app of its own, made with these settings."""
    async with (
        running_app(make_settings(database_url, data_dir, **settings)) as app,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client,
    ):
        yield client


@asynccontextmanager
async def portal_app_client(database_url, data_dir, **settings) -> AsyncIterator[tuple]:
    """:func:`portal_client`, with the app it talks to."""
    async with (
        running_app(make_settings(database_url, data_dir, **settings)) as app,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client,
    ):
        yield app, client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def serving(settings, port: int) -> AsyncIterator[None]:
    """Kith with ``settings``, served by uvicorn on 127.0.0.1:``port`` until the block ends: what a
    browser test drives."""
    import asyncio

    import uvicorn

    from app.main import create_app

    instance = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(instance.serve())
    while not instance.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        instance.should_exit = True
        await task


@pytest.fixture
def platform(portal_app, web) -> Platform:
    return Platform(portal_app, web)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def last_code(client: httpx.AsyncClient, email: str) -> str:
    """The code in the newest message to ``email`` on the dev outbox page."""
    page = (await client.get("/dev/outbox")).text
    for block in page.split('<article class="card message">')[1:]:
        if f'<span class="to">{email}</span>' in block:
            return re.search(r"sign-in code: (\d{6})", block).group(1)
    raise AssertionError(f"no message to {email}")


async def ask_code(client: httpx.AsyncClient, email: str) -> httpx.Response:
    form = await client.get("/portal/sign-in")
    return await client.post("/portal/sign-in", data={"email": email, "csrf_token": csrf_of(form.text)})


async def enter_code(client: httpx.AsyncClient, code: str) -> httpx.Response:
    form = await client.get("/portal/sign-in/code")
    return await client.post("/portal/sign-in/code", data={"code": code, "csrf_token": csrf_of(form.text)})


async def sign_in(client: httpx.AsyncClient, email: str) -> httpx.Response:
    """Sign in with the code from the outbox; the response is the redirect after it."""
    sent = await ask_code(client, email)
    assert sent.status_code == 303, sent.text
    signed_in = await enter_code(client, await last_code(client, email))
    assert signed_in.status_code == 303, signed_in.text
    return signed_in


async def post_form(client: httpx.AsyncClient, page: str, action: str, data: dict) -> httpx.Response:
    """Submit a form the way a browser does: with the CSRF token of the page it is on."""
    html = (await client.get(page)).text
    return await client.post(action, data={**data, "csrf_token": csrf_of(html)})


async def known_resident(platform: Platform, client: httpx.AsyncClient, **overrides):
    """An organisation holding a record of a resident whose email it verified: (org id, org headers,
    the org's person id, the resident's email)."""
    org_id, headers = await org_with_token(platform, ORG_SCOPES)
    # No phone: six random digits can meet another test's resident in the shared database, and a
    # phone, given name and postcode in common are enough for a match.
    body = unique_resident(verified=["email"], **({"phone": None} | overrides))
    response = await client.post("/v1/people", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return org_id, headers, response.json()["person_id"], body["email"]
