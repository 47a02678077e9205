"""Identity resolution on records as case systems hold them (app/bench/corruption.py, the ``hard``
profile, the test seed), through the real batch endpoint within one organisation: the records
``kith bench --scenario identity-quality`` also resolves and reports (as "hard, one organisation,
test seed"). F1 and precision here must be within 0.01 of the figures in the newest such report
in docs/bench/: a change to matching that moves them fails here until the bench is run again and
its report committed, so the published figures stay the code's."""

from __future__ import annotations

import json
from pathlib import Path

from app.bench import corruption
from app.bench.scenarios import identity_quality
from app.identity.evaluation import pair_quality
from tests.factories import org_with_token

PEOPLE = identity_quality.TEST_PEOPLE  # about 5,000 records
BATCH = 2_500
REPORTS = Path(__file__).resolve().parents[2] / "docs" / "bench"


def reported() -> tuple[str, dict]:
    """The newest bench report's figures for these records (file name, Kith's figures)."""
    for path in sorted(REPORTS.glob("*identity-quality*.json"), reverse=True):
        for scenario in json.loads(path.read_text())["scenarios"]:
            found = scenario.get("details", {}).get(identity_quality.TEST_LABEL)
            if found and found["seed"] == corruption.TEST_SEED and found["people"] == PEOPLE:
                return path.name, found["kith"]
    raise AssertionError(f"no identity-quality report in {REPORTS} has {identity_quality.TEST_LABEL!r}")


async def test_hard_records_within_one_organisation(client, platform, owner_conn):
    people = corruption.population(PEOPLE, seed=corruption.TEST_SEED)
    records = corruption.records(people, corruption.PROFILES["hard"], seed=corruption.TEST_SEED)
    org, headers = await org_with_token(platform, scopes="people:write")
    warned = 0
    for start in range(0, len(records), BATCH):
        batch = [r.as_payload() for r in records[start : start + BATCH]]
        response = await client.post("/v1/people/batch", json=batch, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["rejected"] == 0
        warned += sum(1 for r in response.json()["results"] if r.get("warnings"))
    # A placeholder date of birth (1900-01-01, or a typo into the 1900s) is dropped with a warning,
    # the record kept (about 2% of hard records).
    assert 0 < warned < len(records) * 0.03
    rows = await owner_conn.fetch(
        "SELECT r.external_ref, p.canonical_id FROM person_records r JOIN people p ON p.id = r.person_id "
        "WHERE r.org_id = $1",
        org,
    )
    clusters = {f"0:{r['external_ref']}": r["canonical_id"] for r in rows}
    assert len(clusters) == len(records)
    quality = pair_quality(corruption.truth_pairs(records), clusters)
    source, bench = reported()
    print(f"\nhard, {len(records)} records: {quality.summary()}; {source}: {bench}")
    assert quality.precision >= 0.995, quality.summary()
    assert abs(quality.f1 - bench["f1"]) <= 0.01, (quality.summary(), source, bench)
    assert abs(quality.precision - bench["precision"]) <= 0.01, (quality.summary(), source, bench)
