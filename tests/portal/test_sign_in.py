"""Signing in to the portal: one-time codes, registration, sessions, CSRF, and limits."""

from __future__ import annotations

import uuid

from tests.portal.conftest import (
    ask_code,
    enter_code,
    known_resident,
    last_code,
    portal_client,
    post_form,
    sign_in,
)


class TestSignIn:
    async def test_known_resident_signs_in_with_the_code_from_the_outbox(self, web, platform):
        _, _, _, email = await known_resident(platform, web, given_name="Winifred")
        assert (await sign_in(web, email)).headers["location"] == "/portal"
        overview = await web.get("/portal")
        assert overview.status_code == 200
        assert "Hello, Winifred" in overview.text

    async def test_without_a_session_pages_send_you_to_sign_in(self, web):
        response = await web.get("/portal/details")
        assert response.status_code == 303
        assert response.headers["location"] == "/portal/sign-in"


class TestRegister:
    async def test_a_new_resident_registers_after_proving_their_email(self, web):
        email = f"new.{uuid.uuid4().hex[:8]}@example.org"
        await sign_in(web, email)
        assert (await web.get("/portal")).headers["location"] == "/portal/register"
        missing = await post_form(web, "/portal/register", "/portal/register", {"given_name": "Ada"})
        assert missing.status_code == 422
        assert "There is a problem" in missing.text and 'href="#family_name"' in missing.text
        done = await post_form(
            web,
            "/portal/register",
            "/portal/register",
            {"given_name": "Ada", "family_name": "Quist", "postcode": "rs1 2ab"},
        )
        assert done.headers["location"] == "/portal"
        details = (await web.get("/portal/details")).text
        assert "Quist" in details and "RS1 2AB" in details and email in details

    async def test_a_bad_postcode_is_named_in_the_error_summary(self, web):
        await sign_in(web, f"new.{uuid.uuid4().hex[:8]}@example.org")
        response = await post_form(
            web,
            "/portal/register",
            "/portal/register",
            {"given_name": "Ada", "family_name": "Quist", "postcode": "nonsense"},
        )
        assert response.status_code == 422
        assert 'href="#address-postcode"' in response.text and "Postcode" in response.text


class TestCodes:
    async def test_a_code_works_once(self, web, platform):
        _, _, _, email = await known_resident(platform, web)
        await ask_code(web, email)
        challenge = web.cookies.get("kith_signin")
        code = await last_code(web, email)
        assert (await enter_code(web, code)).status_code == 303
        web.cookies.clear()
        web.cookies.set("kith_signin", challenge, domain="testserver.local", path="/portal")
        reused = await enter_code(web, code)
        assert reused.status_code == 400 and "already been used" in reused.text
        assert "kith_session" not in web.cookies

    async def test_an_expired_code_is_refused(self, web, platform, owner_conn):
        _, _, _, email = await known_resident(platform, web)
        await ask_code(web, email)
        await owner_conn.execute(
            "UPDATE portal_codes SET expires_at = now() - interval '1 second' WHERE email = $1", email
        )
        response = await enter_code(web, await last_code(web, email))
        assert response.status_code == 400
        assert "expired" in response.text

    async def test_guessing_stops_after_five_wrong_tries_even_for_the_right_code(self, web, platform):
        _, _, _, email = await known_resident(platform, web)
        await ask_code(web, email)
        code = await last_code(web, email)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for tries_left in (4, 3, 2, 1):
            response = await enter_code(web, wrong)
            assert response.status_code == 400 and f"You have {tries_left} " in response.text
        assert "too many times" in (await enter_code(web, wrong)).text
        refused = await enter_code(web, code)
        assert refused.status_code == 400 and "too many times" in refused.text
        assert (await web.get("/portal")).status_code == 303  # still not signed in

    async def test_an_address_may_ask_for_only_a_few_codes(self, web):
        email = f"many.{uuid.uuid4().hex[:8]}@example.org"
        for _ in range(5):
            assert (await ask_code(web, email)).status_code == 303
        limited = await ask_code(web, email)
        assert limited.status_code == 429
        assert "Too many codes" in limited.text and limited.headers["retry-after"] == "900"

    async def test_one_address_may_try_only_so_often(self, database_url, data_dir):
        async with portal_client(database_url, data_dir, env="dev", portal_address_limit="3/hour") as c:
            await ask_code(c, f"a.{uuid.uuid4().hex[:8]}@example.org")
            for _ in range(2):
                await enter_code(c, "000000")
            limited = await enter_code(c, "000000")
            assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0

    async def test_a_malformed_email_is_named(self, web):
        response = await ask_code(web, "not an address")
        assert response.status_code == 422
        assert 'href="#email"' in response.text and 'aria-invalid="true"' in response.text


class TestCsrf:
    async def test_a_form_without_the_token_is_refused(self, web, platform):
        _, _, _, email = await known_resident(platform, web)
        await sign_in(web, email)
        response = await web.post("/portal/data/research", data={"objecting": "yes"})
        assert response.status_code == 403
        assert "did not come from this site" in response.text
        assert "You objected" not in (await web.get("/portal/data")).text

    async def test_another_sessions_token_is_refused(self, web, platform, portal_app):
        import httpx

        _, _, _, email = await known_resident(platform, web)
        _, _, _, other = await known_resident(platform, web)
        await sign_in(web, email)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=portal_app), base_url=str(web.base_url)
        ) as b:
            await sign_in(b, other)
            from tests.portal.conftest import csrf_of

            theirs = csrf_of((await b.get("/portal/data")).text)
        response = await web.post("/portal/data/research", data={"objecting": "yes", "csrf_token": theirs})
        assert response.status_code == 403

    async def test_sign_in_itself_needs_the_token(self, web):
        await web.get("/portal/sign-in")
        response = await web.post("/portal/sign-in", data={"email": "someone@example.org"})
        assert response.status_code == 403


class TestSessions:
    async def test_signing_out_ends_the_session(self, web, platform):
        _, _, _, email = await known_resident(platform, web)
        await sign_in(web, email)
        cookie = web.cookies.get("kith_session")
        web.cookies.clear()
        web.cookies.set("kith_session", cookie, domain="testserver.local", path="/portal")
        assert (await web.get("/portal")).status_code == 200  # the copied cookie opens the session
        out = await post_form(web, "/portal", "/portal/sign-out", {})
        assert out.headers["location"] == "/portal/sign-in?notice=signed-out"
        web.cookies.set("kith_session", cookie, domain="testserver.local", path="/portal")  # a copied cookie
        assert (await web.get("/portal")).status_code == 303

    async def test_the_session_cookie_is_secure_httponly_and_lax(self, web, platform):
        _, _, _, email = await known_resident(platform, web)
        response = await sign_in(web, email)
        cookie = next(
            v
            for k, v in response.headers.multi_items()
            if k == "set-cookie" and v.startswith("kith_session=")
        )
        assert (
            "HttpOnly" in cookie
            and "Secure" in cookie
            and "SameSite=lax" in cookie
            and "Path=/portal" in cookie
        )

    async def test_the_cookie_token_is_not_stored(self, web, platform, owner_conn):
        _, _, _, email = await known_resident(platform, web)
        await sign_in(web, email)
        token = web.cookies.get("kith_session")
        assert (
            await owner_conn.fetchval("SELECT count(*) FROM portal_sessions WHERE token_hash = $1", token)
            == 0
        )


class TestOneResidentOnly:
    async def test_a_resident_sees_only_their_own_pages(self, web, platform, portal_app):
        import httpx

        _, _, _, email_a = await known_resident(platform, web, given_name="Agatha")
        org_b, _, _, email_b = await known_resident(platform, web, given_name="Bartholomew")
        await sign_in(web, email_a)
        for path in ("/portal", "/portal/details", "/portal/organisations", "/portal/data/export"):
            page = await web.get(path)
            assert page.status_code == 200, path
            assert "Bartholomew" not in page.text and email_b not in page.text
        # B's organisation holds no record of A: A cannot touch what B granted it.
        refused = await post_form(
            web,
            "/portal/organisations",
            f"/portal/organisations/{org_b}/withdraw",
            {"purpose": "service_delivery"},
        )
        assert refused.status_code == 404
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=portal_app), base_url=str(web.base_url)
        ) as b:
            await sign_in(b, email_b)
            assert "Bartholomew" in (await b.get("/portal/details")).text
            assert "Agatha" not in (await b.get("/portal/details")).text


class TestOutbox:
    async def test_the_outbox_exists_only_in_dev(self, client):
        assert (await client.get("/dev/outbox")).status_code == 404
