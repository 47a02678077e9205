"""Clusters, not best candidates: a record that matches several of the organisation's own people
outright joins them (the fragments of one person), but never a twin or a household member, never
against a reviewer's "different people", and never automatically across organisations (one
organisation's records would decide what another's consent covers): those go to the platform's
reviewers."""

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
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


async def _canonical(owner_conn, org_person_id: str) -> uuid.UUID:
    return await internal_id(owner_conn, org_person_id)


async def _merges(owner_conn, *people: uuid.UUID) -> int:
    return await owner_conn.fetchval(
        "SELECT count(*) FROM person_merges WHERE keep_id = ANY($1::uuid[]) OR merged_id = ANY($1::uuid[])",
        list(people),
    )


async def test_fragments_of_one_person_join_in_one_cluster(client, platform, owner_conn):
    a, b, full = _fragments()
    org, headers = await org_with_token(platform)
    first = await _post(client, headers, a)
    second = await _post(client, headers, b)
    assert second["resolution"]["status"] == "created"
    assert await _canonical(owner_conn, first["person_id"]) != await _canonical(
        owner_conn, second["person_id"]
    )
    third = await _post(client, headers, full)
    assert third["resolution"]["status"] == "matched"
    assert third["person_id"] in (first["person_id"], second["person_id"])
    people = {await _canonical(owner_conn, r["person_id"]) for r in (first, second, third)}
    assert len(people) == 1, "the three records are one person"
    keep = people.pop()
    merge = await owner_conn.fetchrow(
        "SELECT keep_id, merged_id, reason, undone_at FROM person_merges WHERE keep_id = $1", keep
    )
    assert merge["reason"] == "automatic" and merge["undone_at"] is None
    explanation = await owner_conn.fetchval(
        "SELECT d.explanation FROM identity_decisions d JOIN person_records r ON r.id = d.record_id "
        "WHERE r.person_id = $1 AND d.status = 'matched' ORDER BY d.created_at DESC LIMIT 1",
        keep,
    )
    assert json.loads(explanation)["merge_proposed"] == [str(merge["merged_id"])]
    # Its own ids are one person now: it is told so, in its own ids.
    event = await owner_conn.fetchval(
        "SELECT payload FROM outbox_events WHERE event_type = 'person.merged' AND org_id = $1", org
    )
    assert json.loads(event)["merged_person_ids"] in ([first["person_id"]], [second["person_id"]])


async def test_fragments_within_one_batch_join_too(client, platform, owner_conn):
    a, b, full = _fragments()
    _, headers = await org_with_token(platform)
    response = await client.post(
        "/v1/people/batch",
        json=[a | {"external_ref": "A"}, b | {"external_ref": "B"}, full | {"external_ref": "C"}],
        headers=headers,
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len({await _canonical(owner_conn, r["person_id"]) for r in results}) == 1


async def test_fragments_held_by_two_organisations_are_not_merged_automatically(client, platform, owner_conn):
    # The charity's record (one fragment) would come under the council's grants were the council's
    # records to merge it in: that is for the platform's reviewers, never automatic.
    a, b, full = _fragments()
    council_org, council = await org_with_token(platform)
    charity_org, charity = await org_with_token(platform, sector="social", kind="charity")
    first = await _post(client, council, a)
    second = await _post(client, charity, b)
    third = await _post(client, council, full)
    assert third["person_id"] == first["person_id"]
    mine, theirs = [await _canonical(owner_conn, r["person_id"]) for r in (first, second)]
    assert mine != theirs and await _merges(owner_conn, mine, theirs) == 0
    events = await owner_conn.fetchval(
        "SELECT count(*) FROM outbox_events WHERE event_type = 'person.merged' AND org_id = ANY($1::uuid[])",
        [council_org, charity_org],
    )
    assert events == 0


async def _proposals(client, admin, *people: uuid.UUID) -> list[dict]:
    """The merges awaiting the platform's reviewers between any of ``people``."""
    reviews = await client.get(
        "/v1/admin/identity/reviews", params={"limit": 500, "queue": "platform"}, headers=admin
    )
    assert reviews.status_code == 200, reviews.text
    named = {str(p) for p in people}
    return [r for r in reviews.json()["items"] if r["merge"] and {r["person_id"], r["candidate_id"]} <= named]


async def test_fragments_held_by_two_organisations_go_to_the_platforms_reviewers(
    client, platform, owner_conn, admin
):
    a, b, full = _fragments()
    _, council = await org_with_token(platform)
    _, charity = await org_with_token(platform, sector="social", kind="charity")
    first = await _post(client, council, a)
    second = await _post(client, charity, b)
    third = await _post(client, council, full)
    assert third["resolution"]["status"] == "matched" and third["person_id"] == first["person_id"]
    mine, theirs = [await _canonical(owner_conn, r["person_id"]) for r in (first, second)]
    (proposal,) = await _proposals(client, admin, mine, theirs)
    assert proposal["queue"] == "platform"
    assert {proposal["person_id"], proposal["candidate_id"]} == {str(mine), str(theirs)}
    assert proposal["explanation"]["attributes"]["family"]["level"] == "exact"
    # The same record again proposes nothing more: one review for a pair.
    await _post(client, council, full)
    assert len(await _proposals(client, admin, mine, theirs)) == 1
    # Decided "same person": one person now, reversibly.
    decided = await client.post(
        f"/v1/admin/identity/reviews/{proposal['id']}", json={"decision": "match"}, headers=admin
    )
    assert decided.status_code == 200, decided.text
    assert await _canonical(owner_conn, first["person_id"]) == await _canonical(
        owner_conn, second["person_id"]
    )
    reason = await owner_conn.fetchval(
        "SELECT reason FROM person_merges WHERE merged_id = $1", uuid.UUID(proposal["person_id"])
    )
    assert reason == "review"


async def test_a_platform_reviewers_different_people_stops_the_proposals(client, platform, owner_conn, admin):
    a, b, full = _fragments()
    _, council = await org_with_token(platform)
    _, charity = await org_with_token(platform, sector="social", kind="charity")
    first = await _post(client, council, a)
    second = await _post(client, charity, b)
    await _post(client, council, full)
    mine, theirs = [await _canonical(owner_conn, r["person_id"]) for r in (first, second)]
    (proposal,) = await _proposals(client, admin, mine, theirs)
    decided = await client.post(
        f"/v1/admin/identity/reviews/{proposal['id']}", json={"decision": "distinct"}, headers=admin
    )
    assert decided.status_code == 200, decided.text
    await _post(client, charity, full)  # now from the other side
    assert await _proposals(client, admin, mine, theirs) == []
    assert await _canonical(owner_conn, first["person_id"]) != await _canonical(
        owner_conn, second["person_id"]
    )
    assert await _merges(owner_conn, mine, theirs) == 0


async def _decide(client, admin, owner_conn, org_person_id: str, decision: str) -> None:
    reviews = (await client.get("/v1/admin/identity/reviews", params={"limit": 500}, headers=admin)).json()
    held = str(await _canonical(owner_conn, org_person_id))
    (review,) = [r for r in reviews["items"] if r["person_id"] == held]
    decided = await client.post(
        f"/v1/admin/identity/reviews/{review['id']}", json={"decision": decision}, headers=admin
    )
    assert decided.status_code == 200, decided.text


async def test_twins_are_never_merged_through_a_record_that_matches_both(client, platform, owner_conn, admin):
    her = unique_resident(given_name="Rosalind")
    sister = her | {"given_name": "Margaret", "email": her["email"].replace("margaret", "sister")}
    # Without a given name: her surname, birthday and address match each twin outright.
    anonymous = {k: v for k, v in her.items() if k not in ("given_name", "email", "phone")}
    _, headers = await org_with_token(platform)
    first = await _post(client, headers, her)
    second = await _post(client, headers, sister)
    assert second["resolution"]["status"] == "review"  # a possible twin, for its own review
    await _decide(client, admin, owner_conn, second["person_id"], "distinct")
    for _ in range(2):
        await _post(client, headers, anonymous)
    twins = [await _canonical(owner_conn, r["person_id"]) for r in (first, second)]
    assert twins[0] != twins[1] and await _merges(owner_conn, *twins) == 0


async def test_a_reviewers_different_people_is_never_overridden_by_an_automatic_merge(
    client, platform, owner_conn, admin
):
    her = unique_resident()
    name = {k: her[k] for k in ("given_name", "family_name")}
    outward, inward = her["address"]["postcode"].split(" ")
    neighbour = f"{outward} {inward[0]}{'ZZ' if inward[1:] != 'ZZ' else 'YY'}"  # the same sector
    a = name | {"date_of_birth": her["date_of_birth"], "address": her["address"]}
    b = name | {"email": her["email"], "address": {"line1": "3 Other Road", "postcode": neighbour}}
    _, headers = await org_with_token(platform)
    first = await _post(client, headers, a)
    second = await _post(client, headers, b)  # her name in the next street: a possible match, reviewed
    assert second["resolution"]["status"] == "review"
    await _decide(client, admin, owner_conn, second["person_id"], "distinct")
    b_id = await _canonical(owner_conn, second["person_id"])
    # A record with her birthday (as the first) and her email (as the second): each an outright
    # match, and no disagreement between the two: only the reviewer's decision separates them.
    both = name | {"date_of_birth": her["date_of_birth"], "email": her["email"]}
    third = await _post(client, headers, both)
    assert third["resolution"]["status"] == "matched"
    assert third["person_id"] in (first["person_id"], second["person_id"])
    assert await _canonical(owner_conn, first["person_id"]) != b_id
    assert await _merges(owner_conn, b_id) == 0


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
    assert father_id != son_id and await _merges(owner_conn, father_id, son_id) == 0


async def test_what_an_organisation_is_told_does_not_depend_on_another_organisations_records(
    client, platform
):
    """Its answer weighs its own records alone: a household member another organisation holds
    must not turn its own clear match into a review (which would tell it that its record had been
    linked to someone that organisation knows)."""

    async def attempt(council_knows_her: bool) -> str:
        her = unique_resident(given_name="Imogen", date_of_birth="1979-02-11")
        relative = her | {
            "given_name": "Harriet",
            "date_of_birth": "2004-08-30",
            "email": None,
            "phone": None,
        }
        relative = {k: v for k, v in relative.items() if v is not None}
        _, council = await org_with_token(platform)
        _, shop = await org_with_token(platform, sector="commercial", kind="business")
        if council_knows_her:
            await _post(client, council, her)
        await _post(client, council, relative)
        # The shop registers her (linked, silently, to the council's record when there is one),
        # then corrects its record to the relative's name and birthday, and registers that again.
        mine = await _post(client, shop, her)
        patched = await client.patch(
            f"/v1/people/{mine['person_id']}",
            json={"given_name": relative["given_name"], "date_of_birth": relative["date_of_birth"]},
            headers=shop,
        )
        assert patched.status_code == 200, patched.text
        again = await _post(client, shop, relative | {"email": f"x.{uuid.uuid4().hex}@example.org"})
        return again["resolution"]["status"]

    assert await attempt(True) == await attempt(False) == "matched"
