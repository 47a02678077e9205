"""Clusters, not best candidates: a record that matches several people outright joins them (the
fragments of one person), but never a twin or a household member, and never against a reviewer's
"different people"."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.factories import org_with_token, unique_resident
from tests.identity.test_admin import internal_id


@pytest.fixture
async def admin(platform):
    return await platform.admin_headers()


def _fragments() -> tuple[dict, dict, dict]:
    """One resident as two partial records that cannot be linked to each other (a name each, one
    with the birthday, the other with the address), and a full record that matches both."""
    her = unique_resident()
    name = {k: her[k] for k in ("given_name", "family_name")}
    return (
        name | {"date_of_birth": her["date_of_birth"], "email": her["email"]},
        name | {"address": her["address"], "phone": her["phone"]},
        name | {"date_of_birth": her["date_of_birth"], "address": her["address"]},
    )


async def _post(client, headers, body) -> dict:
    response = await client.post("/v1/people", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _canonical(owner_conn, org_person_id: str) -> uuid.UUID:
    return await internal_id(owner_conn, org_person_id)


async def test_fragments_of_one_person_join_in_one_cluster(client, platform, owner_conn):
    a, b, full = _fragments()
    council_org, council = await org_with_token(platform)
    charity_org, charity = await org_with_token(platform, sector="social", kind="charity")
    first = await _post(client, council, a)
    second = await _post(client, charity, b)
    assert await _canonical(owner_conn, first["person_id"]) != await _canonical(
        owner_conn, second["person_id"]
    )
    third = await _post(client, council, full)
    assert third["resolution"]["status"] == "matched" and third["person_id"] == first["person_id"]
    people = {await _canonical(owner_conn, r["person_id"]) for r in (first, second, third)}
    assert len(people) == 1, "the three records are one person"
    keep = people.pop()
    merge = await owner_conn.fetchrow(
        "SELECT keep_id, merged_id, reason, undone_at FROM person_merges WHERE keep_id = $1", keep
    )
    assert merge["reason"] == "automatic" and merge["undone_at"] is None
    explanation = await owner_conn.fetchval(
        "SELECT d.explanation FROM identity_decisions d JOIN person_records r ON r.id = d.record_id "
        "JOIN org_people o ON o.person_id = r.person_id WHERE o.org_person_id = $1 AND d.status = 'matched' "
        "ORDER BY d.created_at DESC LIMIT 1",
        uuid.UUID(third["person_id"]),
    )
    assert '"merged"' in explanation and str(merge["merged_id"]) in explanation
    # Neither organisation held ids for both: neither is told (the charity would learn that the
    # council knows its person).
    events = await owner_conn.fetchval(
        "SELECT count(*) FROM outbox_events WHERE event_type = 'person.merged' AND org_id = ANY($1::uuid[])",
        [council_org, charity_org],
    )
    assert events == 0


async def test_fragments_within_one_batch_join_too(client, platform, owner_conn):
    a, b, full = _fragments()
    org, headers = await org_with_token(platform)
    response = await client.post(
        "/v1/people/batch",
        json=[a | {"external_ref": "A"}, b | {"external_ref": "B"}, full | {"external_ref": "C"}],
        headers=headers,
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len({await _canonical(owner_conn, r["person_id"]) for r in results}) == 1
    # The organisation held both ids (its own records): it is told they are one person now.
    event = await owner_conn.fetchval(
        "SELECT payload FROM outbox_events WHERE event_type = 'person.merged' AND org_id = $1", org
    )
    assert event is not None and len(json.loads(event)["merged_person_ids"]) == 1


def _twins() -> tuple[dict, dict, dict]:
    """Twins (one surname, birthday and address, two given names), and a record of one of them
    without a given name, which matches each of them outright."""
    her = unique_resident(given_name="Rosalind")
    sister = her | {"given_name": "Margaret", "email": her["email"].replace("margaret", "sister")}
    anonymous = {k: v for k, v in her.items() if k not in ("given_name", "email", "phone")}
    return her, sister, anonymous


async def test_twins_are_never_merged_through_a_record_that_matches_both(client, platform, owner_conn, admin):
    her, sister, anonymous = _twins()
    _, council = await org_with_token(platform)
    _, charity = await org_with_token(platform, sector="social", kind="charity")
    first = await _post(client, council, her)
    second = await _post(client, charity, sister)  # a possible twin: held for the platform's review
    assert await _canonical(owner_conn, first["person_id"]) != await _canonical(
        owner_conn, second["person_id"]
    )
    await _post(client, council, anonymous)
    assert await _canonical(owner_conn, first["person_id"]) != await _canonical(
        owner_conn, second["person_id"]
    )
    # The reviewers say they are two people; a record matching both still does not merge them.
    reviews = (await client.get("/v1/admin/identity/reviews", params={"limit": 500}, headers=admin)).json()
    sister_id = str(await _canonical(owner_conn, second["person_id"]))
    (review,) = [r for r in reviews["items"] if r["person_id"] == sister_id]
    decided = await client.post(
        f"/v1/admin/identity/reviews/{review['id']}", json={"decision": "distinct"}, headers=admin
    )
    assert decided.status_code == 200, decided.text
    for headers in (council, charity):
        await _post(client, headers, anonymous)
    assert await _canonical(owner_conn, first["person_id"]) != await _canonical(
        owner_conn, second["person_id"]
    )
    merges = await owner_conn.fetchval(
        "SELECT count(*) FROM person_merges WHERE keep_id = ANY($1::uuid[]) OR merged_id = ANY($1::uuid[])",
        [await _canonical(owner_conn, first["person_id"]), await _canonical(owner_conn, second["person_id"])],
    )
    assert merges == 0


async def test_a_reviewers_different_people_is_never_overridden_by_an_automatic_merge(
    client, platform, owner_conn, admin
):
    her = unique_resident()
    name = {k: her[k] for k in ("given_name", "family_name")}
    outward, inward = her["address"]["postcode"].split(" ")
    neighbour = f"{outward} {inward[0]}{'ZZ' if inward[1:] != 'ZZ' else 'YY'}"  # the same sector
    a = name | {"date_of_birth": her["date_of_birth"], "address": her["address"]}
    b = name | {"email": her["email"], "address": {"line1": "3 Other Road", "postcode": neighbour}}
    _, council = await org_with_token(platform)
    _, charity = await org_with_token(platform, sector="social", kind="charity")
    first = await _post(client, council, a)
    second = await _post(client, charity, b)  # her name in the next street: a possible match, reviewed
    reviews = (await client.get("/v1/admin/identity/reviews", params={"limit": 500}, headers=admin)).json()
    b_id = await _canonical(owner_conn, second["person_id"])
    (review,) = [r for r in reviews["items"] if r["person_id"] == str(b_id)]
    assert review["explanation"]["rule"] is None  # no disagreement rule: only the reviewer separates them
    decided = await client.post(
        f"/v1/admin/identity/reviews/{review['id']}", json={"decision": "distinct"}, headers=admin
    )
    assert decided.status_code == 200, decided.text
    # A record with her birthday (as the first) and her email (as the second): each an outright match.
    both = name | {"date_of_birth": her["date_of_birth"], "email": her["email"]}
    third = await _post(client, council, both)
    assert third["resolution"]["status"] == "matched" and third["person_id"] == first["person_id"]
    assert await _canonical(owner_conn, first["person_id"]) != b_id
    assert await owner_conn.fetchval("SELECT count(*) FROM person_merges WHERE merged_id = $1", b_id) == 0


async def test_a_household_is_never_merged_through_a_record_that_matches_both(client, platform, owner_conn):
    father = unique_resident(given_name="Julius", date_of_birth="1961-07-02")
    son = father | {"given_name": "Daniel", "date_of_birth": "1990-11-23", "email": None, "phone": None}
    son = {k: v for k, v in son.items() if v is not None}
    # Neither name nor birthday: the surname at the address matches each of them outright.
    anonymous = {"family_name": father["family_name"], "address": father["address"]}
    _, council = await org_with_token(platform)
    first = await _post(client, council, father)
    second = await _post(client, council, son)
    assert second["resolution"]["status"] == "created"
    for _ in range(2):
        await _post(client, council, anonymous)
    father_id, son_id = [await _canonical(owner_conn, r["person_id"]) for r in (first, second)]
    assert father_id != son_id
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM person_merges WHERE merged_id = ANY($1::uuid[])", [father_id, son_id]
        )
        == 0
    )
