"""People over HTTP: register, resolve across organisations, read, update, find, batch."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import orjson
import pytest

from app.db import session as db_session
from app.identity import resolution_repository as resolution_repo
from app.identity import service as identity_service
from app.people import service as people_service
from tests.factories import org_with_token, platform_decision, random_data, unique_resident

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

    async def test_an_external_ref_reposted_for_someone_else_is_held_for_review(
        self, client, council, owner_conn
    ):
        """SPEC §3: a reference whose record's given name and date of birth both clearly differ is
        not overwritten; the new record waits for the organisation's reviewers."""
        org_id, headers = council
        body = person(external_ref="CASE-WRONG")
        first = (await client.post("/v1/people", json=body, headers=headers)).json()
        someone_else = body | {"given_name": "Bartholomew", "date_of_birth": doubted(body)["date_of_birth"]}
        held = await client.post("/v1/people", json=someone_else, headers=headers)
        assert held.status_code == 202, held.text
        assert held.json()["resolution"] == {"status": "review", "reason": "external_ref_conflict"}
        assert held.json()["person_id"] != first["person_id"]
        view = (
            await client.get(
                f"/v1/people/{first['person_id']}", params={"purpose": "service_delivery"}, headers=headers
            )
        ).json()
        assert view["attributes"]["given_name"]["value"] == "Margaret"
        assert view["attributes"]["date_of_birth"]["value"] == body["date_of_birth"]
        assert view["external_refs"] == ["CASE-WRONG"]
        review = await owner_conn.fetchrow(
            "SELECT d.org_id, d.queue, d.method, d.candidate_id, p.status FROM identity_decisions d "
            "JOIN org_people o ON o.canonical_id = d.person_id JOIN people p ON p.id = d.person_id "
            "WHERE o.org_person_id = $1 AND d.status = 'review'",
            uuid.UUID(held.json()["person_id"]),
        )
        holder = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(first["person_id"])
        )
        assert (review["queue"], review["method"], review["status"]) == (
            "organisation",
            "external_ref_conflict",
            "provisional",
        )
        assert (review["candidate_id"], review["org_id"]) == (holder, org_id)
        # The reference still names the record it named, and it alone.
        found = (
            await client.get("/v1/people", params={"external_ref": "CASE-WRONG"}, headers=headers)
        ).json()
        assert found["items"] == [{"person_id": first["person_id"], "external_ref": "CASE-WRONG"}]
        # Only one of the two differing is no conflict: a new given name (a nickname) is a claim.
        renamed = await client.post("/v1/people", json=body | {"given_name": "Peggy"}, headers=headers)
        assert renamed.status_code == 200 and renamed.json()["person_id"] == first["person_id"]
        assert "reason" not in renamed.json()["resolution"]

    async def test_an_idempotency_key_makes_a_retry_the_first_answer(self, client, council, owner_conn):
        org_id, headers = council
        keyed = {**headers, "Idempotency-Key": "register-1"}
        body = person()  # no external_ref
        first = await client.post("/v1/people", json=body, headers=keyed)
        again = await client.post("/v1/people", json=body, headers=keyed)
        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        records = "SELECT count(*) FROM person_records WHERE org_id = $1"
        assert await owner_conn.fetchval(records, org_id) == 1

    async def test_in_a_batch_the_conflicting_record_is_held_by_index(self, client, council):
        _, headers = council
        body = person(external_ref="CASE-BATCH")
        first = (await client.post("/v1/people", json=body, headers=headers)).json()
        someone_else = body | {"given_name": "Bartholomew", "date_of_birth": doubted(body)["date_of_birth"]}
        response = await client.post("/v1/people/batch", json=[person(), someone_else], headers=headers)
        assert response.status_code == 200, response.text
        result = response.json()["results"][1]
        assert (result["status"], result["reason"]) == ("review", "external_ref_conflict")
        assert result["person_id"] != first["person_id"]

    async def test_two_organisations_get_different_ids_for_the_same_person(
        self, client, council, charity, owner_conn
    ):
        _, council_headers = council
        _, charity_headers = charity
        body = person()
        a = (await client.post("/v1/people", json=body, headers=council_headers)).json()
        b = await client.post(
            "/v1/people", json=body | {"email": body["email"].upper()}, headers=charity_headers
        )
        # New to the charity, so "created": that the council knows her is not the charity's to learn.
        assert b.status_code == 201, b.text
        assert b.json()["resolution"] == {"status": "created"}
        assert b.json()["person_id"] != a["person_id"]
        # The platform linked her silently: one person behind both ids.
        decision = await platform_decision(owner_conn, b.json()["person_id"])
        assert (decision["status"], decision["answered"]) == ("matched", "created")
        assert decision["score"] > 0.99
        assert await platform_decision(owner_conn, a["person_id"]) is not None
        canonical = "SELECT canonical_id FROM org_people WHERE org_person_id = $1"
        assert await owner_conn.fetchval(canonical, uuid.UUID(a["person_id"])) == await owner_conn.fetchval(
            canonical, uuid.UUID(b.json()["person_id"])
        )
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
        assert matched["resolution"]["status"] == "created"  # new to the charity (linked silently)
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
        ("field", "value", "message"),
        [
            ("phone", "12", "is not a valid phone number (UK numbers may omit +44)"),
            ("date_of_birth", "2999-01-01", "must not be in the future"),
            (
                "date_of_birth",
                "1900-01-01",
                "must not be more than 120 years ago",
            ),  # a case system's placeholder
        ],
    )
    async def test_a_bad_optional_value_is_dropped_and_the_record_kept(
        self, client, council, owner_conn, field, value, message
    ):
        """SPEC §2: a phone the validator refuses or an implausible date of birth is left out, the
        rest kept, and the answer warns of it — alone and in a batch."""
        org_id, headers = council
        body = person(**{field: value}, verified=[field])
        alone = await client.post("/v1/people", json=body, headers=headers)
        assert alone.status_code == 201, alone.text
        assert alone.json()["warnings"] == [{"field": field, "message": message}]
        claims = await owner_conn.fetchval(
            "SELECT r.claims FROM person_records r JOIN org_people o ON o.canonical_id = r.person_id "
            "WHERE o.org_person_id = $1 AND r.org_id = $2",
            uuid.UUID(alone.json()["person_id"]),
            org_id,
        )
        stored = orjson.loads(claims) if isinstance(claims, str) else claims
        assert field not in stored and "family_name" in stored
        other = person(**{field: value})
        batch = await client.post("/v1/people/batch", json=[other], headers=headers)
        assert batch.status_code == 200, batch.text
        [result] = batch.json()["results"]
        assert result["status"] in ("created", "matched", "review")
        assert result["warnings"] == [{"field": field, "message": message}]

    @pytest.mark.parametrize(
        ("field", "value", "named"),
        [
            ("email", "not-an-email", "email"),
            ("address", {"postcode": "NOT A POSTCODE"}, "address.postcode"),
            ("given_name", "   ", "given_name"),
            ("given_name", "1234", "given_name"),
            ("uprn", "12ab", "uprn"),
            (
                "date_of_birth",
                "31/12/1980",
                "date_of_birth",
            ),  # ISO dates only in JSON (the import reads others)
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

    async def test_an_email_verified_on_both_sides_matches_without_scoring(
        self, client, council, charity, owner_conn
    ):
        body = person(verified=["email"])
        first = await client.post("/v1/people", json=body, headers=council[1])
        moved = {**body, "address": {"line1": "1 New Road", "postcode": "RS9 9ZZ"}, "phone": "07911 123456"}
        second = await client.post("/v1/people", json=moved, headers=charity[1])
        assert first.status_code == 201 and second.status_code == 201, second.text
        assert second.json()["resolution"] == {"status": "created"}
        decision = await platform_decision(owner_conn, second.json()["person_id"])
        assert (decision["status"], decision["method"], decision["score"]) == (
            "matched",
            "verified_email",
            None,
        )
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


def resident() -> dict:
    """A resident of a given name of her own too: records made wrong on purpose (a birthday far
    off) must find her records, not another test's resident of that name and birthday."""
    return person(given_name=random_data.name())


def doubted(her: dict) -> dict:
    """Her name and address with her birthday quite wrong (year, month and day all different): near
    enough to be held for review, too far for a match."""
    born = date.fromisoformat(her["date_of_birth"])
    wrong = date(born.year + (17 if born.year < 1980 else -17), born.month % 12 + 1, born.day % 28 + 1)
    if (wrong.month, wrong.day) == (1, 1):  # the 1st of January is a placeholder to matching: no evidence
        wrong = wrong.replace(day=3)
    return {k: her[k] for k in ("given_name", "family_name", "address")} | {
        "date_of_birth": wrong.isoformat()
    }


def _shape(value):
    """A JSON value with each leaf replaced by its type's name."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


class TestNoOracle:
    """A registration answer speaks only of the organisation's own records: a café that knows a
    resident's name and birthday learns nothing of whether another organisation knows her."""

    @pytest.fixture
    async def cafe(self, platform):
        return await org_with_token(
            platform, "people:read people:write consent:write", sector="commercial", kind="cafe"
        )

    @staticmethod
    async def _what_the_cafe_sees(client, headers, record: dict) -> list:
        """The café registers the resident, then again under another reference of its own, then in
        a batch beside a stranger: each answer's status code, and its body as keys and types with
        the resolutions' statuses kept (ids differ, of course)."""
        seen = []
        first = await client.post(
            "/v1/people",
            json=record
            | {
                "external_ref": "TILL-1",
                "consent": {
                    "purpose": "offers",
                    "categories": ["contact"],
                    "method": "recorded_by_org",
                    "evidence": {"kind": "verbal", "reference": "till 3"},
                },
            },
            headers=headers,
        )
        again = await client.post("/v1/people", json=record | {"external_ref": "TILL-2"}, headers=headers)
        batch = await client.post(
            "/v1/people/batch",
            json=[record | {"external_ref": "TILL-3"}, person(given_name="Stranger")],
            headers=headers,
        )
        for response in (first, again):
            body = response.json()
            seen.append((response.status_code, _shape(body), body["resolution"]))
        body = batch.json()
        seen.append(
            (batch.status_code, _shape(body), [r["status"] for r in body["results"]], body["created"])
        )
        return seen

    @pytest.mark.parametrize(
        "what_the_cafe_knows",
        [
            pytest.param(
                lambda her: {k: her[k] for k in ("given_name", "family_name", "date_of_birth")},
                id="name-and-birthday",
            ),
            pytest.param(
                lambda her: {k: her[k] for k in ("given_name", "family_name", "date_of_birth", "phone")},
                id="and-a-guess-at-her-phone",
            ),
            pytest.param(lambda her: her, id="everything-the-food-bank-holds"),
            pytest.param(doubted, id="a-birthday-near-enough-for-review"),
            pytest.param(lambda her: her | {"verified": ["email"]}, id="her-email-verified"),
        ],
    )
    async def test_the_cafe_sees_the_same_whether_or_not_the_food_bank_knows_her(
        self, client, platform, cafe, what_the_cafe_knows, owner_conn
    ):
        _, food_bank = await org_with_token(platform, sector="social", kind="food_bank")
        known = resident() | {"verified": ["email"]}
        registered = await client.post("/v1/people", json=known, headers=food_bank)
        assert registered.status_code == 201, registered.text
        stranger = resident() | {"verified": ["email"]}  # nobody knows her
        _, other_cafe = await org_with_token(
            platform, "people:read people:write consent:write", sector="commercial", kind="cafe"
        )
        her_known = await self._what_the_cafe_sees(client, cafe[1], what_the_cafe_knows(known))
        her_unknown = await self._what_the_cafe_sees(client, other_cafe, what_the_cafe_knows(stranger))
        assert her_known == her_unknown
        assert [s[0] for s in her_known] == [201, 200, 200]
        assert her_known[0][2] == {"status": "created"} and her_known[1][2] == {"status": "matched"}
        assert her_known[2][2] == ["matched", "created"]

    async def test_the_platform_links_or_holds_what_the_cafe_is_not_told(
        self, client, platform, cafe, owner_conn
    ):
        _, food_bank = await org_with_token(platform, sector="social", kind="food_bank")
        her = resident()
        known = (await client.post("/v1/people", json=her, headers=food_bank)).json()
        linked = (await client.post("/v1/people", json=her, headers=cafe[1])).json()
        doubtful = doubted(her)
        _, another_cafe = await org_with_token(platform, sector="commercial", kind="cafe")
        held = await client.post("/v1/people", json=doubtful, headers=another_cafe)
        assert (held.status_code, held.json()["resolution"]) == (201, {"status": "created"})
        canonical = "SELECT canonical_id FROM org_people WHERE org_person_id = $1"
        assert await owner_conn.fetchval(
            canonical, uuid.UUID(linked["person_id"])
        ) == await owner_conn.fetchval(canonical, uuid.UUID(known["person_id"]))
        decision = await platform_decision(owner_conn, held.json()["person_id"])
        assert (decision["status"], decision["answered"]) == ("review", "created")
        assert decision["candidate_id"] == await owner_conn.fetchval(canonical, uuid.UUID(known["person_id"]))

    async def test_a_person_the_cafe_holds_an_id_for_is_not_confirmed_by_others_records(
        self, client, platform, cafe, owner_conn
    ):
        # The café knows a card holder only by their card. Registering a guessed name and birthday
        # that the food bank's record of the card holder matches must not come back as the card
        # holder's id: that would tell the café who the card holder is.
        _, food_bank = await org_with_token(platform, sector="social", kind="food_bank")
        admin = await platform.admin_headers()
        her = resident()
        known = (await client.post("/v1/people", json=her, headers=food_bank)).json()
        canonical = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(known["person_id"])
        )
        card = (await client.post(f"/v1/admin/people/{canonical}/card", headers=admin)).json()["card_token"]
        _, till = await org_with_token(
            platform, "people:write rewards:redeem", sector="commercial", kind="cafe"
        )
        holder = await client.post("/v1/cards/resolve", json={"card_token": card}, headers=till)
        assert holder.status_code == 200, holder.text
        guess = {k: her[k] for k in ("given_name", "family_name", "date_of_birth", "address")}
        registered = await client.post("/v1/people", json=guess, headers=till)
        assert (registered.status_code, registered.json()["resolution"]) == (201, {"status": "created"})
        assert registered.json()["person_id"] != holder.json()["person_id"]
        decision = await platform_decision(owner_conn, registered.json()["person_id"])
        assert (decision["status"], decision["candidate_id"]) == ("review", canonical)

    async def test_no_answer_carries_a_score(self, client, platform, council, charity):
        _, food_bank = await org_with_token(platform, sector="social", kind="food_bank")
        her = resident()
        doubtful = doubted(her)
        await client.post("/v1/people", json=her, headers=food_bank)
        answers = [
            await client.post("/v1/people", json=her, headers=council[1]),  # linked across organisations
            await client.post("/v1/people", json=her, headers=council[1]),  # its own
            await client.post("/v1/people", json=doubtful, headers=council[1]),  # possibly its own
            await client.post("/v1/people", json=doubtful, headers=charity[1]),  # possibly the food bank's
            await client.post(
                "/v1/people/batch", json=[her, doubtful, person(), her | {"phone": "x"}], headers=charity[1]
            ),
        ]
        assert [a.status_code for a in answers] == [201, 200, 202, 201, 200]
        for answer in answers:
            assert not {"score", "candidate_id", "explanation", "probability"} & _keys(answer.json())


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

    async def test_a_disabled_client_reads_nothing_and_nothing_is_logged(self, client, platform, owner_conn):
        org = await platform.make_org()
        creds = await platform.make_client(org.id, ["people:read", "people:write"])
        headers = {"Authorization": f"Bearer {await platform.token(creds)}"}
        created = (await client.post("/v1/people", json=person(), headers=headers)).json()
        admin = await platform.admin_headers()
        disabled = await client.post(f"/v1/admin/clients/{creds.client_id}/disable", headers=admin)
        assert disabled.status_code == 200
        response = await client.get(
            f"/v1/people/{created['person_id']}", params={"purpose": "service_delivery"}, headers=headers
        )
        assert response.status_code == 401 and "disabled" in response.json()["detail"]
        assert await owner_conn.fetchval("SELECT count(*) FROM access_log WHERE org_id = $1", org.id) == 0

    @pytest.mark.parametrize(
        "query",
        [
            {},  # no purpose
            {"purpose": "service_delivery", "limit": "0"},
            {"purpose": "service_delivery", "limit": "many"},
            {"purpose": "service_delivery", "limit": "501", "cursor": "%%%"},
            {"purpose": "service_delivery", "cursor": "bm90IGpzb24"},
        ],
    )
    async def test_the_lean_routes_query_errors_are_fastapis(self, client, platform, query):
        # The profile and the timeline are DirectRoutes (the timeline's paging a dependency of
        # query parameters); relationships an ordinary route of the same parameters: answered alike.
        scopes = "people:read people:write interactions:read relationships:read"
        _, headers = await org_with_token(platform, scopes=scopes)
        created = (await client.post("/v1/people", json=person(), headers=headers)).json()
        base = f"/v1/people/{created['person_id']}"
        ordinary = await client.get(f"{base}/relationships", params=query, headers=headers)
        timeline = await client.get(f"{base}/timeline", params=query, headers=headers)
        assert ordinary.status_code in (400, 422)

        def problem(response) -> dict:
            return {k: v for k, v in response.json().items() if k != "instance"}

        assert (timeline.status_code, problem(timeline)) == (ordinary.status_code, problem(ordinary))
        if "limit" not in query and "cursor" not in query:
            lean = await client.get(base, params=query, headers=headers)
            assert (lean.status_code, lean.json()["errors"]) == (422, ordinary.json()["errors"])

    async def test_a_bad_id_is_422_naming_it(self, client, council):
        _, headers = council
        response = await client.get("/v1/people/not-a-uuid", params={"purpose": "offers"}, headers=headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "person_id"


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
        self, client, council, monkeypatch, owner_conn
    ):
        monkeypatch.setattr(identity_service, "CHUNK", 2)
        _, headers = council
        rosa = person(given_name="Rosa", verified=["email"])
        moved = rosa | {"address": {"line1": "1 New Road", "postcode": "RS9 9ZZ"}, "phone": "07911 100300"}
        items = [rosa, person(given_name="Bea"), person(given_name="Cy"), moved]
        response = await client.post("/v1/people/batch", json=items, headers=headers)
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["created", "created", "created", "matched"]
        assert results[3]["person_id"] == results[0]["person_id"] and "score" not in results[3]
        decision = await platform_decision(owner_conn, results[3]["person_id"])
        assert (decision["method"], decision["score"]) == ("verified_email", None)

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
                found = resolution_repo.queue_records_by_external_ref(queue, org_id, refs)
            assert await found == {}
            rows = await (await db_session.driver_connection(session)).fetch(
                "SELECT mode, granted FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        return sorted((r["mode"], str(r["granted"])) for r in rows)

    async def test_a_large_set_locks_the_organisation_once(self, app, council):
        org_id, _ = council
        refs = [f"L-{i}" for i in range(resolution_repo.MOST_REF_LOCKS + 1)]
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
        items = [person(external_ref=f"RACE-{i}") for i in range(resolution_repo.MOST_REF_LOCKS + 10)]
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
