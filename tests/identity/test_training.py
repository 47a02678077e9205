"""Estimating m and u from the records held (EM), and adopting an estimate only when it serves the
reviewers' decisions no worse than the parameters in use."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import text

from app.auth.principal import Principal
from app.bench import synthetic
from app.db.session import platform_scope
from app.identity import service, training
from app.identity.matching import ATTRIBUTES, DEFAULT_M, LEVELS, Parameters
from tests.factories import org_with_token

SAME_EVERYWHERE = {"given": "exact", "family": "exact", "dob": "exact", "address": "exact"}


async def _register(client, platform, n: int = 600) -> None:
    recs = synthetic.records(synthetic.people(n, seed=3), n_sources=3, seed=3)
    for source in range(3):
        _, headers = await org_with_token(platform, scopes="people:write")
        response = await client.post(
            "/v1/people/batch", json=[r.as_payload() for r in recs if r.source == source], headers=headers
        )
        assert response.status_code == 200


async def _use(session, params: Parameters) -> None:
    async with platform_scope(session):
        await session.execute(
            text("INSERT INTO identity_parameters (params, sample_pairs) VALUES (CAST(:p AS jsonb), 0)"),
            {"p": orjson.dumps(params.to_json()).decode()},
        )
    service.forget_cached_parameters()


async def _label(session, levels: dict[str, str], outcome: str, n: int) -> None:
    """``n`` reviewers' decisions of pairs compared as ``levels``."""
    explanation = {"attributes": {a: {"level": levels.get(a), "weight": 0} for a in ATTRIBUTES}}
    async with platform_scope(session):
        await session.execute(
            text(
                "INSERT INTO identity_decisions (id, record_id, person_id, status, queue, method, explanation, "
                "review_outcome, decided_by) SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), "
                "'review', 'platform', 'probabilistic', CAST(:e AS jsonb), :o, 'test' FROM generate_series(1, :n)"
            ),
            {"e": orjson.dumps(explanation).decode(), "o": outcome, "n": n},
        )


def _indifferent() -> Parameters:
    """Parameters under which nothing is evidence (m = u everywhere): nothing ever auto-matches."""
    same = {a: dict(DEFAULT_M[a]) for a in ATTRIBUTES}
    return Parameters(m=same, u={a: dict(v) for a, v in same.items()}, prior=0.5, source="test")


async def test_train_estimates_sensible_parameters_and_makes_them_current(client, platform, db_session):
    await _register(client, platform)
    # The estimate is rolled back with db_session, leaving the shared test database on the defaults
    # for the other tests; only this process's cache of it must be forgotten.
    try:
        done = await training.train(db_session, Principal.operator(), sample=500)
        params = done.params
        assert done.pairs > 100 and done.adopted
        assert params.source == "estimated"
        for attribute in ("given", "family", "dob", "address"):
            assert params.m[attribute]["exact"] > 0.5
            assert params.m[attribute]["exact"] > 20 * params.u[attribute]["exact"]
        assert params.m["given"]["nickname"] > params.u["given"]["nickname"]
        service.forget_cached_parameters()
        current = await service.current_parameters(db_session)
        assert current.m == params.m and current.source == "estimated"
    finally:
        service.forget_cached_parameters()


async def test_an_estimate_that_would_overrule_the_reviewers_more_often_is_not_adopted(
    client, platform, db_session
):
    await _register(client, platform, 300)
    try:
        # In use: parameters that never auto-match. Reviewers said pairs agreeing on everything were
        # different people (twins, say): the parameters in use agree with every one of them, while
        # any estimate from the records would match such pairs.
        await _use(db_session, _indifferent())
        earlier = len(await training.review_labels(db_session))  # other tests' reviews, committed
        await _label(db_session, SAME_EVERYWHERE, "distinct", 40)
        done = await training.train(db_session, Principal.operator(), sample=300)
        assert done.labels == earlier + 40 and done.agreed_before >= 40
        assert done.agreed < done.agreed_before and not done.adopted
        service.forget_cached_parameters()
        assert (await service.current_parameters(db_session)).source == "test"
        # The same estimate, where the reviewers said those pairs were one person: adopted.
        await _label(db_session, SAME_EVERYWHERE, "match", 80)
        done = await training.train(db_session, Principal.operator(), sample=300)
        assert done.labels == earlier + 120 and done.agreed > done.agreed_before and done.adopted
        service.forget_cached_parameters()
        assert (await service.current_parameters(db_session)).source == "estimated"
    finally:
        service.forget_cached_parameters()


async def test_a_level_the_records_never_show_keeps_its_value(client, platform, db_session):
    # The synthetic records carry no UPRN: the estimate has no evidence about it and must not
    # make it worthless (m = u) for the organisation that sends one later.
    await _register(client, platform, 300)
    try:
        done = await training.train(db_session, Principal.operator(), sample=300)
        assert done.params.m["address"]["uprn"] == pytest.approx(DEFAULT_M["address"]["uprn"])
        assert done.params.weight("address", "uprn") > 10
        for attr in ATTRIBUTES:
            assert abs(sum(done.params.m[attr].values()) - 1) < 1e-9
            assert abs(sum(done.params.u[attr].values()) - 1) < 1e-9
            assert set(done.params.m[attr]) == set(LEVELS[attr])
    finally:
        service.forget_cached_parameters()


def test_parameters_stored_before_an_attribute_was_compared_take_its_defaults():
    old = Parameters().to_json()
    old["m"] = {("postcode" if a == "address" else a): v for a, v in old["m"].items()}
    old["u"] = {("postcode" if a == "address" else a): v for a, v in old["u"].items()}
    old["m"]["given"] = {k: v for k, v in old["m"]["given"].items() if k != "initial"}
    loaded = Parameters.from_json(old)
    assert loaded.m["address"] == DEFAULT_M["address"] and "postcode" not in loaded.m
    assert loaded.m["given"] == DEFAULT_M["given"]


async def test_the_worker_retrains_when_enough_has_arrived_and_adopts_only_what_labels_check(
    client, platform, db_session
):
    from app.core.config import get_settings

    await _register(client, platform, 300)

    def settings(records: int, labels: int):
        return get_settings().model_copy(
            update={"identity_retrain_records": records, "identity_retrain_labels": labels}
        )

    held = len(await training.review_labels(db_session))  # other tests' reviews, committed
    try:
        assert await training.retrain_if_due(db_session, settings(10**9, 10**9)) is None
        # Enough new records, too few reviewers' decisions to judge an estimate by: estimated, kept
        # (so the schedule counts from it), not put in use.
        done = await training.retrain_if_due(db_session, settings(100, held + 30))
        assert done is not None and done.pairs > 0 and not done.adopted
        service.forget_cached_parameters()
        assert (await service.current_parameters(db_session)).source == "defaults"
        # Nothing new since: not due, however low the bar for records… until decisions arrive.
        assert await training.retrain_if_due(db_session, settings(10**9, 30)) is None
        await _label(db_session, SAME_EVERYWHERE, "match", 30)
        done = await training.retrain_if_due(db_session, settings(10**9, 30))
        assert done is not None and done.labels == held + 30 and done.adopted
        service.forget_cached_parameters()
        assert (await service.current_parameters(db_session)).source == "estimated"
    finally:
        service.forget_cached_parameters()
