"""The staff console over HTTP, as a browser uses it: sign-in by emailed code, finding a resident,
reading for a purpose, logging a visit, recording consent; roles; one organisation's staff never
reaching another's people."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.console.conftest import invite, last_console_code, post_form, staff_sign_in
from tests.factories import org_with_token, unique_resident
from tests.ledger.conftest import SCOPES as LEDGER_SCOPES
from tests.ledger.conftest import make_pool, mint
from tests.portal.conftest import ORG_SCOPES, csrf_of, known_resident, sign_in


@pytest.fixture
async def food_bank(portal_app, platform, web):
    """A food bank that knows a resident (registered through its API client), and a caseworker."""
    org_id, headers, person, email = await known_resident(platform, web)
    record = (
        await web.get(f"/v1/people/{person}", params={"purpose": "service_delivery"}, headers=headers)
    ).json()
    staff_id, staff_email = await invite(portal_app, org_id, "caseworker")
    return {
        "org_id": org_id,
        "headers": headers,
        "person": person,
        "resident_email": email,
        "given": record["attributes"]["given_name"]["value"],
        "family": record["attributes"]["family_name"]["value"],
        "staff_id": staff_id,
        "staff_email": staff_email,
    }


class TestSignIn:
    async def test_an_invited_address_gets_a_code_and_a_session(self, web, food_bank):
        signed_in = await staff_sign_in(web, food_bank["staff_email"])
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console"
        cookie = signed_in.headers["set-cookie"]
        assert (
            "kith_console=" in cookie
            and "HttpOnly" in cookie
            and "Secure" in cookie
            and "Path=/console" in cookie
        )
        page = await web.get("/console")
        assert page.status_code == 200 and "Find a resident" in page.text
        assert food_bank["staff_email"] in page.text and "Caseworker" in page.text

    async def test_an_address_not_invited_is_answered_alike_and_mailed_nothing(self, web, food_bank):
        stranger = f"nobody.{uuid.uuid4().hex[:8]}@example.org"
        form = await web.get("/console/sign-in")
        sent = await web.post("/console/sign-in", data={"email": stranger, "csrf_token": csrf_of(form.text)})
        assert (
            sent.status_code == 303 and sent.headers["location"] == "/console/sign-in/code?notice=code-sent"
        )
        assert await last_console_code(web, stranger) is None

    async def test_pages_need_a_session_and_forms_a_csrf_token(self, web, food_bank):
        assert (await web.get("/console")).headers["location"] == "/console/sign-in"
        await staff_sign_in(web, food_bank["staff_email"])
        forged = await web.post("/console/purpose", data={"purpose": "service_delivery"})
        assert forged.status_code == 403

    async def test_a_disabled_staff_member_is_signed_out_at_once(self, web, food_bank, portal_app):
        await staff_sign_in(web, food_bank["staff_email"])
        assert (await web.get("/console")).status_code == 200
        async with portal_app.state.db.session(platform=True) as session:
            from sqlalchemy import text

            await session.execute(
                text("UPDATE staff_users SET disabled_at = now() WHERE id = :id"),
                {"id": food_bank["staff_id"]},
            )
        assert (await web.get("/console")).headers["location"] == "/console/sign-in"


class TestCaseworker:
    async def test_find_read_log_and_record_consent(self, web, food_bank, portal_app):
        await staff_sign_in(web, food_bank["staff_email"])
        misspelt = food_bank["family"][:-1] + ("a" if food_bank["family"][-1] != "a" else "e")
        found = await web.get("/console", params={"q": f"{food_bank['given']} {misspelt}"})
        assert found.status_code == 200
        assert f"/console/people/{food_bank['person']}" in found.text
        page = f"/console/people/{food_bank['person']}"
        chosen = await post_form(web, page, "/console/purpose", {"purpose": "service_delivery", "next": page})
        assert chosen.headers["location"] == page
        read = await web.get(page)
        assert read.status_code == 200 and food_bank["family"] in read.text
        recorded = await post_form(
            web,
            page,
            f"{page}/consents",
            {
                "consent_purpose": "service_delivery",
                "categories": ["identity", "interactions"],
                "evidence_kind": "verbal",
                "evidence_reference": "said yes at the counter",
            },
        )
        assert recorded.status_code == 303, recorded.text
        logged = await post_form(
            web,
            page,
            f"{page}/interactions",
            {"kind": "visit", "occurred_at": "2026-11-30T10:30", "note": "Food parcel"},
        )
        assert logged.status_code == 303, logged.text
        after = (await web.get(page)).text
        assert "Food parcel" in after and "recorded by your organisation" in after
        # The resident sees the reads as the organisation and the role, never the staff member.
        await sign_in(web, food_bank["resident_email"])
        looked = (await web.get("/portal/access-log")).text
        assert "(a caseworker)" in looked and food_bank["staff_email"] not in looked
        assert str(food_bank["staff_id"]) not in looked
        exported = (await web.get("/portal/data/export")).text
        assert "staff:caseworker" in exported and str(food_bank["staff_id"]) not in exported

    async def test_a_bad_form_is_named_and_nothing_is_written(self, web, food_bank):
        await staff_sign_in(web, food_bank["staff_email"])
        page = f"/console/people/{food_bank['person']}"
        await post_form(web, page, "/console/purpose", {"purpose": "service_delivery", "next": page})
        refused = await post_form(
            web, page, f"{page}/interactions", {"kind": "visit", "occurred_at": "yesterday"}
        )
        assert refused.status_code == 422 and "When:" in refused.text
        refused = await post_form(web, page, f"{page}/consents", {"consent_purpose": "service_delivery"})
        assert refused.status_code == 422 and "What they agreed to share" in refused.text
        assert "Nothing yet." in (await web.get(page)).text


class TestRoles:
    async def test_a_viewer_reads_but_cannot_write(self, web, food_bank, portal_app):
        _, email = await invite(portal_app, food_bank["org_id"], "viewer")
        await staff_sign_in(web, email)
        page = f"/console/people/{food_bank['person']}"
        await post_form(web, page, "/console/purpose", {"purpose": "service_delivery", "next": page})
        read = await web.get(page)
        assert read.status_code == 200 and "Log a contact" not in read.text
        refused = await post_form(
            web, page, f"{page}/interactions", {"kind": "visit", "occurred_at": "2026-11-30T10:30"}
        )
        assert refused.status_code == 403

    async def test_an_analyst_reaches_no_resident(self, web, food_bank, portal_app):
        _, email = await invite(portal_app, food_bank["org_id"], "analyst")
        await staff_sign_in(web, email)
        assert "Community indicators" in (await web.get("/console")).text
        assert (await web.get(f"/console/people/{food_bank['person']}")).status_code == 403

    async def test_staff_never_reach_another_organisations_people(self, web, food_bank, platform, portal_app):
        _, other_headers = await org_with_token(platform, ORG_SCOPES)
        theirs = (await web.post("/v1/people", json=unique_resident(), headers=other_headers)).json()[
            "person_id"
        ]
        await staff_sign_in(web, food_bank["staff_email"])
        page = f"/console/people/{theirs}"
        await post_form(web, "/console", "/console/purpose", {"purpose": "service_delivery", "next": page})
        assert (await web.get(page)).status_code == 404
        for action, data in (
            ("interactions", {"kind": "visit", "occurred_at": "2026-11-30T10:30"}),
            ("consents", {"consent_purpose": "service_delivery", "categories": ["identity"],
                          "evidence_kind": "verbal", "evidence_reference": "x"}),
        ):  # fmt: skip
            html = (await web.get("/console")).text
            response = await web.post(f"{page}/{action}", data={**data, "csrf_token": csrf_of(html)})
            assert response.status_code in (404, 422), (action, response.status_code)
            assert response.status_code != 303
        found = await web.get("/console", params={"q": str(theirs)})
        assert f"/console/people/{theirs}" not in found.text


class TestOrganisationAdmin:
    async def test_clients_created_rotated_and_disabled_and_staff_managed(self, web, food_bank, portal_app):
        _, admin_email = await invite(portal_app, food_bank["org_id"], "org_admin")
        await staff_sign_in(web, admin_email)
        page = await web.get("/console/admin")
        assert page.status_code == 200 and food_bank["staff_email"] in page.text
        created = await post_form(
            web, "/console/admin", "/console/admin/clients", {"name": "till", "scopes": ["people:read"]}
        )
        assert created.status_code == 200, created.text
        client_id = re.search(r"New API client (kc_[\w-]+)", created.text).group(1)
        secret = re.search(r'id="new-secret" readonly value="([^"]+)"', created.text).group(1)

        async def token(with_secret: str) -> int:
            response = await web.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, with_secret)
            )
            return response.status_code

        assert await token(secret) == 200
        rotated = await post_form(web, "/console/admin", f"/console/admin/clients/{client_id}/rotate", {})
        new_secret = re.search(r'id="new-secret" readonly value="([^"]+)"', rotated.text).group(1)
        assert await token(secret) == 401 and await token(new_secret) == 200
        # An admin client is the platform's to make, whatever the form says.
        refused = await post_form(web, "/console/admin", "/console/admin/clients", {"scopes": ["admin"]})
        assert refused.status_code == 422
        disabled = await post_form(web, "/console/admin", f"/console/admin/clients/{client_id}/disable", {})
        assert disabled.status_code == 303 and await token(new_secret) == 401
        # Staff: the caseworker becomes a viewer, then is disabled.
        role = await post_form(
            web, "/console/admin", f"/console/admin/staff/{food_bank['staff_id']}/role", {"role": "viewer"}
        )
        assert role.status_code == 303
        gone = await post_form(
            web, "/console/admin", f"/console/admin/staff/{food_bank['staff_id']}/disable", {}
        )
        assert gone.status_code == 303
        invited = await post_form(
            web,
            "/console/admin",
            "/console/admin/staff",
            {"email": "New.Person@Example.org", "role": "viewer"},
        )
        assert (
            invited.status_code == 303 and "new.person@example.org" in (await web.get("/console/admin")).text
        )

    async def test_another_organisations_clients_and_staff_are_out_of_reach(
        self, web, food_bank, platform, portal_app
    ):
        other_org, _ = await org_with_token(platform, ORG_SCOPES)
        other_client = await platform.make_client(other_org, ["people:read"])
        other_staff, _ = await invite(portal_app, other_org, "caseworker")
        _, admin_email = await invite(portal_app, food_bank["org_id"], "org_admin")
        await staff_sign_in(web, admin_email)
        for action, data in (
            (f"/console/admin/clients/{other_client.client_id}/rotate", {}),
            (f"/console/admin/clients/{other_client.client_id}/disable", {}),
            (f"/console/admin/staff/{other_staff}/role", {"role": "org_admin"}),
            (f"/console/admin/staff/{other_staff}/disable", {}),
        ):
            response = await post_form(web, "/console/admin", action, data)
            assert response.status_code == 404, (action, response.status_code)
        token = await web.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(other_client.client_id, other_client.client_secret),
        )
        assert token.status_code == 200

    async def test_only_the_organisations_admin_reaches_its_pages(self, web, food_bank):
        await staff_sign_in(web, food_bank["staff_email"])
        assert (await web.get("/console/admin")).status_code == 403
        assert (
            await web.get("/console/admin/report.csv", params={"start": "2026-01-01", "end": "2026-12-31"})
        ).status_code == 403

    async def test_the_data_protection_officers_report(self, web, food_bank, portal_app):
        await staff_sign_in(web, food_bank["staff_email"])
        page = f"/console/people/{food_bank['person']}"
        await post_form(web, page, "/console/purpose", {"purpose": "service_delivery", "next": page})
        assert (await web.get(page)).status_code == 200
        await post_form(
            web,
            page,
            f"{page}/consents",
            {
                "consent_purpose": "service_delivery",
                "categories": ["identity"],
                "evidence_kind": "verbal",
                "evidence_reference": "x",
            },
        )
        _, admin_email = await invite(portal_app, food_bank["org_id"], "org_admin")
        await staff_sign_in(web, admin_email)
        today = datetime.now(UTC).date()
        report = await web.get(
            "/console/admin/report.csv",
            params={"start": (today - timedelta(days=1)).isoformat(), "end": today.isoformat()},
        )
        assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(report.text)))
        assert rows[0] == ["when", "staff member", "role", "what", "record", "purpose", "categories"]
        mine = [r for r in rows[1:] if r[1] == food_bank["staff_email"]]
        assert any(
            r[3] == "read" and r[4] == str(food_bank["person"]) and r[5] == "service_delivery" for r in mine
        )
        assert any(r[3].startswith("consent.") for r in mine), mine
        bad = await web.get("/console/admin/report.csv", params={"start": "2026-12-31", "end": "2026-01-01"})
        assert bad.status_code == 422


class TestResidentPageActions:
    async def test_details_corrected_and_consent_withdrawn_on_the_residents_instruction(self, web, food_bank):
        await staff_sign_in(web, food_bank["staff_email"])
        page = f"/console/people/{food_bank['person']}"
        await post_form(web, page, "/console/purpose", {"purpose": "service_delivery", "next": page})
        saved = await post_form(web, page, f"{page}/details", {"preferred_name": "Peggy", "phone": ""})
        assert saved.status_code == 303, saved.text
        read = await web.get(
            f"/v1/people/{food_bank['person']}",
            params={"purpose": "service_delivery"},
            headers=food_bank["headers"],
        )
        assert read.json()["attributes"]["preferred_name"]["value"] == "Peggy"
        bad = await post_form(web, page, f"{page}/details", {"date_of_birth": "31/02/1980"})
        assert bad.status_code == 422 and "Date of birth" in bad.text
        await post_form(
            web,
            page,
            f"{page}/consents",
            {
                "consent_purpose": "service_delivery",
                "categories": ["identity"],
                "evidence_kind": "verbal",
                "evidence_reference": "x",
            },
        )
        html = (await web.get(page)).text
        consent_id = re.search(r"/consents/([0-9a-f-]{36})/withdraw", html).group(1)
        withdrawn = await post_form(web, page, f"{page}/consents/{consent_id}/withdraw", {})
        assert withdrawn.status_code == 303
        assert "withdrawn" in (await web.get(page)).text
        grants = await web.get(f"/v1/people/{food_bank['person']}/consents", headers=food_bank["headers"])
        assert [g["status"] for g in grants.json()["items"]] == ["withdrawn"], grants.text

    async def test_a_viewer_cannot_correct_or_withdraw(self, web, food_bank, portal_app):
        _, email = await invite(portal_app, food_bank["org_id"], "viewer")
        await staff_sign_in(web, email)
        page = f"/console/people/{food_bank['person']}"
        await post_form(web, page, "/console/purpose", {"purpose": "service_delivery", "next": page})
        assert (await post_form(web, page, f"{page}/details", {"preferred_name": "X"})).status_code == 403
        withdraw = await post_form(web, page, f"{page}/consents/{uuid.uuid4()}/withdraw", {})
        assert withdraw.status_code == 403


class TestCredits:
    async def test_a_caseworker_gives_credits_for_volunteering_once_the_resident_granted_rewards(
        self, web, platform, portal_app
    ):
        org_id, _, person, _ = await known_resident(platform, web)
        creds = await platform.make_client(org_id, LEDGER_SCOPES.split())
        ledger_headers = {"Authorization": f"Bearer {await platform.token(creds)}"}
        pool = await make_pool(web, ledger_headers)
        await mint(web, await platform.admin_headers(), pool, 100)
        _, email = await invite(portal_app, org_id, "caseworker")
        await staff_sign_in(web, email)
        page = f"/console/people/{person}"
        await post_form(web, page, "/console/purpose", {"purpose": "service_delivery", "next": page})
        refused = await post_form(web, page, f"{page}/credits", {"pool_id": pool, "hours": "3"})
        assert refused.status_code == 403  # no rewards grant: nothing moves
        await post_form(
            web,
            page,
            f"{page}/consents",
            {
                "consent_purpose": "rewards",
                "categories": ["rewards"],
                "evidence_kind": "verbal",
                "evidence_reference": "x",
            },
        )
        earned = await post_form(web, page, f"{page}/credits", {"pool_id": pool, "hours": "3"})
        assert earned.status_code == 303, earned.text
        wallet = await web.get(f"/v1/people/{person}/wallet", headers=ledger_headers)
        assert wallet.json()["balance"] == 3, wallet.text
        bad = await post_form(web, page, f"{page}/credits", {"pool_id": pool, "hours": "lots"})
        assert bad.status_code == 422 and "Hours" in bad.text


class TestWhatAnOrganisationsAdminCannotDo:
    async def test_clients_beyond_the_admins_role_are_the_platforms(
        self, web, food_bank, platform, portal_app
    ):
        admin_client = await platform.make_client(food_bank["org_id"], ["people:read"], admin=True)
        ledger_client = await platform.make_client(food_bank["org_id"], ["ledger:write"])
        _, admin_email = await invite(portal_app, food_bank["org_id"], "org_admin")
        await staff_sign_in(web, admin_email)
        page = (await web.get("/console/admin")).text
        assert "Managed by the platform" in page
        for client, refused in ((admin_client, ("rotate", "disable")), (ledger_client, ("rotate",))):
            for action in refused:
                response = await post_form(
                    web, "/console/admin", f"/console/admin/clients/{client.client_id}/{action}", {}
                )
                assert response.status_code == 403, (client.client_id, action, response.status_code)
            token = await web.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.client_secret),
            )
            assert token.status_code == 200  # untouched
        # Stopping one only takes power away: the admin may stop any of the organisation's own but
        # a platform-admin client (a compromised one can always be stopped).
        stopped = await post_form(
            web, "/console/admin", f"/console/admin/clients/{ledger_client.client_id}/disable", {}
        )
        assert stopped.status_code in (200, 303), stopped.text
        beyond = await post_form(
            web, "/console/admin", "/console/admin/clients", {"scopes": ["ledger:write"]}
        )
        assert beyond.status_code == 422

    async def test_what_the_admin_may_give_clients_is_the_platforms_to_set(
        self, web, food_bank, platform, portal_app
    ):
        from app.auth.principal import Principal
        from app.organisations import service as organisations

        _, admin_email = await invite(portal_app, food_bank["org_id"], "org_admin")
        await staff_sign_in(web, admin_email)
        assert "Resolve cards and redeem credits" not in (await web.get("/console/admin")).text
        till = {"name": "till", "scopes": ["rewards:redeem"]}
        assert (await post_form(web, "/console/admin", "/console/admin/clients", till)).status_code == 422

        async with portal_app.state.db.session(platform=True) as session:
            await organisations.set_client_scopes(
                session, Principal.operator(), food_bank["org_id"], ["rewards:redeem", "people:read"]
            )
        assert "Resolve cards and redeem credits" in (await web.get("/console/admin")).text
        created = await post_form(web, "/console/admin", "/console/admin/clients", till)
        assert created.status_code == 200, created.text
        client_id = re.search(r"New API client (kc_[\w-]+)", created.text).group(1)
        secret = re.search(r'id="new-secret" readonly value="([^"]+)"', created.text).group(1)
        token = await web.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        assert token.status_code == 200 and token.json()["scope"] == "rewards:redeem"
        # Now within the platform's list, not the role's: consent:write is no longer the admin's to give.
        writer = {"name": "case system", "scopes": ["consent:write"]}
        assert (await post_form(web, "/console/admin", "/console/admin/clients", writer)).status_code == 422
        case_system = await platform.make_client(food_bank["org_id"], ["consent:write"])
        rotate = f"/console/admin/clients/{case_system.client_id}/rotate"
        assert (await post_form(web, "/console/admin", rotate, {})).status_code == 403

    async def test_a_later_invitation_from_another_organisation_does_not_take_a_sign_in_over(
        self, web, food_bank, platform, portal_app
    ):
        rival, _ = await org_with_token(platform, ORG_SCOPES)
        async with portal_app.state.db.session(platform=True) as session:
            from sqlalchemy import text

            await session.execute(
                text("UPDATE organisations SET name = 'AAA first by name' WHERE id = :id"), {"id": rival}
            )
        await invite(portal_app, rival, "caseworker", email=food_bank["staff_email"])
        await staff_sign_in(web, food_bank["staff_email"])
        home = (await web.get("/console")).text
        assert "AAA first by name" not in home

    async def test_disabling_ends_the_sessions_and_a_new_invitation_does_not_revive_them(
        self, web, food_bank, portal_app
    ):
        await staff_sign_in(web, food_bank["staff_email"])
        caseworker_cookies = dict(web.cookies)
        _, admin_email = await invite(portal_app, food_bank["org_id"], "org_admin")
        await staff_sign_in(web, admin_email)
        await post_form(web, "/console/admin", f"/console/admin/staff/{food_bank['staff_id']}/disable", {})
        await post_form(
            web,
            "/console/admin",
            "/console/admin/staff",
            {"email": food_bank["staff_email"], "role": "caseworker"},
        )
        web.cookies.clear()
        for name, value in caseworker_cookies.items():
            web.cookies.set(name, value, domain="testserver", path="/console")
        assert (await web.get("/console")).headers.get("location") == "/console/sign-in"
