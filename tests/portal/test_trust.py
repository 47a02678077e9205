"""Partners, not the platform: a café that joined Kith and knows a resident's name and date of
birth cannot grant itself her data, sign in as her, or make its word count as a verification.
Only the platform trusts an organisation, and only the resident confirms what an untrusted one
recorded (in the portal, or through the link in the notice she is sent)."""

from __future__ import annotations

import re
import uuid
from contextlib import asynccontextmanager

import asyncpg
import pytest

from app.portal import repository as portal_repo
from tests.conftest import SERVICE_KEY, _plain, as_the_service
from tests.factories import org_with_token, unique_resident
from tests.portal.conftest import ORG_SCOPES, csrf_of, sign_in
from tests.test_cli import kith

CAFE_SCOPES = ORG_SCOPES + " rewards:redeem"
ALL = ["identity", "contact", "address", "interactions", "relationships", "rewards"]
VERBAL = {"kind": "verbal", "reference": "she said yes at the counter"}


@asynccontextmanager
async def as_the_cafe(database_url: str, margaret):
    """A transaction as the service opens one for the café: what a flaw in the service that let
    the café run its own SQL would get."""
    conn = await asyncpg.connect(_plain(database_url), server_settings=as_the_service())
    try:
        async with conn.transaction():
            await conn.execute("SELECT kith_begin($1, false, NULL, $2)", margaret.cafe[0], SERVICE_KEY)
            yield conn
    finally:
        await conn.close()


class Margaret:
    """The food bank (trusted to verify identity) knows Margaret with a verified email; the café
    (a new partner, trusted with nothing) registers her from her name and date of birth."""

    def __init__(self, web, food_bank, cafe, cafe_id, email, body):
        self.web = web
        self.food_bank, self.cafe, self.cafe_id, self.email, self.body = food_bank, cafe, cafe_id, email, body

    async def cafe_sees(self, purpose: str = "service_delivery") -> dict:
        response = await self.web.get(
            f"/v1/people/{self.cafe_id}", params={"purpose": purpose}, headers=self.cafe[1]
        )
        assert response.status_code == 200, response.text
        return response.json()["attributes"]

    async def cafe_grants(self, **body):
        grant = {"purpose": "service_delivery", "categories": ALL, "method": "recorded_by_org"}
        return await self.web.post(
            f"/v1/people/{self.cafe_id}/consents",
            json={**grant, "evidence": VERBAL, **body},
            headers=self.cafe[1],
        )


@pytest.fixture
async def margaret(web, platform) -> Margaret:
    food_bank = await org_with_token(platform, ORG_SCOPES, sector="social", kind="charity")
    full = unique_resident(verified=["email"], phone=None)  # the food bank checked her email
    assert (await web.post("/v1/people", json=full, headers=food_bank[1])).status_code == 201
    body = {a: full[a] for a in ("given_name", "family_name", "date_of_birth")}
    cafe = await org_with_token(platform, CAFE_SCOPES, sector="commercial", kind="business", trusted=False)
    registered = await web.post("/v1/people", json=body, headers=cafe[1])
    assert registered.status_code in (200, 201), registered.text
    return Margaret(web, food_bank, cafe, registered.json()["person_id"], full["email"], body)


async def outbox_to(web, email: str) -> str:
    """The newest message to ``email`` on the development outbox page."""
    page = (await web.get("/dev/outbox")).text
    blocks = [
        b for b in page.split('<article class="card message">')[1:] if f'<span class="to">{email}</span>' in b
    ]
    assert blocks, f"no message to {email}"
    return blocks[0]


class TestSelfGrantedConsent:
    async def test_card_presented_cannot_be_recorded_through_the_consents_api(self, margaret):
        response = await margaret.cafe_grants(method="card_presented", purpose="rewards")
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["errors"][0]["field"] == "method"
        assert "cards/resolve" in problem["errors"][0]["message"]
        assert "email" not in await margaret.cafe_sees("rewards")

    async def test_a_self_evidenced_grant_opens_nothing_until_the_resident_confirms_by_the_emailed_link(
        self, margaret, web, portal_app
    ):
        granted = await margaret.cafe_grants()
        assert granted.status_code == 201, granted.text
        assert granted.json()["status"] == "awaiting_resident"
        seen = await margaret.cafe_sees()
        assert "email" not in seen and "address" not in seen  # the food bank's data stays closed
        timeline = await web.get(
            f"/v1/people/{margaret.cafe_id}/timeline",
            params={"purpose": "service_delivery"},
            headers=margaret.cafe[1],
        )
        assert timeline.status_code == 403

        message = await outbox_to(web, margaret.email)
        assert "Nothing is shared until you confirm it" in message
        link = re.search(r"https://testserver(/portal/consents/confirm/[\w-]+)", message).group(1)

        page = await web.get(link)  # opening the link (as a mail scanner would) confirms nothing
        assert page.status_code == 200 and "Did you agree" in page.text
        assert "email" not in await margaret.cafe_sees()
        done = await web.post(link, data={"answer": "confirm", "csrf_token": csrf_of(page.text)})
        assert done.status_code == 200 and "Permission confirmed" in done.text
        assert (await margaret.cafe_sees())["email"]["value"] == margaret.email
        again = await web.get(link)
        assert again.status_code == 404  # a link works once

    async def test_a_partner_cannot_wear_her_down_with_requests(self, margaret, web):
        for purpose in ("service_delivery", "case_coordination", "offers", "research"):
            granted = await margaret.cafe_grants(purpose=purpose)
            assert granted.json()["status"] == "awaiting_resident"
        page = (await web.get("/dev/outbox")).text
        asked = [
            b
            for b in page.split('<article class="card message">')[1:]
            if f'<span class="to">{margaret.email}</span>' in b and "Did you agree" in b
        ]
        assert len(asked) == 3  # a few a day; the fourth waits for her in the portal
        await sign_in(web, margaret.email)
        assert (await web.get("/portal/organisations")).text.count('/confirm"') == 4

    async def test_refusing_by_the_link_withdraws_the_grant(self, margaret, web, portal_app):
        granted = (await margaret.cafe_grants()).json()
        link = re.search(
            r"https://testserver(/portal/consents/confirm/[\w-]+)", await outbox_to(web, margaret.email)
        )
        page = await web.get(link.group(1))
        done = await web.post(link.group(1), data={"answer": "refuse", "csrf_token": csrf_of(page.text)})
        assert "Permission refused" in done.text
        listed = await web.get(f"/v1/people/{margaret.cafe_id}/consents", headers=margaret.cafe[1])
        [grant] = [g for g in listed.json()["items"] if g["consent_id"] == granted["consent_id"]]
        assert grant["status"] == "withdrawn"
        assert "email" not in await margaret.cafe_sees()

    async def test_the_resident_confirms_in_the_portal(self, margaret, web):
        await margaret.cafe_grants()
        await sign_in(web, margaret.email)
        page = await web.get("/portal/organisations")
        assert "Waiting for you to confirm" in page.text
        action = re.search(r'action="(/portal/consents/[0-9a-f-]+/confirm)"', page.text).group(1)
        done = await web.post(action, data={"csrf_token": csrf_of(page.text)})
        assert done.status_code == 303
        assert (await margaret.cafe_sees())["email"]["value"] == margaret.email

    async def test_a_trusted_organisations_grant_works_at_once_and_the_resident_is_told(
        self, margaret, web, platform, portal_app
    ):
        council = await org_with_token(platform, ORG_SCOPES)  # trusted by the platform
        registered = await web.post("/v1/people", json=margaret.body, headers=council[1])
        person = registered.json()["person_id"]
        granted = await web.post(
            f"/v1/people/{person}/consents",
            json={
                "purpose": "case_coordination",
                "categories": ["contact"],
                "method": "recorded_by_org",
                "evidence": VERBAL,
            },
            headers=council[1],
        )
        assert granted.json()["status"] == "active"
        view = await web.get(
            f"/v1/people/{person}", params={"purpose": "case_coordination"}, headers=council[1]
        )
        assert view.json()["attributes"]["email"]["value"] == margaret.email
        assert "permission to see your information" in await outbox_to(web, margaret.email)

    async def test_a_batch_of_registrations_with_consent_asks_each_resident(self, web, platform):
        # The food bank (trusted to verify identity) knows them, with their checked addresses.
        food_bank = await org_with_token(platform, ORG_SCOPES, sector="social", kind="charity")
        residents = [unique_resident(phone=None, verified=["email"]) for _ in range(3)]
        for resident in residents:
            assert (await web.post("/v1/people", json=resident, headers=food_bank[1])).status_code == 201
        cafe = await org_with_token(
            platform, CAFE_SCOPES, sector="commercial", kind="business", trusted=False
        )
        consent = {
            "purpose": "offers",
            "categories": ["contact"],
            "method": "recorded_by_org",
            "evidence": VERBAL,
        }
        known = [{k: r[k] for k in ("given_name", "family_name", "date_of_birth")} for r in residents]
        answer = await web.post(
            "/v1/people/batch", json=[{**r, "consent": consent} for r in known], headers=cafe[1]
        )
        assert answer.status_code == 200, answer.text
        for resident, item in zip(residents, answer.json()["results"], strict=True):
            listed = await web.get(f"/v1/people/{item['person_id']}/consents", headers=cafe[1])
            assert [g["status"] for g in listed.json()["items"]] == ["awaiting_resident"]
            assert "Nothing is shared until you confirm it" in await outbox_to(web, resident["email"])


class TestTakeover:
    async def test_a_partner_verified_address_signs_no_one_in_and_is_not_her_address(
        self, margaret, web, platform
    ):
        attacker = f"attacker.{uuid.uuid4().hex[:6]}@evil.test"
        claimed = await web.post(
            "/v1/people",
            json={**margaret.body, "email": attacker, "verified": ["email"]},
            headers=margaret.cafe[1],
        )
        assert claimed.status_code in (200, 201), claimed.text
        async with platform.app.state.db.session(platform=True) as session:
            assert await portal_repo.people_with_email(session, attacker) == []
            assert len(await portal_repo.people_with_email(session, margaret.email)) == 1
        # Asking for a code for the attacker's address leads to registering a new person, not to her.
        await sign_in(web, attacker)
        assert (await web.get("/portal")).headers["location"] == "/portal/register"
        # A third organisation allowed to see her contact details sees the food bank's address.
        council = await org_with_token(platform, ORG_SCOPES)
        person = (await web.post("/v1/people", json=margaret.body, headers=council[1])).json()["person_id"]
        await web.post(
            f"/v1/people/{person}/consents",
            json={
                "purpose": "service_delivery",
                "categories": ["contact"],
                "method": "recorded_by_org",
                "evidence": VERBAL,
            },
            headers=council[1],
        )
        view = await web.get(
            f"/v1/people/{person}", params={"purpose": "service_delivery"}, headers=council[1]
        )
        assert view.json()["attributes"]["email"]["value"] == margaret.email

    async def test_a_newly_verified_address_does_not_take_over_from_hers(self, margaret, web, platform):
        council = await org_with_token(platform, ORG_SCOPES)  # trusted to verify identity
        newer = f"margaret.{uuid.uuid4().hex[:6]}@example.net"
        registered = await web.post(
            "/v1/people", json={**margaret.body, "email": newer, "verified": ["email"]}, headers=council[1]
        )
        person = registered.json()["person_id"]
        granted = await web.post(
            f"/v1/people/{person}/consents",
            json={
                "purpose": "case_coordination",
                "categories": ["identity"],
                "method": "recorded_by_org",
                "evidence": VERBAL,
            },
            headers=council[1],
        )
        assert granted.status_code == 201, granted.text
        # She is told at the address she had, and the new one signs her in too rather than instead.
        assert "permission to see your information" in await outbox_to(web, margaret.email)
        async with platform.app.state.db.session(platform=True) as session:
            assert len(await portal_repo.people_with_email(session, margaret.email)) == 1


class TestPlatformTrust:
    async def test_only_the_platform_trusts_an_organisation_and_it_is_audited(self, web, platform, margaret):
        cafe_org = margaret.cafe[0]
        refused = await web.post(
            f"/v1/admin/organisations/{cafe_org}/trust",
            json={"records_consent": True},
            headers=margaret.cafe[1],
        )
        assert refused.status_code == 403
        admin = await platform.admin_headers()
        shown = await web.get(f"/v1/admin/organisations/{cafe_org}", headers=admin)
        assert shown.json()["records_consent"] is False and shown.json()["verifies_identity"] is False
        changed = await web.post(
            f"/v1/admin/organisations/{cafe_org}/trust", json={"records_consent": True}, headers=admin
        )
        assert changed.status_code == 200 and changed.json()["records_consent"] is True
        assert (await margaret.cafe_grants()).json()["status"] == "active"
        async with platform.app.state.db.session(platform=True) as session:
            from sqlalchemy import text

            actions = (
                (
                    await session.execute(
                        text(
                            "SELECT detail FROM audit_log WHERE action = 'organisation.trust' AND subject_id = :id"
                        ),
                        {"id": str(cafe_org)},
                    )
                )
                .scalars()
                .all()
            )
        assert actions and actions[-1]["after"]["records_consent"] is True

    async def test_the_command_line_trusts_and_revokes(self, platform, database_url, data_dir):
        org = await platform.make_org(trusted=False)
        done = kith(
            "orgs",
            "trust",
            str(org.id),
            "--verifies-identity",
            "--json",
            database_url=database_url,
            data_dir=data_dir,
        )
        assert done.returncode == 0, done.stderr
        assert '"verifies_identity": true' in done.stdout and '"records_consent": false' in done.stdout
        done = kith(
            "orgs",
            "trust",
            str(org.id),
            "--verifies-identity",
            "--revoke",
            "--json",
            database_url=database_url,
            data_dir=data_dir,
        )
        assert '"verifies_identity": false' in done.stdout
        assert (
            kith("orgs", "trust", str(org.id), database_url=database_url, data_dir=data_dir).returncode != 0
        )

    async def test_the_database_refuses_an_organisation_trusting_itself(self, margaret, database_url):
        async with as_the_cafe(database_url, margaret) as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(
                    "UPDATE organisations SET records_consent = true WHERE id = $1", margaret.cafe[0]
                )

    async def test_the_database_refuses_an_organisation_widening_what_its_admin_may_give(
        self, margaret, database_url
    ):
        async with as_the_cafe(database_url, margaret) as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(
                    "UPDATE organisations SET client_scopes = ARRAY['ledger:write'] WHERE id = $1",
                    margaret.cafe[0],
                )

    async def test_the_command_line_sets_what_an_organisations_admin_may_give(
        self, platform, database_url, data_dir
    ):
        org = await platform.make_org(trusted=False)

        def scopes(*args: str):
            return kith(
                "orgs", "scopes", str(org.id), *args, "--json", database_url=database_url, data_dir=data_dir
            )

        done = scopes("--allow", "rewards:redeem people:read")
        assert done.returncode == 0, done.stderr
        assert '"client_scopes": ["people:read", "rewards:redeem"]' in done.stdout
        for refused in (("--allow", "admin"), ("--allow", "no:such"), ()):
            assert scopes(*refused).returncode != 0, refused
        done = scopes("--reset")
        assert done.returncode == 0 and '"client_scopes": null' in done.stdout

    async def test_the_database_refuses_an_untrusted_organisation_confirming_its_own_grant(
        self, margaret, database_url
    ):
        granted = (await margaret.cafe_grants()).json()
        async with as_the_cafe(database_url, margaret) as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(
                    "UPDATE consent_grants SET confirmed_at = now() WHERE id = $1",
                    uuid.UUID(granted["consent_id"]),
                )

    @pytest.mark.parametrize(
        "statement",
        [
            # widening a grant the resident confirmed
            "UPDATE consent_grants SET categories = ARRAY['identity','contact','address','interactions',"
            "'relationships','rewards'] WHERE id = $1",
            # undoing a withdrawal
            "UPDATE consent_grants SET withdrawn_at = NULL, withdrawn_by = NULL WHERE id = $1",
            # turning it into a card the resident never showed
            "UPDATE consent_grants SET method = 'card_presented', evidence = NULL WHERE id = $1",
            # a card_presented grant of its own making
            "INSERT INTO consent_grants (id, org_id, org_person_id, purpose, categories, method, granted_by, "
            "confirmed_at) SELECT gen_random_uuid(), org_id, org_person_id, 'rewards', ARRAY['identity','rewards'], "
            "'card_presented', 'me', now() FROM consent_grants WHERE id = $1",
        ],
    )
    async def test_the_database_lets_an_organisation_only_withdraw_what_it_recorded(
        self, margaret, database_url, web, statement
    ):
        granted = (await margaret.cafe_grants()).json()
        page = await web.get(f"/v1/people/{margaret.cafe_id}/consents", headers=margaret.cafe[1])
        assert page.status_code == 200
        grant = uuid.UUID(granted["consent_id"])
        if "withdrawn_at = NULL" in statement:  # withdrawn first, as the API does
            await web.delete(f"/v1/people/{margaret.cafe_id}/consents/{grant}", headers=margaret.cafe[1])
        async with as_the_cafe(database_url, margaret) as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement, grant)

    async def test_the_database_refuses_an_organisation_inserting_itself_trusted(
        self, margaret, database_url
    ):
        async with as_the_cafe(database_url, margaret) as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(
                    "INSERT INTO organisations (id, name, sector, kind, records_consent, verifies_identity) "
                    "VALUES ($1, 'Me again', 'commercial', 'business', true, true)",
                    margaret.cafe[0],
                )


class TestTrustIsReadWhenUsed:
    async def test_verifications_made_before_an_organisation_lost_trust_no_longer_count(self, web, platform):
        council_org, council = await org_with_token(platform, ORG_SCOPES)  # trusted, for now
        body = unique_resident(verified=["email"], phone=None)
        assert (await web.post("/v1/people", json=body, headers=council)).status_code == 201
        async with platform.app.state.db.session(platform=True) as session:
            assert len(await portal_repo.people_with_email(session, body["email"])) == 1
        admin = await platform.admin_headers()
        revoked = await web.post(
            f"/v1/admin/organisations/{council_org}/trust", json={"verifies_identity": False}, headers=admin
        )
        assert revoked.json()["verifies_identity"] is False
        async with platform.app.state.db.session(platform=True) as session:
            assert await portal_repo.people_with_email(session, body["email"]) == []
