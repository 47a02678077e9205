"""Consent over HTTP: one organisation reads what another holds only through a grant, for the
purpose granted, until it is withdrawn or expires; every grant and withdrawal has a verifiable
receipt; every read is in the access log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from app.auth.principal import Principal
from app.consent import access as consent_access
from app.consent import service as consent_service
from tests.conftest import SERVICE_KEY
from tests.factories import org_with_token, unique_resident

SCOPES = "people:read people:write consent:read consent:write interactions:write"
RECORDED = {"method": "recorded_by_org", "evidence": {"kind": "written", "reference": "form 7"}}


class Pair:
    """Organisation A registered a resident in full; organisation B registered the same resident
    knowing only their surname, birthday and email, and so holds its own id for them."""

    def __init__(self, client, a, b, a_id, b_id, body):
        self.client = client
        (self.a_org, self.a), (self.b_org, self.b) = a, b
        self.a_id, self.b_id, self.body = a_id, b_id, body

    async def b_view(self, purpose: str = "service_delivery") -> dict:
        response = await self.client.get(
            f"/v1/people/{self.b_id}", params={"purpose": purpose}, headers=self.b
        )
        assert response.status_code == 200, response.text
        return response.json()["attributes"]

    async def grant(self, categories, purpose="service_delivery", **extra):
        return await self.client.post(
            f"/v1/people/{self.b_id}/consents",
            json={"purpose": purpose, "categories": categories, **RECORDED, **extra},
            headers=self.b,
        )


@pytest.fixture
async def pair(client, platform) -> Pair:
    a = await org_with_token(platform, SCOPES)
    b = await org_with_token(platform, SCOPES, sector="social", kind="charity")
    body = unique_resident()
    ra = await client.post("/v1/people", json=body, headers=a[1])
    assert ra.status_code == 201, ra.text
    rb = await client.post(
        "/v1/people",
        json={k: body[k] for k in ("family_name", "date_of_birth", "email")},
        headers=b[1],
    )
    # New to b, which is told no more: the platform links its record to a's person silently.
    assert rb.status_code == 201 and rb.json()["resolution"] == {"status": "created"}, rb.text
    return Pair(client, a, b, ra.json()["person_id"], rb.json()["person_id"], body)


class TestPurposes:
    async def test_catalogue_lists_purposes_and_categories(self, client, pair):
        body = (await client.get("/v1/purposes", headers=pair.b)).json()
        assert [p["purpose"] for p in body["purposes"]] == [
            "service_delivery",
            "case_coordination",
            "rewards",
            "offers",
            "research",
        ]
        assert {c["category"] for c in body["categories"]} == {
            "identity",
            "contact",
            "address",
            "interactions",
            "relationships",
            "rewards",
        }
        assert all(p["description"] for p in body["purposes"])

    async def test_needs_a_token(self, client):
        assert (await client.get("/v1/purposes")).status_code == 401


class TestEnforcement:
    async def test_without_a_grant_b_sees_only_what_it_asserted(self, pair):
        assert set(await pair.b_view()) == {"family_name", "date_of_birth", "email"}

    async def test_a_grant_shows_exactly_its_categories(self, pair):
        assert (await pair.grant(["contact"])).status_code == 201
        view = await pair.b_view()
        assert set(view) == {"family_name", "date_of_birth", "email", "phone"}
        assert view["phone"]["value"].startswith("+447911")
        assert view["phone"]["source_sector"] == "public"  # A's claim, with its provenance

        assert (await pair.grant(["identity", "address"])).status_code == 201
        view = await pair.b_view()
        assert view["given_name"]["value"] == "Margaret"
        assert view["address"]["value"]["postcode"] == pair.body["address"]["postcode"]

    async def test_wrong_purpose_sees_nothing_more(self, pair):
        await pair.grant(["contact", "identity", "address"], purpose="case_coordination")
        assert set(await pair.b_view("offers")) == {"family_name", "date_of_birth", "email"}
        assert "phone" in await pair.b_view("case_coordination")

    async def test_withdrawal_takes_effect_on_the_next_request(self, client, pair):
        consent = (await pair.grant(["contact"])).json()
        assert "phone" in await pair.b_view()
        response = await client.delete(
            f"/v1/people/{pair.b_id}/consents/{consent['consent_id']}", headers=pair.b
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "withdrawn"
        assert "phone" not in await pair.b_view()

    async def test_expiry_takes_effect_on_the_next_request(self, pair, owner_conn):
        consent = (await pair.grant(["contact"])).json()
        assert "phone" in await pair.b_view()
        # Time passes: the grant's expiry is now behind us.
        await owner_conn.execute(
            "UPDATE consent_grants SET expires_at = now() - interval '1 second' WHERE id = $1",
            uuid.UUID(consent["consent_id"]),
        )
        assert "phone" not in await pair.b_view()
        listed = (await pair.client.get(f"/v1/people/{pair.b_id}/consents", headers=pair.b)).json()
        assert listed["items"][0]["status"] == "expired"

    async def test_the_granting_organisation_only(self, client, platform, pair):
        await pair.grant(["contact", "identity", "address"])
        c = await org_with_token(platform, SCOPES)
        rc = await client.post(
            "/v1/people",
            json={k: pair.body[k] for k in ("family_name", "date_of_birth", "email")},
            headers=c[1],
        )
        view = (
            await client.get(
                f"/v1/people/{rc.json()['person_id']}", params={"purpose": "service_delivery"}, headers=c[1]
            )
        ).json()["attributes"]
        assert set(view) == {"family_name", "date_of_birth", "email"}

    async def test_a_always_sees_what_it_asserted(self, client, pair):
        view = (
            await client.get(f"/v1/people/{pair.a_id}", params={"purpose": "offers"}, headers=pair.a)
        ).json()["attributes"]
        assert {"given_name", "phone", "address", "email"} <= set(view)


class TestRowLevelSecurity:
    """The database's own check, with the service layer out of the way."""

    async def _records_of_a_seen_by_b(self, conn, pair, purpose: str | None) -> int:
        async with conn.transaction():
            await conn.fetchval("SELECT kith_begin($1, false, NULL, $2)", pair.b_org, SERVICE_KEY)
            if purpose:
                await conn.execute("SELECT set_config('kith.purpose', $1, true)", purpose)
            return await conn.fetchval("SELECT count(*) FROM person_records WHERE org_id = $1", pair.a_org)

    async def test_rls_alone_hides_ungranted_rows(self, client, pair, app_role_conn):
        assert await self._records_of_a_seen_by_b(app_role_conn, pair, "service_delivery") == 0
        consent = (await pair.grant(["contact"])).json()
        assert await self._records_of_a_seen_by_b(app_role_conn, pair, "service_delivery") == 1
        assert await self._records_of_a_seen_by_b(app_role_conn, pair, "offers") == 0
        assert await self._records_of_a_seen_by_b(app_role_conn, pair, None) == 0
        await client.delete(f"/v1/people/{pair.b_id}/consents/{consent['consent_id']}", headers=pair.b)
        assert await self._records_of_a_seen_by_b(app_role_conn, pair, "service_delivery") == 0

    async def test_a_grant_does_not_let_b_write_a_rows(self, pair, app_role_conn):
        await pair.grant(["contact", "identity", "address"])
        async with app_role_conn.transaction():
            await app_role_conn.fetchval("SELECT kith_begin($1, false, NULL, $2)", pair.b_org, SERVICE_KEY)
            await app_role_conn.execute("SELECT set_config('kith.purpose', 'service_delivery', true)")
            status = await app_role_conn.execute(
                "UPDATE person_records SET claims = '{}' WHERE org_id = $1", pair.a_org
            )
        assert status == "UPDATE 0"


class TestGrants:
    async def test_grant_is_listed_with_its_receipt(self, client, pair):
        response = await pair.grant(
            ["contact"], expires_at=(datetime.now(UTC) + timedelta(days=30)).isoformat()
        )
        assert response.status_code == 201
        grant = response.json()
        assert grant["status"] == "active" and grant["method"] == "recorded_by_org"
        assert grant["evidence"] == {"kind": "written", "reference": "form 7"}
        assert len(grant["receipt_ids"]) == 1
        listed = (await client.get(f"/v1/people/{pair.b_id}/consents", headers=pair.b)).json()["items"]
        assert [g["consent_id"] for g in listed] == [grant["consent_id"]]

    async def test_the_same_grant_again_is_the_same_grant(self, pair):
        first = await pair.grant(["contact", "address"])
        again = await pair.grant(["address", "contact"])
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["consent_id"] == first.json()["consent_id"]

    async def test_withdrawing_twice_is_idempotent(self, client, pair):
        consent = (await pair.grant(["contact"])).json()
        url = f"/v1/people/{pair.b_id}/consents/{consent['consent_id']}"
        first = (await client.delete(url, headers=pair.b)).json()
        second = await client.delete(url, headers=pair.b)
        assert second.status_code == 200
        assert second.json()["withdrawn_at"] == first["withdrawn_at"]
        assert len(second.json()["receipt_ids"]) == 2  # the grant's and one withdrawal's

    async def test_consent_can_arrive_with_the_registration(self, client, platform):
        _, headers = await org_with_token(platform, SCOPES)
        body = unique_resident(
            consent={
                "purpose": "rewards",
                "categories": ["rewards"],
                "method": "recorded_by_org",
                "evidence": {"kind": "verbal", "reference": "at the desk"},
            }
        )
        response = await client.post("/v1/people", json=body, headers=headers)
        assert response.status_code == 201, response.text
        consent = response.json()["consent"]
        assert consent["purpose"] == "rewards" and consent["status"] == "active"
        listed = (
            await client.get(f"/v1/people/{response.json()['person_id']}/consents", headers=headers)
        ).json()
        assert [g["consent_id"] for g in listed["items"]] == [consent["consent_id"]]

    async def test_consent_with_registration_needs_the_consent_scope(self, client, platform):
        _, headers = await org_with_token(platform, "people:write")
        body = unique_resident(
            consent={
                "purpose": "rewards",
                "categories": ["rewards"],
                "method": "recorded_by_org",
                "evidence": {"kind": "verbal", "reference": "at the desk"},
            }
        )
        response = await client.post("/v1/people", json=body, headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_scope"

    async def test_consent_can_arrive_with_a_batch(self, client, platform, owner_conn):
        org_id, headers = await org_with_token(platform, SCOPES)
        rewards = {
            "purpose": "rewards",
            "categories": ["rewards", "contact"],
            "method": "recorded_by_org",
            "evidence": {"kind": "verbal", "reference": "at the desk"},
        }
        later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        first, second, third = (unique_resident(external_ref=f"BC-{n}") for n in range(3))
        items = [
            first | {"consent": rewards},
            second | {"consent": {"purpose": "research", "categories": ["interactions"], **RECORDED}},
            third,
            first | {"consent": rewards},  # the same record and grant again: one grant
            second | {"consent": {**rewards, "expires_at": later}},  # another grant of the same person
        ]
        response = await client.post("/v1/people/batch", json=items, headers=headers)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r.get("consent_id") is not None for r in results] == [True, True, False, True, True]
        assert results[0]["consent_id"] == results[3]["consent_id"]
        assert len({r["consent_id"] for r in results if r.get("consent_id")}) == 3

        listed = (await client.get(f"/v1/people/{results[1]['person_id']}/consents", headers=headers)).json()
        grants = {g["consent_id"]: g for g in listed["items"]}
        assert set(grants) == {results[1]["consent_id"], results[4]["consent_id"]}
        research, lasting = grants[results[1]["consent_id"]], grants[results[4]["consent_id"]]
        assert (research["purpose"], research["categories"], research["status"]) == (
            "research", ["interactions"], "active"
        )  # fmt: skip
        assert lasting["categories"] == ["contact", "rewards"] and lasting["expires_at"] is not None
        keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
        for grant in (research, lasting):
            [receipt_id] = grant["receipt_ids"]
            receipt = (await client.get(f"/v1/consent-receipts/{receipt_id}", headers=headers)).json()
            signed = orjson.loads(jws.deserialize_compact(receipt["jws"], keys, algorithms=["ES256"]).payload)
            assert signed == receipt["receipt"] and signed["kith"]["consentId"] == grant["consent_id"]
            assert signed["piiPrincipalId"] == results[1]["person_id"]
        assert (
            "written, reference form 7"
            in (
                await client.get(f"/v1/consent-receipts/{research['receipt_ids'][0]}", headers=headers)
            ).json()["receipt"]["collectionMethod"]
        )

        events = await owner_conn.fetch(
            "SELECT payload FROM outbox_events WHERE org_id = $1 AND event_type = 'consent.granted'", org_id
        )
        assert sorted(orjson.loads(e["payload"])["consent_id"] for e in events) == sorted(
            {r["consent_id"] for r in results if r.get("consent_id")}
        )
        audited = await owner_conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'consent.granted'", org_id
        )
        assert audited == 3

        # Posted again: the grants are held already, so the same ones, and nothing new.
        again = (await client.post("/v1/people/batch", json=items, headers=headers)).json()["results"]
        assert [r.get("consent_id") for r in again] == [r.get("consent_id") for r in results]
        assert await owner_conn.fetchval("SELECT count(*) FROM consent_grants WHERE org_id = $1", org_id) == 3

    async def test_consent_in_a_batch_needs_the_consent_scope(self, client, platform, owner_conn):
        org_id, headers = await org_with_token(platform, "people:write")
        items = [
            unique_resident(),
            unique_resident(
                consent={
                    "purpose": "rewards",
                    "categories": ["rewards"],
                    "method": "recorded_by_org",
                    "evidence": {"kind": "verbal", "reference": "at the desk"},
                }
            ),
        ]
        response = await client.post("/v1/people/batch", json=items, headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_scope"
        assert await owner_conn.fetchval("SELECT count(*) FROM person_records WHERE org_id = $1", org_id) == 0

    async def test_a_batch_record_whose_consent_has_expired_is_rejected_alone(self, client, platform):
        _, headers = await org_with_token(platform, SCOPES)
        past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        rewards = {
            "purpose": "rewards",
            "categories": ["rewards"],
            "method": "recorded_by_org",
            "evidence": {"kind": "verbal", "reference": "at the desk"},
        }
        items = [unique_resident(consent=rewards), unique_resident(consent={**rewards, "expires_at": past})]
        response = await client.post("/v1/people/batch", json=items, headers=headers)
        assert response.status_code == 200, response.text
        first, second = response.json()["results"]
        assert first["status"] == "created" and first["consent_id"]
        assert second["status"] == "rejected"
        assert second["errors"] == [{"field": "consent.expires_at", "message": "must be in the future"}]

    async def test_events_are_recorded(self, client, pair, owner_conn):
        consent = (await pair.grant(["contact"])).json()
        await client.delete(f"/v1/people/{pair.b_id}/consents/{consent['consent_id']}", headers=pair.b)
        rows = await owner_conn.fetch(
            "SELECT event_type, payload FROM outbox_events WHERE org_id = $1 AND event_type LIKE 'consent.%' ORDER BY id",
            pair.b_org,
        )
        assert [r["event_type"] for r in rows] == ["consent.granted", "consent.withdrawn"]
        payload = orjson.loads(rows[0]["payload"])
        assert payload["person_id"] == pair.b_id and payload["consent_id"] == consent["consent_id"]


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"purpose": "marketing"}, "purpose"),
            ({"categories": ["identity", "shoe_size"]}, "categories.1"),
            ({"categories": []}, "categories"),
            ({"method": "portal"}, "method"),
            ({"method": "recorded_by_org", "evidence": None}, "body"),
            ({"expires_at": "2020-01-01T00:00:00+00:00"}, "expires_at"),
            ({"expires_at": "2030-01-01T00:00:00"}, "expires_at"),
            ({"colour": "blue"}, "colour"),
        ],
    )
    async def test_invalid_grants_are_422_naming_the_field(self, client, pair, owner_conn, change, field):
        body = {"purpose": "service_delivery", "categories": ["contact"], **RECORDED, **change}
        response = await client.post(f"/v1/people/{pair.b_id}/consents", json=body, headers=pair.b)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert field in {e["field"] for e in response.json()["errors"]}
        assert (
            await owner_conn.fetchval("SELECT count(*) FROM consent_grants WHERE org_id = $1", pair.b_org)
            == 0
        )

    async def test_unknown_purpose_on_a_read_is_422(self, client, pair):
        response = await client.get(
            f"/v1/people/{pair.b_id}", params={"purpose": "curiosity"}, headers=pair.b
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "purpose"

    async def test_granting_for_a_person_not_linked_is_404(self, client, pair):
        # A's id for the person means nothing to B.
        response = await client.post(
            f"/v1/people/{pair.a_id}/consents",
            json={"purpose": "service_delivery", "categories": ["contact"], **RECORDED},
            headers=pair.b,
        )
        assert response.status_code == 404
        missing = await client.post(
            f"/v1/people/{uuid.uuid4()}/consents",
            json={"purpose": "service_delivery", "categories": ["contact"], **RECORDED},
            headers=pair.b,
        )
        assert missing.status_code == 404

    async def test_another_organisations_consent_and_receipt_are_404(self, client, pair):
        consent = (await pair.grant(["contact"])).json()
        receipt_id = consent["receipt_ids"][0]
        assert (await client.get(f"/v1/consent-receipts/{receipt_id}", headers=pair.a)).status_code == 404
        response = await client.delete(
            f"/v1/people/{pair.a_id}/consents/{consent['consent_id']}", headers=pair.a
        )
        assert response.status_code == 404
        listed = (await client.get(f"/v1/people/{pair.a_id}/consents", headers=pair.a)).json()
        assert listed["items"] == []

    async def test_scopes_are_enforced(self, client, platform, pair):
        _, read_only = await org_with_token(platform, "people:read consent:read")
        response = await client.post(
            f"/v1/people/{pair.b_id}/consents",
            json={"purpose": "service_delivery", "categories": ["contact"], **RECORDED},
            headers=read_only,
        )
        assert response.status_code == 403


class TestReceipts:
    async def test_receipts_verify_against_the_published_keys(self, client, pair):
        consent = (await pair.grant(["contact", "identity"])).json()
        withdrawn = (
            await client.delete(f"/v1/people/{pair.b_id}/consents/{consent['consent_id']}", headers=pair.b)
        ).json()
        keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
        events = []
        for receipt_id in withdrawn["receipt_ids"]:
            response = await client.get(f"/v1/consent-receipts/{receipt_id}", headers=pair.b)
            assert response.status_code == 200
            body = response.json()
            verified = jws.deserialize_compact(body["jws"], keys, algorithms=["ES256"])
            signed = orjson.loads(verified.payload)
            assert signed == body["receipt"]
            for field in (
                "version",
                "jurisdiction",
                "consentTimestamp",
                "collectionMethod",
                "consentReceiptID",
                "piiPrincipalId",
                "piiControllers",
                "policyUrl",
                "services",
                "sensitive",
            ):
                assert field in signed, field
            assert signed["consentReceiptID"] == receipt_id
            assert signed["piiPrincipalId"] == pair.b_id  # B's own id, never the platform's
            assert signed["services"][0]["purposes"][0]["purposeCategory"] == ["service_delivery"]
            events.append(signed["kith"]["event"])
        assert events == ["granted", "withdrawn"]

    async def test_a_tampered_receipt_does_not_verify(self, client, pair):
        consent = (await pair.grant(["contact"])).json()
        body = (await client.get(f"/v1/consent-receipts/{consent['receipt_ids'][0]}", headers=pair.b)).json()
        header, payload, signature = body["jws"].split(".")
        forged = orjson.loads(jws_b64decode(payload)) | {"piiPrincipalId": str(uuid.uuid4())}
        tampered = ".".join([header, jws_b64encode(orjson.dumps(forged)), signature])
        keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
        with pytest.raises(Exception, match=r"(?i)signature"):
            jws.deserialize_compact(tampered, keys, algorithms=["ES256"])


def jws_b64decode(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jws_b64encode(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class TestAccessLog:
    async def test_every_read_appears_once(self, app, client, platform, pair, owner_conn):
        await pair.grant(["contact"])
        for purpose in ("service_delivery", "service_delivery", "offers"):
            await pair.b_view(purpose)
        person = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(pair.b_id)
        )
        admin = await platform.admin_headers()
        response = await client.get(f"/v1/admin/people/{person}/access-log", headers=admin)
        assert response.status_code == 200, response.text
        entries = [e for e in response.json()["items"] if e["organisation_id"] == str(pair.b_org)]
        assert [e["purpose"] for e in entries] == ["offers", "service_delivery", "service_delivery"]
        assert entries[1]["categories"] == ["contact", "identity"]  # phone from A; B's own surname etc.
        assert entries[0]["action"] == "profile" and entries[0]["client_id"]
        rows = await owner_conn.fetchval("SELECT count(*) FROM access_log WHERE org_id = $1", pair.b_org)
        assert rows == 3

    async def test_a_failed_read_is_not_logged(self, app, client, pair, owner_conn):
        response = await client.get(f"/v1/people/{pair.b_id}", params={"purpose": "nosy"}, headers=pair.b)
        assert response.status_code == 422
        assert await owner_conn.fetchval("SELECT count(*) FROM access_log WHERE org_id = $1", pair.b_org) == 0

    async def test_the_log_pages_newest_first(self, app, client, platform, pair, owner_conn):
        for _ in range(5):
            await pair.b_view()
        person = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(pair.b_id)
        )
        admin = await platform.admin_headers()
        seen, cursor = [], None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (
                await client.get(f"/v1/admin/people/{person}/access-log", params=params, headers=admin)
            ).json()
            seen += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        times = [e["read_at"] for e in seen]
        assert len(seen) == 5 and times == sorted(times, reverse=True)


class TestUpdates:
    async def test_changes_reach_only_organisations_that_may_see_them(
        self, client, platform, pair, owner_conn
    ):
        await pair.grant(["contact"], purpose="case_coordination")
        c = await org_with_token(platform, SCOPES)
        await client.post(
            "/v1/people",
            json={k: pair.body[k] for k in ("family_name", "date_of_birth", "email")},
            headers=c[1],
        )
        response = await client.patch(
            f"/v1/people/{pair.a_id}", json={"phone": "07911 199999"}, headers=pair.a
        )
        assert response.status_code == 200, response.text
        await client.patch(f"/v1/people/{pair.a_id}", json={"given_name": "Maggie"}, headers=pair.a)
        told = await owner_conn.fetch(
            "SELECT org_id, payload FROM outbox_events WHERE event_type = 'person.updated' "
            "AND org_id = ANY($1::uuid[])",
            [pair.a_org, pair.b_org, c[0]],
        )
        # B may see contact details (phone), not identity (the given name); C may see nothing.
        assert [(r["org_id"], orjson.loads(r["payload"])) for r in told] == [
            (pair.b_org, {"person_id": pair.b_id, "attributes": ["phone"]})
        ]
        assert (await pair.b_view("case_coordination"))["phone"]["value"] == "+447911199999"


class TestRequire:
    """The check writes that need a grant make (earning, spending): 403 without one covering the category."""

    async def test_require_refuses_without_a_covering_grant(self, app, pair, owner_conn):
        person = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(pair.b_id)
        )
        b = Principal(org_id=pair.b_org, client_id=None, scopes=frozenset({"interactions:read"}))

        async def check(purpose: str):
            async with app.state.db.session(org_id=pair.b_org) as session:
                return await consent_access.require(session, b, person, purpose, "interactions")

        with pytest.raises(consent_service.ConsentRequired):
            await check("case_coordination")
        await pair.grant(["interactions"], purpose="case_coordination")
        await check("case_coordination")  # covered now: no refusal
        with pytest.raises(consent_service.ConsentRequired):
            await check("offers")
