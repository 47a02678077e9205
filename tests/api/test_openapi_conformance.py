"""The OpenAPI document tells the truth: Schemathesis, against a live ``kith serve``, with a fixed
seed and 25 examples an operation (valid and invalid input), finds no server error and nothing
the document does not say — no undocumented status, content type, header or body, and no invalid
input accepted.

The token holds every scope, on a throwaway organisation of a database made for this module; the
destructive operations (disabling a client, erasing a person) are pointed at objects made to be
destroyed."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.auth.principal import SCOPES
from tests.conftest import _plain, fresh_database, make_settings, running_app
from tests.factories import Platform, unique_resident
from tests.ops.test_proxy_headers import kith_serve_process

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Where an operation destroys what it is given, it is given something made for it.
DESTRUCTIVE = {
    "POST /v1/admin/clients/{client_id}/disable": "client_id",
    "POST /v1/admin/people/{person_id}/erase": "person_id",
}


# Posts that read (a search, a card resolved, a token issued): they write nothing to audit.
READS_BY_POST = {"POST /v1/people/search", "POST /v1/cards/resolve", "POST /oauth/token"}


@dataclass(frozen=True)
class Live:
    base: str
    headers: dict[str, str]
    victims: dict[str, str]  # path parameter -> an object made to be destroyed
    database_url: str


@pytest.fixture(scope="module")
async def live(server_url, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("openapi-conformance")
    async with fresh_database(server_url) as url:
        async with running_app(make_settings(url, data_dir)) as app:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client:
                platform = Platform(app, client)
                org = await platform.make_org(kind="partnership")
                creds = await platform.make_client(org.id, list(SCOPES), admin=True)
                other = await platform.make_org()
                doomed_client = await platform.make_client(other.id, ["people:read"])
                own = {"Authorization": f"Bearer {await platform.token(creds)}"}
                doomed = await client.post("/v1/people", json=unique_resident(), headers=own)
                assert doomed.status_code == 201, doomed.text
        victims = {"client_id": doomed_client.client_id, "person_id": doomed.json()["person_id"]}
        limits = {"KITH_RATE_LIMIT": "1000000/minute", "KITH_TOKEN_RATE_LIMIT": "1000000/minute"}
        with kith_serve_process(url, data_dir, **limits) as (base, _proc):
            # The live server's own token (its issuer), as a client gets one.
            async with httpx.AsyncClient(base_url=base) as live_client:
                answer = await live_client.post(
                    "/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(creds.client_id, creds.client_secret),
                )
            assert answer.status_code == 200, answer.text
            headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            async with httpx.AsyncClient(base_url=base) as live_client:
                assert (await live_client.get("/v1/purposes", headers=headers)).status_code == 200
            yield Live(base, headers, victims, url)


def test_the_service_answers_as_its_openapi_says(live: Live):
    # Each operation in turn, with valid and then invalid input, every failure collected: the
    # report names them all at once. (Schemathesis's own pytest plugin does not run on pytest 9.)
    # Every write it makes that succeeds must be in the audit trail, by its request's id.
    schema = schemathesis.openapi.from_url(f"{live.base}/openapi.json")
    # A body past a documented limit (a batch's maxItems) is refused as too large: a rejection.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    failures: list[str] = []
    written: dict[str, str] = {}  # request id -> the write operation that answered 2xx
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @seed(20261207)
            @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case) -> None:
                # Run at once, below, within this iteration: the loop variable is the one meant.
                parameter = DESTRUCTIVE.get(operation.label)  # noqa: B023
                if parameter is not None and case.path_parameters:
                    case.path_parameters[parameter] = live.victims[parameter]
                response = case.call_and_validate(base_url=live.base, headers=live.headers, checks=CHECKS)
                label = operation.label  # noqa: B023
                if label.split()[0] != "GET" and label not in READS_BY_POST and _made_something(response):
                    written[response.headers["x-request-id"][0]] = label

            try:
                check()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # no input to make invalid
            except (Exception, BaseExceptionGroup) as exc:  # every failure is reported below
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
    audited = asyncio.run(_audited_requests(live.database_url, list(written)))
    unaudited = sorted({label for request, label in written.items() if request not in audited})
    assert written and not unaudited, f"writes that left no audit entry: {unaudited}"


def _made_something(response) -> bool:
    """A 2xx answer that made something: a batch whose every item was refused made nothing."""
    if not 200 <= response.status_code < 300:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return True
    if isinstance(body, dict) and "accepted" in body:  # interactions
        return body["accepted"] > 0
    if isinstance(body, dict) and isinstance(body.get("results"), list):  # people, ledger transfers
        return any(
            r.get("status", r.get("result")) in ("created", "matched", "review") for r in body["results"]
        )
    return True


async def _audited_requests(database_url: str, request_ids: list[str]) -> set[str]:
    conn = await asyncpg.connect(_plain(database_url))
    try:
        rows = await conn.fetch(
            "SELECT DISTINCT request_id FROM audit_log WHERE request_id = ANY($1)", request_ids
        )
    finally:
        await conn.close()
    return {r["request_id"] for r in rows}
