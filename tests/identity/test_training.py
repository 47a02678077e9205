"""Estimating m and u from the records held (EM), and using them."""

from __future__ import annotations

from app.auth.principal import Principal
from app.bench import synthetic
from app.identity import service
from tests.factories import org_with_token


async def test_train_estimates_sensible_parameters_and_makes_them_current(client, platform, db_session):
    recs = synthetic.records(synthetic.people(600, seed=3), n_sources=3, seed=3)
    for source in range(3):
        _, headers = await org_with_token(platform, scopes="people:write")
        response = await client.post(
            "/v1/people/batch", json=[r.as_payload() for r in recs if r.source == source], headers=headers
        )
        assert response.status_code == 200
    # The estimate is rolled back with db_session, leaving the shared test database on the defaults
    # for the other tests; only this process's cache of it must be forgotten.
    try:
        params, pairs = await service.train(db_session, Principal.operator(), sample=500)
        assert pairs > 100
        assert params.source == "estimated"
        for attribute in ("given", "family", "dob", "postcode"):
            assert params.m[attribute]["exact"] > 0.5
            assert params.m[attribute]["exact"] > 20 * params.u[attribute]["exact"]
        assert params.m["given"]["nickname"] > params.u["given"]["nickname"]
        service.forget_cached_parameters()
        current = await service.current_parameters(db_session)
        assert current.m == params.m and current.source == "estimated"
    finally:
        service.forget_cached_parameters()
