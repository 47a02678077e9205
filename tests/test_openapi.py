"""The committed OpenAPI document is the app's, and every route is documented."""

from __future__ import annotations

from pathlib import Path

from app.cli import openapi_json

OPENAPI_FILE = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_openapi_is_current(app):
    assert OPENAPI_FILE.exists(), "run `kith openapi export`"
    assert OPENAPI_FILE.read_text() == openapi_json(app), (
        "openapi/openapi.json is out of date: run `kith openapi export` and commit it"
    )


def test_every_operation_has_an_id_and_a_description(app):
    seen = set()
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            assert op.get("operationId"), f"{method.upper()} {path} has no operationId"
            assert op["operationId"] not in seen, f"duplicate operationId {op['operationId']}"
            seen.add(op["operationId"])
            assert op.get("description") or op.get("summary"), f"{method.upper()} {path} is undocumented"


# Routes any authenticated client may call, whatever its scopes.
ANY_SCOPE = {"/v1/purposes"}


def test_v1_routes_declare_their_scope(app):
    for path, item in app.openapi()["paths"].items():
        if path.startswith("/v1/"):
            for method, op in item.items():
                assert any("oauth2" in req for req in op.get("security", [])), (
                    f"{method.upper()} {path} is open"
                )
                scopes = [s for req in op.get("security", []) for s in req.get("oauth2", [])]
                assert scopes or path in ANY_SCOPE, f"{method.upper()} {path} names no scope"


def test_registration_answers_carry_no_score(app):
    # What an organisation is told of a registration speaks only of its own records: no match score,
    # candidate or explanation, which would say how a record compared with other organisations'.
    schemas = app.openapi()["components"]["schemas"]
    for name in ("PersonCreated", "Resolution", "PeopleBatchResult"):
        assert not {"score", "candidate_id", "explanation"} & set(schemas[name]["properties"]), name
    # reason: only external_ref_conflict, which speaks of the organisation's own record (its reference).
    assert set(schemas["Resolution"]["properties"]) == {"status", "reason"}
    assert schemas["Resolution"]["properties"]["reason"]["anyOf"][0]["const"] == "external_ref_conflict"
