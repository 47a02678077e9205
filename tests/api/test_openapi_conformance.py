"""The OpenAPI document tells the truth: Schemathesis, against a live ``kith serve``, with a fixed
seed and 25 examples an operation (valid and invalid input), finds no server error and nothing
the document does not say — no undocumented status, content type, header or body, and no invalid
input accepted.

The token holds every scope, on a throwaway organisation of a database made for this module; the
destructive operations (disabling a client, erasing a person) are pointed at objects made to be
destroyed."""

from __future__ import annotations

from dataclasses import dataclass

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
from tests.conftest import fresh_database, make_settings, running_app
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


@dataclass(frozen=True)
class Live:
    base: str
    headers: dict[str, str]
    victims: dict[str, str]  # path parameter -> an object made to be destroyed


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
                token = await platform.token(creds)
                headers = {"Authorization": f"Bearer {token}"}
                doomed = await client.post("/v1/people", json=unique_resident(), headers=headers)
                assert doomed.status_code == 201, doomed.text
        victims = {"client_id": doomed_client.client_id, "person_id": doomed.json()["person_id"]}
        limits = {"KITH_RATE_LIMIT": "1000000/minute", "KITH_TOKEN_RATE_LIMIT": "1000000/minute"}
        with kith_serve_process(url, data_dir, **limits) as (base, _proc):
            yield Live(base, headers, victims)


def test_the_service_answers_as_its_openapi_says(live: Live):
    # Each operation in turn, with valid and then invalid input, every failure collected: the
    # report names them all at once. (Schemathesis's own pytest plugin does not run on pytest 9.)
    schema = schemathesis.openapi.from_url(f"{live.base}/openapi.json")
    failures: list[str] = []
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
                case.call_and_validate(base_url=live.base, headers=live.headers, checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # no input to make invalid
            except (Exception, BaseExceptionGroup) as exc:  # every failure is reported below
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
