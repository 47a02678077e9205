"""People over HTTP: register, resolve across organisations, read, update, find, batch."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest

from app.db import session as db_session
from app.identity import repository as identity_repo
from app.identity import service as identity_service
from app.people import service as people_service
from tests.factories import org_with_token, random_data, unique_resident

MARGARET = {
    "given_name": "Margaret",
    "family_name": "Okafor",
    "date_of_birth": "1956-03-14",
    "email": "Margaret.Okafor@example.org",
    "phone": "07911 123456",
    "address": {"line1": "12 Mill Lane", "town": "Riverside", "postcode": "rs1 2ab"},
}


def person(**overrides):
    """Margaret, made unique (the test database is shared): her own surname, birthday, email, phone
    and postcode, as :func:`tests.factories.unique_resident` makes them, at her address."""
    resident = unique_resident()
    body = dict(MARGARET)
    body["address"] = MARGARET["address"] | {"postcode": resident["address"]["postcode"]}
    for key in ("family_name", "email", "date_of_birth", "phone"):
        body[key] = resident[key]
    body.update(overrides)
    return body


@pytest.fixture
async def council(platform):
    return await org_with_token(platform)


@pytest.fixture
async def charity(platform):
    return await org_with_token(platform, sector="social", kind="charity")


class TestRegister:
    async def test_new_person_is_created(self, client, council):
        _, headers = council
        response = await client.post("/v1/people", json=person(external_ref="CASE-1"), headers=headers)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["resolution"]["status"] == "created"
        uuid.UUID(body["person_id"])

    async def test_same_external_ref_is_idempotent_and_updates_claims(self, client, council):
        _, headers = council
        body = person(external_ref="CASE-2")
        first = (await client.post("/v1/people", json=body, headers=headers)).json()
        body["phone"] = "07911 123999"
        again = await client.post("/v1/people", json=body, headers=headers)
        assert again.status_code == 200
        assert again.json()["person_id"] == first["person_id"]
        view = (
            await client.get(
                f"/v1/people/{first['person_id']}", params={"purpose": "service_delivery"}, headers=headers
            )
        ).json()
        assert view["attributes"]["phone"]["value"] == "+447911123999"
        assert view["external_refs"] == ["CASE-2"]

    async def test_two_organisations_get_different_ids_for_the_same_person(self, client, council, charity):
        _, council_headers = council
        _, charity_headers = charity
        body = person()
        a = (await client.post("/v1/people", json=body, headers=council_headers)).json()
        b = await client.post(
            "/v1/people", json=body | {"email": body["email"].upper()}, headers=charity_headers
        )
        assert b.status_code == 200, b.text
        assert b.json()["resolution"]["status"] == "matched"
        assert b.json()["resolution"]["score"] > 0.99
        assert b.json()["person_id"] != a["person_id"]
        # Each organisation's id works only for that organisation.
        other = await client.get(
            f"/v1/people/{a['person_id']}", params={"purpose": "service_delivery"}, headers=charity_headers
        )
        assert other.status_code == 404
        assert other.headers["content-type"] == "application/problem+json"

    async def test_without_consent_an_org_sees_only_what_it_asserted(self, client, council, charity):
        _, council_headers = council
        _, charity_headers = charity
        body = person()
        await client.post("/v1/people", json=body, headers=council_headers)
        partial = {k: body[k] for k in ("given_name", "family_name", "date_of_birth")} | {
            "address": {"postcode": "RS1 2AB"},
            "phone": body["phone"],
        }
        matched = (await client.post("/v1/people", json=partial, headers=charity_headers)).json()
        assert matched["resolution"]["status"] == "matched"
        view = (
            await client.get(
                f"/v1/people/{matched['person_id']}",
                params={"purpose": "case_coordination"},
                headers=charity_headers,
            )
        ).json()
        assert "email" not in view["attributes"]
        assert view["attributes"]["given_name"] == {
            "value": "Margaret",
            "source_sector": "social",
            "asserted_at": view["attributes"]["given_name"]["asserted_at"],
            "verified": False,
        }
        assert view["attributes"]["address"]["value"]["postcode"] == "RS1 2AB"

    async def test_values_are_normalised(self, client, council):
        _, headers = council
        created = (
            await client.post(
                "/v1/people",
                json=person(
                    email="  Jo.Bloggs@EXAMPLE.org ",
                    given_name="  Jo   Anne ",
                    phone="+44 (0)7911 123456",
                    address=MARGARET["address"],  # postcode "rs1 2ab"
                ),
                headers=headers,
            )
        ).json()
        attrs = (
            await client.get(
                f"/v1/people/{created['person_id']}", params={"purpose": "service_delivery"}, headers=headers
            )
        ).json()["attributes"]
        assert attrs["email"]["value"] == "jo.bloggs@example.org"
        assert attrs["given_name"]["value"] == "Jo Anne"
        assert attrs["phone"]["value"] == "+447911123456"
        assert attrs["address"]["value"]["postcode"] == "RS1 2AB"

    @pytest.mark.parametrize(
        ("field", "value", "named"),
        [
            ("email", "not-an-email", "email"),
            ("phone", "12", "phone"),
            ("date_of_birth", "2999-01-01", "date_of_birth"),
            ("date_of_birth", "1890-01-01", "date_of_birth"),
            ("address", {"postcode": "NOT A POSTCODE"}, "address.postcode"),
            ("given_name", "   ", "given_name"),
            ("given_name", "1234", "given_name"),
            ("uprn", "12ab", "uprn"),
        ],
    )
    async def test_bad_values_are_422_naming_the_field(
        self, client, council, owner_conn, field, value, named
    ):
        org_id, headers = council
        before = await owner_conn.fetchval("SELECT count(*) FROM person_records WHERE org_id = $1", org_id)
        response = await client.post("/v1/people", json=person(**{field: value}), headers=headers)
        assert response.status_code == 422, response.text
        assert named in [e["field"] for e in response.json()["errors"]]
        assert (
            await owner_conn.fetchval("SELECT count(*) FROM person_records WHERE org_id = $1", org_id)
            == before
        )

    async def test_unknown_field(self, client, council):
        _, headers = council
        response = await client.post("/v1/people", json=person(shoe_size=9), headers=headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "shoe_size"

    async def test_verified_must_name_given_attributes(self, client, council):
        _, headers = council
        body = person(verified=["email", "uprn"])
        response = await client.post("/v1/people", json=body, headers=headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "verified"

    async def test_an_email_verified_on_both_sides_matches_without_scoring(self, client, council, charity):
        body = person(verified=["email"])
        first = await client.post("/v1/people", json=body, headers=council[1])
        moved = {**body, "address": {"line1": "1 New Road", "postcode": "RS9 9ZZ"}, "phone": "07911 123456"}
        second = await client.post("/v1/people", json=moved, headers=charity[1])
        assert first.status_code == 201 and second.status_code == 200, second.text
        assert second.json()["resolution"] == {"status": "matched", "score": None}
        linked = await client.post("/v1/people", json={**moved, "external_ref": "again"}, headers=council[1])
        assert linked.json()["person_id"] == first.json()["person_id"]  # the council's own id for her

    async def test_a_shared_verified_email_does_not_make_a_household_one_person(self, client, council):
        _, headers = council
        rosa = person(given_name="Rosa", date_of_birth="1961-04-02", verified=["email"])
        tomas = {**rosa, "given_name": "Tomas", "date_of_birth": "1994-10-17"}
        twin = {**rosa, "given_name": "Rita"}  # same birthday, another name: not proof either
        ids = set()
        for body in (rosa, tomas, twin):
            response = await client.post("/v1/people", json=body, headers=headers)
            assert response.status_code in (201, 202), response.text
            ids.add(response.json()["person_id"])
        assert len(ids) == 3

    async def test_scope_is_required(self, client, platform):
        _, headers = await org_with_token(platform, scopes="people:read")
        response = await client.post("/v1/people", json=person(), headers=headers)
        assert response.status_code == 403


class TestRead:
    async def test_unknown_purpose_is_422(self, client, council):
        _, headers = council
        created = (await client.post("/v1/people", json=person(), headers=headers)).json()
        response = await client.get(
            f"/v1/people/{created['person_id']}", params={"purpose": "curiosity"}, headers=headers
        )
        assert response.status_code == 422
        assert response.json()["code"] == "unknown_purpose"

    async def test_purpose_is_required(self, client, council):
        _, headers = council
        created = (await client.post("/v1/people", json=person(), headers=headers)).json()
        response = await client.get(f"/v1/people/{created['person_id']}", headers=headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "purpose"

    async def test_unknown_id_is_404(self, client, council):
        _, headers = council
        response = await client.get(
            f"/v1/people/{uuid.uuid4()}", params={"purpose": "service_delivery"}, headers=headers
        )
        assert response.status_code == 404


class TestUpdate:
    async def test_patch_asserts_new_values(self, client, council):
        _, headers = council
        created = (await client.post("/v1/people", json=person(), headers=headers)).json()
        response = await client.patch(
            f"/v1/people/{created['person_id']}",
            json={"address": {"line1": "3 New Road", "postcode": "RS2 9ZZ"}},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["updated"] == ["address"]
        view = (
            await client.get(
                f"/v1/people/{created['person_id']}", params={"purpose": "service_delivery"}, headers=headers
            )
        ).json()
        assert view["attributes"]["address"]["value"] == {
            "line1": "3 New Road",
            "line2": None,
            "town": None,
            "postcode": "RS2 9ZZ",
        }

    async def test_patch_of_another_orgs_person_is_404(self, client, council, charity):
        _, council_headers = council
        _, charity_headers = charity
        created = (await client.post("/v1/people", json=person(), headers=council_headers)).json()
        response = await client.patch(
            f"/v1/people/{created['person_id']}", json={"given_name": "Mallory"}, headers=charity_headers
        )
        assert response.status_code == 404


class TestFind:
    async def test_by_external_ref_only_among_own(self, client, council, charity):
        _, council_headers = council
        _, charity_headers = charity
        created = (
            await client.post("/v1/people", json=person(external_ref="LOYALTY-77"), headers=council_headers)
        ).json()
        found = (
            await client.get("/v1/people", params={"external_ref": "LOYALTY-77"}, headers=council_headers)
        ).json()
        assert found["items"] == [{"person_id": created["person_id"], "external_ref": "LOYALTY-77"}]
        elsewhere = (
            await client.get("/v1/people", params={"external_ref": "LOYALTY-77"}, headers=charity_headers)
        ).json()
        assert elsewhere["items"] == []

    async def test_search_only_among_own_people(self, client, council, charity):
        _, council_headers = council
        _, charity_headers = charity
        body = person()
        created = (await client.post("/v1/people", json=body, headers=council_headers)).json()
        query = {
            "given_name": "Maggie",
            "family_name": body["family_name"],
            "date_of_birth": body["date_of_birth"],
        }
        hits = (await client.post("/v1/people/search", json=query, headers=council_headers)).json()["items"]
        assert hits and hits[0]["person_id"] == created["person_id"]
        assert (await client.post("/v1/people/search", json=query, headers=charity_headers)).json()[
            "items"
        ] == []

    async def test_search_by_surname_alone(self, client, council):
        _, headers = council
        body = person()
        created = (await client.post("/v1/people", json=body, headers=headers)).json()
        hits = (
            await client.post("/v1/people/search", json={"family_name": body["family_name"]}, headers=headers)
        ).json()["items"]
        assert [h["person_id"] for h in hits] == [created["person_id"]]

    async def test_empty_search_is_422(self, client, council):
        _, headers = council
        assert (await client.post("/v1/people/search", json={}, headers=headers)).status_code == 422


class TestBatch:
    async def test_mixed_batch_stores_good_and_reports_bad_by_index(self, client, council, owner_conn):
        org_id, headers = council
        good = [person(external_ref=f"B-{i}", given_name=name) for i, name in enumerate(["Ada", "Bea", "Cy"])]
        items = [
            good[0],
            {"given_name": "X", "email": "nope"},
            good[1],
            {"colour": "red"},
            good[2],
            "not an object",
        ]
        response = await client.post("/v1/people/batch", json=items, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert [r["status"] for r in body["results"]] == [
            "created",
            "rejected",
            "created",
            "rejected",
            "created",
            "rejected",
        ]
        assert [r["index"] for r in body["results"]] == list(range(6))
        assert body["results"][1]["errors"][0]["field"] == "email"
        assert body["results"][3]["errors"][0]["field"] == "colour"
        assert (body["created"], body["rejected"]) == (3, 3)
        stored = await owner_conn.fetchval("SELECT count(*) FROM person_records WHERE org_id = $1", org_id)
        assert stored == 3

    async def test_ndjson_and_duplicates_within_the_batch(self, client, council):
        _, headers = council
        a = person(external_ref="N-1")
        same_person = a | {"external_ref": "N-2", "given_name": "Peggy"}
        same_ref = a | {"phone": "07911 123555"}
        lines = b"\n".join(orjson.dumps(x) for x in (a, same_person, same_ref)) + b"\n"
        response = await client.post(
            "/v1/people/batch", content=lines, headers={**headers, "Content-Type": "application/x-ndjson"}
        )
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["created", "matched", "matched"]
        assert len({r["person_id"] for r in results}) == 1

    async def test_batch_matches_people_already_known_to_the_organisation(self, client, council):
        _, headers = council
        known = person(external_ref="K-1")
        first = (await client.post("/v1/people", json=known, headers=headers)).json()
        again = known | {"external_ref": "K-2", "given_name": "Peggy"}
        response = await client.post("/v1/people/batch", json=[again, known], headers=headers)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["matched", "matched"]
        assert {r["person_id"] for r in results} == {first["person_id"]}

    @pytest.mark.parametrize("second_connection", [True, False], ids=["beside", "alone"])
    async def test_records_match_and_repeat_references_across_chunks(
        self, client, council, owner_conn, monkeypatch, second_connection
    ):
        # A batch is resolved a chunk at a time; what one chunk did must hold for the next, whether
        # the lookups run on a connection of their own or (none to be had) behind the writes.
        monkeypatch.setattr(identity_service, "CHUNK", 2)
        if not second_connection:
            monkeypatch.setattr(db_session, "_lends_at_once", lambda pool: False)
        org_id, headers = council
        a = person(external_ref="C-1")
        items = [
            a,
            person(external_ref="C-2", given_name="Bea"),
            person(external_ref="C-3", given_name="Cy"),
            a | {"external_ref": "C-4", "given_name": "Peggy"},  # the same person, a later chunk
            a | {"phone": "07911 123777"},  # the same reference, a later chunk: one record, updated
        ]
        response = await client.post("/v1/people/batch", json=items, headers=headers)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["created", "created", "created", "matched", "matched"]
        assert results[3]["person_id"] == results[4]["person_id"] == results[0]["person_id"]
        assert len({r["person_id"] for r in results}) == 3
        records = await owner_conn.fetch(
            "SELECT claims #>> '{phone,value}' AS phone, bk_phone FROM person_records "
            "WHERE org_id = $1 AND external_ref = 'C-1'",
            org_id,
        )
        assert [(r["phone"], r["bk_phone"]) for r in records] == [("+447911123777", "+447911123777")]
        decisions = await owner_conn.fetchval(
            "SELECT count(*) FROM identity_decisions WHERE org_id = $1", org_id
        )
        assert decisions == 5

    async def test_a_reference_posted_again_twice_in_one_batch_keeps_both_claims(
        self, client, council, owner_conn, monkeypatch
    ):
        monkeypatch.setattr(identity_service, "CHUNK", 2)
        org_id, headers = council
        known = person(external_ref="T-1")
        await client.post("/v1/people", json=known, headers=headers)
        items = [
            # Each time with one attribute: the record must keep every one of them.
            {"external_ref": "T-1", "phone": "07911 100200"},
            person(external_ref="T-2", given_name="Bea"),
            {"external_ref": "T-1", "email": "margaret.t1@example.net"},  # a later chunk
            {"external_ref": "T-1", "given_name": "Peggy"},  # the same chunk as the one before
        ]
        response = await client.post("/v1/people/batch", json=items, headers=headers)
        assert [r["status"] for r in response.json()["results"]] == [
            "matched",
            "created",
            "matched",
            "matched",
        ]
        record = await owner_conn.fetchrow(
            "SELECT claims, bk_phone, bk_email, m_given FROM person_records WHERE org_id = $1 AND external_ref = 'T-1'",
            org_id,
        )
        claims = orjson.loads(record["claims"])
        assert claims["phone"]["value"] == record["bk_phone"] == "+447911100200"
        assert claims["email"]["value"] == record["bk_email"] == "margaret.t1@example.net"
        assert claims["given_name"]["value"] == "Peggy" and record["m_given"] == "peggy"

    async def test_a_contact_verified_earlier_in_the_batch_matches_without_scoring(
        self, client, council, monkeypatch
    ):
        monkeypatch.setattr(identity_service, "CHUNK", 2)
        _, headers = council
        rosa = person(given_name="Rosa", verified=["email"])
        moved = rosa | {"address": {"line1": "1 New Road", "postcode": "RS9 9ZZ"}, "phone": "07911 100300"}
        items = [rosa, person(given_name="Bea"), person(given_name="Cy"), moved]
        response = await client.post("/v1/people/batch", json=items, headers=headers)
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["created", "created", "created", "matched"]
        assert results[3]["person_id"] == results[0]["person_id"] and results[3]["score"] is None

    async def test_a_batch_posted_again_across_chunks_changes_nothing(
        self, client, council, owner_conn, monkeypatch
    ):
        # Each chunk's candidates are looked up as soon as it is validated, before the references
        # are checked: records found by their reference must ignore what that lookup found.
        monkeypatch.setattr(identity_service, "CHUNK", 2)
        org_id, headers = council
        items = [
            person(external_ref="R-1", given_name="Ada"),
            {"given_name": "X", "email": "nope"},
            person(external_ref="R-2", given_name="Bea"),
            person(external_ref="R-3", given_name="Cy"),
            person(external_ref="R-4", given_name="Di"),
        ]
        first = await client.post("/v1/people/batch", json=items, headers=headers)
        assert first.status_code == 200, first.text
        again = await client.post("/v1/people/batch", json=items, headers=headers)
        assert again.status_code == 200, again.text
        before, after = first.json()["results"], again.json()["results"]
        assert [r["status"] for r in before] == ["created", "rejected", "created", "created", "created"]
        assert [r["status"] for r in after] == ["matched", "rejected", "matched", "matched", "matched"]
        assert [r.get("person_id") for r in after] == [r.get("person_id") for r in before]
        stored = await owner_conn.fetchval(
            "SELECT count(*) FROM person_records WHERE org_id = $1 AND external_ref LIKE 'R-%'", org_id
        )
        assert stored == 4

    async def test_references_are_found_again_however_written(self, client, council, monkeypatch):
        # A batch's references are looked up while it is validated, from the raw items: a reference
        # written with spaces is the same one, and ones validation refuses change nothing.
        _, headers = council
        first = await client.post(
            "/v1/people/batch",
            json=[person(external_ref="S-1", given_name="Ada"), person(external_ref="S-2", given_name="Bea")],
            headers=headers,
        )
        ids = [r["person_id"] for r in first.json()["results"]]
        again = [
            person(external_ref="  S-1 ", given_name="Ada"),
            person(external_ref=7, given_name="Cy"),
            person(external_ref="S-\u0000", given_name="Di"),
            person(external_ref="S" * 101, given_name="Ed"),
            person(external_ref="S-2", given_name="Bea"),
        ]
        response = await client.post("/v1/people/batch", json=again, headers=headers)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["matched", "rejected", "rejected", "rejected", "matched"]
        assert [results[0]["person_id"], results[4]["person_id"]] == ids
        # A reference the early lookup missed is looked up after validation instead.
        monkeypatch.setattr(people_service, "_likely_refs", lambda items: [])
        response = await client.post("/v1/people/batch", json=[again[0], again[4]], headers=headers)
        assert [r["person_id"] for r in response.json()["results"]] == ids

    async def test_oversize_batch_is_413(self, client, council):
        _, headers = council
        response = await client.post("/v1/people/batch", json=[{"given_name": "A"}] * 5001, headers=headers)
        assert response.status_code == 413
        assert response.json()["code"] == "batch_too_large"

    async def test_malformed_batches(self, client, council):
        _, headers = council
        bad_json = await client.post(
            "/v1/people/batch", content=b"[{", headers={**headers, "Content-Type": "application/json"}
        )
        assert bad_json.status_code == 400
        not_array = await client.post("/v1/people/batch", json={"given_name": "A"}, headers=headers)
        assert not_array.status_code == 400
        empty = await client.post("/v1/people/batch", json=[], headers=headers)
        assert empty.status_code == 400


class TestConcurrentReferences:
    """Concurrent submissions of one organisation's reference take turns on advisory locks, few
    enough that batches at once cannot fill PostgreSQL's shared lock table."""

    async def _advisory_locks_taken(self, app, org_id, refs) -> list[tuple[str, str]]:
        async with app.state.db.session(org_id=org_id) as session:
            async with db_session.statement_queue(session) as queue:
                found = identity_repo.queue_records_by_external_ref(queue, org_id, refs)
            assert await found == {}
            rows = await (await db_session.driver_connection(session)).fetch(
                "SELECT mode, granted FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        return sorted((r["mode"], str(r["granted"])) for r in rows)

    async def test_a_large_set_locks_the_organisation_once(self, app, council):
        org_id, _ = council
        refs = [f"L-{i}" for i in range(identity_repo.MOST_REF_LOCKS + 1)]
        assert await self._advisory_locks_taken(app, org_id, refs) == [("ExclusiveLock", "True")]

    async def test_a_small_set_locks_each_reference_under_a_shared_lock(self, app, council):
        org_id, _ = council
        assert await self._advisory_locks_taken(app, org_id, ["S-1", "S-2", "S-1"]) == [
            ("ExclusiveLock", "True"),
            ("ExclusiveLock", "True"),
            ("ShareLock", "True"),
        ]

    async def test_batches_at_once_beyond_one_lock_per_reference(self, client, platform):
        # Three full batches at once: locked one by one, their 15,000 references overflowed a stock
        # server's lock table (64 × 100 entries, and some room to spare), and a batch failed.
        orgs = [await org_with_token(platform) for _ in range(3)]

        def batch(n: int) -> list[dict]:
            # Names alone (no keys to look candidates up by), each of its own: cheap to resolve, and
            # nothing for the tests that learn from the shared database's records to pair up.
            return [
                {
                    "given_name": random_data.name(12),
                    "family_name": random_data.name(12),
                    "external_ref": f"C-{i}",
                }
                for i in range(people_service.MAX_BATCH)
            ]

        responses = await asyncio.gather(
            *(client.post("/v1/people/batch", json=batch(n), headers=h) for n, (_, h) in enumerate(orgs))
        )
        assert [r.status_code for r in responses] == [200] * 3, [r.text[:300] for r in responses]
        assert all(r.json()["created"] == people_service.MAX_BATCH for r in responses)

    async def test_a_reference_in_a_batch_and_posted_alone_at_once_is_one_record(
        self, client, council, owner_conn
    ):
        org_id, headers = council
        items = [person(external_ref=f"RACE-{i}") for i in range(identity_repo.MOST_REF_LOCKS + 10)]
        alone = items[5] | {"phone": "07911 100777"}
        batch, single = await asyncio.gather(
            client.post("/v1/people/batch", json=items, headers=headers),
            client.post("/v1/people", json=alone, headers=headers),
        )
        assert batch.status_code == 200, batch.text
        assert single.status_code in (200, 201), single.text
        stored = await owner_conn.fetchval(
            "SELECT count(*) FROM person_records WHERE org_id = $1 AND external_ref = 'RACE-5'", org_id
        )
        assert stored == 1
