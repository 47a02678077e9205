"""Console fixtures: the app as in development (codes go to the dev outbox, as for the portal), an
organisation with residents, and its staff signing in the way a browser does."""

from __future__ import annotations

import re
import uuid

import httpx

from app.auth.principal import Principal
from app.organisations import service as organisations
from tests.portal.conftest import csrf_of, platform, portal_app, web  # noqa: F401 (fixtures)


async def invite(app, org_id: uuid.UUID, role: str, email: str | None = None) -> tuple[uuid.UUID, str]:
    """Invite a staff member as the platform operator would (``kith staff invite``)."""
    email = email or f"staff.{uuid.uuid4().hex[:10]}@example.org"
    async with app.state.db.session(platform=True) as session:
        staff = await organisations.invite_staff(
            session, Principal.operator(), org_id, email=email, role=role
        )
    return staff.id, email


async def last_console_code(client: httpx.AsyncClient, email: str) -> str | None:
    page = (await client.get("/dev/outbox")).text
    for block in page.split('<article class="card message">')[1:]:
        if f'<span class="to">{email}</span>' in block and "console sign-in code" in block:
            return re.search(r"console sign-in code: (\d{6})", block).group(1)
    return None


async def staff_sign_in(client: httpx.AsyncClient, email: str) -> httpx.Response:
    """Sign in as ``email`` in a fresh browser (cookies cleared first)."""
    client.cookies.clear()
    form = await client.get("/console/sign-in")
    sent = await client.post("/console/sign-in", data={"email": email, "csrf_token": csrf_of(form.text)})
    assert sent.status_code == 303, sent.text
    code = await last_console_code(client, email)
    assert code, f"no console code mailed to {email}"
    form = await client.get("/console/sign-in/code")
    return await client.post("/console/sign-in/code", data={"code": code, "csrf_token": csrf_of(form.text)})


async def post_form(client: httpx.AsyncClient, page: str, action: str, data: dict) -> httpx.Response:
    html = (await client.get(page)).text
    return await client.post(action, data={**data, "csrf_token": csrf_of(html)})
