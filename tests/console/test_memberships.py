"""Staff at several organisations: sign-in by emailed code opens the earliest membership and offers
the others; moving opens a session as the chosen one; a single sign-on session never moves."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from tests.console.conftest import invite, post_form, staff_sign_in


async def _two_memberships(portal_app, platform) -> dict:
    first = await platform.make_org(name=f"Food bank {uuid.uuid4().hex[:6]}")
    second = await platform.make_org(name=f"Surgery {uuid.uuid4().hex[:6]}")
    email = f"both.{uuid.uuid4().hex[:8]}@example.org"
    first_id, _ = await invite(portal_app, first.id, "caseworker", email)
    second_id, _ = await invite(portal_app, second.id, "viewer", email)
    return {"email": email, "first": first, "second": second, "first_id": first_id, "second_id": second_id}


class TestChooser:
    async def test_sign_in_offers_the_others_and_moving_opens_the_chosen_one(self, portal_app, platform, web):
        m = await _two_memberships(portal_app, platform)
        signed_in = await staff_sign_in(web, m["email"])
        assert signed_in.headers["location"] == "/console/organisations"
        chooser = (await web.get("/console/organisations")).text
        assert m["first"].name in chooser and m["second"].name in chooser
        assert f"Caseworker at {m['first'].name}" in (await web.get("/console")).text

        moved = await post_form(
            web, "/console/organisations", "/console/organisations", {"staff_id": str(m["second_id"])}
        )
        assert moved.status_code == 303 and moved.headers["location"] == "/console?notice=switched"
        now = (await web.get("/console")).text
        assert f"Viewer at {m['second'].name}" in now
        async with portal_app.state.db.session(platform=True) as session:
            methods = (
                await session.scalars(
                    text(
                        "SELECT detail->>'method' FROM audit_log WHERE action = 'staff.signed_in' "
                        "AND subject_id = :s"
                    ),
                    {"s": str(m["second_id"])},
                )
            ).all()
            live = await session.scalar(
                text("SELECT count(*) FROM staff_sessions WHERE staff_id IN (:a, :b)"),
                {"a": m["first_id"], "b": m["second_id"]},
            )
        assert methods == ["switch"] and live == 1, "the earlier session ended"
        async with portal_app.state.db.session(platform=True) as session:
            ends = (
                await session.execute(
                    text("SELECT expires_at, created_at FROM staff_sessions WHERE staff_id = :s"),
                    {"s": m["second_id"]},
                )
            ).one()
        hours = portal_app.state.settings.console_session_hours
        assert (ends.expires_at - ends.created_at).total_seconds() < hours * 3600 - 0.001, (
            "moving keeps the sign-in's own end: it never makes a session last longer"
        )

    async def test_only_the_addresss_own_enabled_memberships(self, portal_app, platform, web):
        m = await _two_memberships(portal_app, platform)
        stranger_org = await platform.make_org()
        stranger_id, _ = await invite(portal_app, stranger_org.id, "org_admin")
        async with portal_app.state.db.session(platform=True) as session:
            await session.execute(
                text("UPDATE staff_users SET disabled_at = now() WHERE id = :id"), {"id": m["second_id"]}
            )
        signed_in = await staff_sign_in(web, m["email"])
        assert signed_in.headers["location"] == "/console", "one enabled membership: no chooser"
        assert "You work for" in (await web.get("/console/organisations")).text
        for target in (stranger_id, m["second_id"], "not-an-id"):
            refused = await post_form(
                web, "/console/organisations", "/console/organisations", {"staff_id": str(target)}
            )
            assert refused.status_code == 404, target
        assert f"at {m['first'].name}" in (await web.get("/console")).text

    async def test_a_single_sign_on_session_never_moves(self, portal_app, platform, web):
        m = await _two_memberships(portal_app, platform)
        await staff_sign_in(web, m["email"])
        async with portal_app.state.db.session(platform=True) as session:
            await session.execute(
                text("UPDATE staff_sessions SET signed_in_by = 'sso' WHERE staff_id = :s"),
                {"s": m["first_id"]},
            )
        page = (await web.get("/console/organisations")).text
        assert "speaks for" in page and m["second"].name not in page
        assert "Switch organisation" not in (await web.get("/console")).text
        refused = await post_form(
            web, "/console/organisations", "/console/organisations", {"staff_id": str(m["second_id"])}
        )
        assert refused.status_code == 404
