"""Residents' rights, through the service functions the portal calls: export, rectification,
grant and withdrawal, objection to research, erasure; and the access log surviving shutdown."""

from __future__ import annotations

import uuid

import httpx
import orjson
import pytest
from sqlalchemy import text

from app.auth.principal import Principal
from app.mail import repository as mail_outbox
from app.people.schemas import AttributesIn
from app.portal import service as portal_service
from app.rights import service as rights
from tests.audit.test_audit import _verify as verify_audit
from tests.conftest import make_settings, running_app
from tests.consent.test_endpoints import SCOPES, Pair
from tests.factories import Platform, org_with_token, unique_resident


@pytest.fixture
async def pair(client, platform) -> Pair:
    a = await org_with_token(platform, SCOPES)
    b = await org_with_token(platform, SCOPES, sector="social", kind="charity")
    body = unique_resident(external_ref=f"CASE-{uuid.uuid4().hex[:10]}")
    ra = await client.post("/v1/people", json=body, headers=a[1])
    rb = await client.post(
        "/v1/people", json={k: body[k] for k in ("family_name", "date_of_birth", "email")}, headers=b[1]
    )
    assert rb.json()["resolution"] == {"status": "created"}  # new to b; linked by the platform
    return Pair(client, a, b, ra.json()["person_id"], rb.json()["person_id"], body)


async def resident_of(owner_conn, pair: Pair) -> Principal:
    person = await owner_conn.fetchval(
        "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(pair.a_id)
    )
    return Principal.resident(person)


async def as_resident(app, fn, *args):
    async with app.state.db.session(platform=True) as session:
        return await fn(session, *args)


class TestExport:
    async def test_everything_held_in_one_document(self, app, pair, owner_conn, db_session):
        await pair.grant(["contact"])
        await pair.b_view()
        resident = await resident_of(owner_conn, pair)
        document = await rights.export(db_session, resident)
        text = orjson.dumps(document, default=str).decode()
        assert document["profile"]["attributes"]["phone"]["value"].startswith("+447911")
        sources = {c["source_sector"] for c in document["profile"]["claims"]}
        assert sources == {"public", "social"}
        assert pair.body["external_ref"] in text
        assert {o["organisation_id"] for o in document["organisations"]} == {pair.a_org, pair.b_org}
        [consent] = document["consents"]
        assert consent["receipts"][0]["jws"].count(".") == 2
        assert [e["purpose"] for e in document["access_log"]] == ["service_delivery"]
        assert document["person"]["status"] == "active"


class TestRectify:
    async def test_a_resident_claim_wins(self, app, client, pair, owner_conn):
        await client.post(
            f"/v1/people/{pair.a_id}/consents",
            json={
                "purpose": "service_delivery",
                "categories": ["identity"],
                "method": "recorded_by_org",
                "evidence": {"kind": "verbal", "reference": "at the desk"},
            },
            headers=pair.a,
        )
        resident = await resident_of(owner_conn, pair)
        changed = await as_resident(app, rights.rectify, resident, AttributesIn(given_name="Peggy"))
        assert changed == ["given_name"]
        view = (
            await client.get(
                f"/v1/people/{pair.a_id}", params={"purpose": "service_delivery"}, headers=pair.a
            )
        ).json()["attributes"]
        assert view["given_name"]["value"] == "Peggy"
        assert view["given_name"]["source_sector"] == "resident"
        # A was told (it may see identity); B, with no grant, was not.
        told = await owner_conn.fetch(
            "SELECT org_id, payload FROM outbox_events WHERE event_type = 'person.updated' "
            "AND org_id = ANY($1::uuid[])",
            [pair.a_org, pair.b_org],
        )
        assert [(r["org_id"], orjson.loads(r["payload"])) for r in told] == [
            (pair.a_org, {"person_id": pair.a_id, "attributes": ["given_name"]})
        ]

    async def test_without_a_grant_the_correction_stays_private(self, app, client, pair, owner_conn):
        resident = await resident_of(owner_conn, pair)
        await as_resident(app, rights.rectify, resident, AttributesIn(given_name="Peggy"))
        view = (
            await client.get(
                f"/v1/people/{pair.a_id}", params={"purpose": "service_delivery"}, headers=pair.a
            )
        ).json()["attributes"]
        assert view["given_name"]["value"] == "Margaret"


class TestResidentConsent:
    async def test_grant_and_withdraw_in_the_portal(self, app, pair, owner_conn):
        resident = await resident_of(owner_conn, pair)
        grant = await as_resident(app, rights.grant, resident, pair.b_org, "case_coordination", ["address"])
        assert grant["method"] == "portal" and grant["status"] == "active"
        assert "address" in await pair.b_view("case_coordination")
        known = await as_resident(app, rights.who_knows_me, resident)
        b = next(o for o in known if o["organisation_id"] == pair.b_org)
        assert [c["purpose"] for c in b["consents"]] == ["case_coordination"]
        assert await as_resident(app, rights.withdraw, resident, pair.b_org, "case_coordination") == 1
        assert "address" not in await pair.b_view("case_coordination")
        assert await as_resident(app, rights.withdraw, resident, pair.b_org, "case_coordination") == 0

    async def test_an_organisation_not_linked_cannot_be_granted(self, platform, pair, owner_conn, db_session):
        stranger = await platform.make_org()
        resident = await resident_of(owner_conn, pair)
        with pytest.raises(rights.OrganisationNotLinked):
            await rights.grant(db_session, resident, stranger.id, "offers", ["contact"])


class TestObjectToResearch:
    async def test_objection_withdraws_research_grants(self, pair, owner_conn, db_session):
        await pair.grant(["identity"], purpose="research")
        await pair.grant(["contact"], purpose="service_delivery")
        resident = await resident_of(owner_conn, pair)
        result = await rights.object_to_research(db_session, resident)
        assert result["objecting"] and result["grants_withdrawn"] == 1
        assert await db_session.scalar(
            text("SELECT research_objection_at IS NOT NULL FROM people WHERE id = :id"),
            {"id": resident.resident_id},
        )
        statuses = dict(
            (
                await db_session.execute(
                    text("SELECT purpose, withdrawn_at IS NOT NULL FROM consent_grants WHERE org_id = :org"),
                    {"org": pair.b_org},
                )
            ).all()
        )
        assert statuses == {"research": True, "service_delivery": False}


class TestErase:
    async def test_no_identifying_value_is_left_anywhere(self, app, client, pair, owner_conn):
        await pair.grant(["contact", "identity"])
        await pair.b_view()
        resident = await resident_of(owner_conn, pair)
        await as_resident(
            app, rights.rectify, resident, AttributesIn(preferred_name="Zebediah" + uuid.uuid4().hex[:6])
        )
        nickname = (await as_resident(app, rights.profile, resident))["attributes"]["preferred_name"]["value"]

        values = [
            pair.body["family_name"],
            pair.body["email"],
            "+44" + pair.body["phone"].replace(" ", "")[1:],
            pair.body["external_ref"],
            nickname,
        ]

        async def tables_holding_them() -> dict[str, int]:
            tables = await owner_conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
            found = {}
            for (table,) in tables:
                hits = await owner_conn.fetchval(
                    f'SELECT count(*) FROM "{table}" t WHERE t::text ILIKE ANY($1::text[])',
                    [f"%{v}%" for v in values],
                )
                if hits:
                    found[table] = hits
            return found

        # The scan does find them: in the records, and in what matching reads of the organisations' two.
        assert await tables_holding_them() == {"person_records": 3, "person_match": 2}
        summary = await as_resident(app, rights.erase, resident)
        assert summary == {
            "records_deleted": 3,
            "grants_withdrawn": 1,
            "organisations_told": 2,
            "credits_returned": 0,
        }
        assert await tables_holding_them() == {}

        for org_id, headers in ((pair.a_id, pair.a), (pair.b_id, pair.b)):
            gone = await client.get(
                f"/v1/people/{org_id}", params={"purpose": "service_delivery"}, headers=headers
            )
            assert gone.status_code == 404
        again = await client.post(
            "/v1/people/search", json={"family_name": pair.body["family_name"]}, headers=pair.a
        )
        assert again.json()["items"] == []
        erased = await owner_conn.fetch(
            "SELECT org_id, payload FROM outbox_events WHERE event_type = 'person.erased' AND org_id = ANY($1::uuid[])",
            [pair.a_org, pair.b_org],
        )
        assert {(r["org_id"], orjson.loads(r["payload"])["person_id"]) for r in erased} == {
            (pair.a_org, pair.a_id),
            (pair.b_org, pair.b_id),
        }
        with pytest.raises(rights.ResidentNotFound):
            await as_resident(app, rights.export, resident)

    async def test_what_organisations_wrote_and_mail_to_the_address_go_too(
        self, app, client, pair, owner_conn
    ):
        family, email = pair.body["family_name"], pair.body["email"]
        grant = await pair.grant(["contact"], evidence={"kind": "written", "reference": f"{family}'s form"})
        assert grant.status_code == 201, grant.text
        logged = await client.post(
            "/v1/interactions",
            json={
                "person_id": pair.a_id,
                "kind": "service_contact",
                "occurred_at": "2026-11-30T10:00:00Z",
                "external_id": uuid.uuid4().hex,
                "attributes": {"note": f"{family} came in about the rent, lives at 4 Mill Lane"},
            },
            headers={**pair.a},
        )
        assert logged.status_code == 201, logged.text
        async with app.state.db.session(platform=True) as session:
            await portal_service.CODES.issue(session, email, 100)  # a sign-in code asked for her address
            await mail_outbox.outbox_append(
                session, [{"to": email, "subject": "Your code", "body": f"Dear {family}"}]
            )
        resident = await resident_of(owner_conn, pair)

        async def where_they_are() -> set[str]:
            found = set()
            for (table,) in await owner_conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ):
                if await owner_conn.fetchval(
                    f'SELECT count(*) FROM "{table}" t WHERE t::text ILIKE ANY($1::text[])',
                    [f"%{family}%", f"%{email}%"],
                ):
                    found.add(table)
            return found

        assert {"interactions", "consent_grants", "consent_receipts", "portal_codes", "dev_outbox"} <= (
            await where_they_are()
        )
        await as_resident(app, rights.erase, resident)
        assert await where_they_are() == set()
        kept = await owner_conn.fetchrow(
            "SELECT r.receipt, r.jws FROM consent_receipts r WHERE r.grant_id = $1",
            uuid.UUID(grant.json()["consent_id"]),
        )
        assert orjson.loads(kept["receipt"])["erased"] is True and kept["jws"] == ""

    async def test_erasure_is_audited_and_the_chain_holds(
        self, app, pair, owner_conn, database_url, tmp_path
    ):
        resident = await resident_of(owner_conn, pair)
        await as_resident(app, rights.erase, resident)
        assert (
            await owner_conn.fetchval(
                "SELECT count(*) FROM audit_log WHERE action = 'person.erased' AND subject_id = $1",
                str(resident.resident_id),
            )
            == 1
        )
        assert all(r.ok for r in await verify_audit(database_url, tmp_path))

    async def test_admin_erases_on_a_written_request(self, client, platform, pair, owner_conn):
        resident = await resident_of(owner_conn, pair)
        admin = await platform.admin_headers()
        response = await client.post(f"/v1/admin/people/{resident.resident_id}/erase", headers=admin)
        assert response.status_code == 200, response.text
        assert response.json()["organisations_told"] == 2
        again = await client.post(f"/v1/admin/people/{resident.resident_id}/erase", headers=admin)
        assert again.status_code == 404


class TestAccessLogInTheReadingTransaction:
    async def test_each_read_is_logged_before_it_is_answered(self, database_url, data_dir, owner_conn):
        settings = make_settings(database_url, data_dir)
        async with running_app(settings) as app:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as c:
                org_id, headers = await org_with_token(Platform(app, c), SCOPES)
                created = (await c.post("/v1/people", json=unique_resident(), headers=headers)).json()
                for n in range(1, 4):
                    r = await c.get(
                        f"/v1/people/{created['person_id']}",
                        params={"purpose": "service_delivery"},
                        headers=headers,
                    )
                    assert r.status_code == 200
                    logged = "SELECT count(*) FROM access_log WHERE org_id = $1"
                    assert await owner_conn.fetchval(logged, org_id) == n  # the app still running


class TestAdminExport:
    async def test_export_over_http(self, client, platform, pair, owner_conn):
        resident = await resident_of(owner_conn, pair)
        admin = await platform.admin_headers()
        response = await client.get(f"/v1/admin/people/{resident.resident_id}/export", headers=admin)
        assert response.status_code == 200
        assert response.json()["format"] == "kith-subject-access/1"
        missing = await client.get(f"/v1/admin/people/{uuid.uuid4()}/export", headers=admin)
        assert missing.status_code == 404


class TestEraseKeepsAggregates:
    async def test_interactions_stay_but_belong_to_no_one(self, app, client, platform, pair, owner_conn):
        creds = await platform.make_client(
            pair.a_org, ["interactions:write", "relationships:write", "people:write"]
        )
        headers = {"Authorization": f"Bearer {await platform.token(creds)}"}
        at = "2026-11-01T10:00:00+00:00"
        for n in range(2):
            r = await client.post(
                "/v1/interactions",
                json={"person_id": pair.a_id, "kind": "visit", "occurred_at": at, "external_id": f"e{n}"},
                headers=headers,
            )
            assert r.status_code == 201, r.text
        other = (
            await client.post("/v1/people", json=unique_resident(given_name="Ada"), headers=pair.a)
        ).json()
        for body in (
            {
                "type": "family",
                "person_id": pair.a_id,
                "other_person_id": other["person_id"],
                "started_on": "2000-01-01",
                "evidence": {"kind": "verbal", "reference": "told us"},
            },
            {"type": "client", "person_id": pair.a_id, "started_on": "2020-01-01"},
        ):
            assert (await client.post("/v1/relationships", json=body, headers=headers)).status_code == 201
        resident = await resident_of(owner_conn, pair)
        document = await as_resident(app, rights.export, resident)
        assert len(document["interactions"]) == 2 and len(document["relationships"]) == 2

        await as_resident(app, rights.erase, resident)
        rows = await owner_conn.fetch("SELECT person_id FROM interactions WHERE org_id = $1", pair.a_org)
        assert len(rows) == 2 and len({r["person_id"] for r in rows}) == 1  # still one (anonymous) someone
        ghost = rows[0]["person_id"]  # an erased person of its own, with nothing that says who
        assert await owner_conn.fetchval("SELECT status FROM people WHERE id = $1", ghost) == "erased"
        for linked in ("person_records", "org_people"):
            assert (
                await owner_conn.fetchval(f"SELECT count(*) FROM {linked} WHERE person_id = $1", ghost) == 0
            )
        kinds = await owner_conn.fetch(
            "SELECT kind, person_id FROM relationships WHERE org_id = $1", pair.a_org
        )
        assert [k["kind"] for k in kinds] == ["person_organisation"]
        assert kinds[0]["person_id"] == rows[0]["person_id"]
