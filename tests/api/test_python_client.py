"""The typed Python client (clients/python, generated from openapi/openapi.json): it covers every
operation of the document, and an integrator's first steps work through it against the live app
(its async calls over the app's own ASGI transport)."""

from __future__ import annotations

import json
import re
import sys
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "clients" / "python"))  # as `pip install ./clients/python` would

from kith_client import AuthenticatedClient  # noqa: E402
from kith_client.api.people import get_person, register_person  # noqa: E402
from kith_client.models import PersonCreated, PersonIn, PersonOut, Problem  # noqa: E402

from tests.factories import org_with_token, unique_resident  # noqa: E402


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_every_operation_of_the_document_has_a_function():
    """A new endpoint without `clients/python/generate.sh` run again fails here."""
    document = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    generated = {p.stem for p in (ROOT / "clients" / "python" / "kith_client" / "api").rglob("*.py")}
    operations = {
        _snake(op["operationId"])
        for path in document["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert operations - generated == set()


async def test_register_and_read_a_person_through_the_client(app, client):
    from tests.factories import Platform

    _, headers = await org_with_token(Platform(app, client), "people:read people:write")
    token = headers["Authorization"].removeprefix("Bearer ")
    kith = AuthenticatedClient(
        base_url="http://testserver", token=token, httpx_args={"transport": httpx.ASGITransport(app=app)}
    )
    body = unique_resident(phone=None)
    async with kith:
        made = await register_person.asyncio_detailed(
            client=kith, body=PersonIn.from_dict(body), idempotency_key=str(uuid.uuid4())
        )
        assert made.status_code == 201 and isinstance(made.parsed, PersonCreated)
        person = await get_person.asyncio(made.parsed.person_id, client=kith, purpose="service_delivery")
        assert isinstance(person, PersonOut)
        assert person.attributes.additional_properties["family_name"].value == body["family_name"]
        refused = await get_person.asyncio(made.parsed.person_id, client=kith, purpose="no_such_purpose")
        assert isinstance(refused, Problem) and refused.status == 422
