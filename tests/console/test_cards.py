"""A rewards card issued in the console (decision 0007): shown once to hand over; it never resolves
at the organisation that issued it; an untrusted organisation's card works only once the resident
confirms it in the portal, a trusted one's at once; the resident is told of every one."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import text

from app.auth.principal import Principal
from app.organisations import service as organisations
from tests.console.conftest import invite, post_form, staff_sign_in
from tests.factories import org_with_token
from tests.portal.conftest import known_resident, sign_in

CODE = re.compile(r'<code class="token">([0-9A-Z]{5}-[0-9A-Z]{5})</code>')


async def _desk(portal_app, platform, web, trusted: bool) -> dict:
    """An organisation that knows a resident, a caseworker of it, and a client of it that can
    resolve cards (as its own till would)."""
    org_id, _, person, email = await known_resident(platform, web)
    if not trusted:
        async with portal_app.state.db.session(platform=True) as session:
            await organisations.set_trust(session, Principal.operator(), org_id, records_consent=False)
    till = await platform.make_client(org_id, ["rewards:redeem"])
    _, staff_email = await invite(portal_app, org_id, "caseworker")
    return {
        "org_id": org_id,
        "person": person,
        "resident_email": email,
        "staff_email": staff_email,
        "till": {"Authorization": f"Bearer {await platform.token(till)}"},
    }


@pytest.fixture
async def shop(platform):
    """Another organisation's till, where the resident spends."""
    _, headers = await org_with_token(platform, "rewards:redeem", sector="commercial", kind="shop")
    return headers


async def _issue(web, desk) -> tuple[str, str]:
    """The caseworker issues a card from the resident's page: (the page's text, the code)."""
    await staff_sign_in(web, desk["staff_email"])
    page = f"/console/people/{desk['person']}"
    issued = await post_form(web, page, f"{page}/card", {})
    assert issued.status_code == 200, issued.text
    codes = CODE.findall(issued.text)
    assert len(codes) == 1, "the code is shown once, on the answer"
    assert CODE.search((await web.get(page)).text) is None, "and never again on the resident's page"
    return issued.text, codes[0]


async def _resolve(web, headers, code: str):
    return await web.post("/v1/cards/resolve", json={"card_token": code}, headers=headers)


async def _card_presented_grants(portal_app, org_id: uuid.UUID) -> int:
    async with portal_app.state.db.session(platform=True) as session:
        return await session.scalar(
            text("SELECT count(*) FROM consent_grants WHERE org_id = :o AND method = 'card_presented'"),
            {"o": org_id},
        )


async def _answer(web, answer: str):
    rewards = (await web.get("/portal/rewards")).text
    card_id = re.search(r'action="/portal/rewards/cards/([0-9a-f-]{36})"', rewards).group(1)
    return await post_form(web, "/portal/rewards", f"/portal/rewards/cards/{card_id}", {"answer": answer})


class TestUntrustedOrganisation:
    async def test_the_card_waits_for_the_resident_and_never_works_where_it_was_issued(
        self, portal_app, platform, web, shop
    ):
        desk = await _desk(portal_app, platform, web, trusted=False)
        page, code = await _issue(web, desk)
        assert "once the resident confirms" in page
        assert (await _resolve(web, shop, code)).status_code == 404, "waiting: it works nowhere"
        assert (await _resolve(web, desk["till"], code)).status_code == 404

        outbox = (await web.get("/dev/outbox")).text
        assert "wants to give you a rewards card" in outbox and code[-5:] in outbox
        assert code not in outbox, "the mail names only the code's last characters"

        await sign_in(web, desk["resident_email"])
        rewards = (await web.get("/portal/rewards")).text
        assert "Were you given a card by" in rewards and code[-5:] in rewards
        confirmed = await _answer(web, "accept")
        assert confirmed.headers["location"] == "/portal/rewards?notice=card-confirmed"
        assert code in (await web.get("/portal/rewards")).text, "the resident's card in use is this one"

        assert (await _resolve(web, shop, code)).status_code == 200
        at_issuer = await _resolve(web, desk["till"], code)
        assert at_issuer.status_code == 403 and at_issuer.json()["code"] == "card_issued_here"
        assert await _card_presented_grants(portal_app, desk["org_id"]) == 0
        spent = await web.post(
            "/v1/rewards/redeem",
            json={"id": str(uuid.uuid4()), "card_token": code, "amount": 1, "description": "tea"},
            headers=desk["till"],
        )
        assert spent.status_code == 403 and spent.json()["code"] == "card_issued_here"

        async with portal_app.state.db.session(platform=True) as session:
            actions = (
                await session.execute(
                    text(
                        "SELECT action, actor FROM audit_log WHERE action LIKE 'reward_card.%' "
                        "AND (org_id = :o OR actor LIKE 'resident:%') AND occurred_at > now() - interval '1 hour' "
                        "ORDER BY occurred_at"
                    ),
                    {"o": desk["org_id"]},
                )
            ).all()
        issued = [
            a for a in actions if a.action == "reward_card.issued" and a.actor.startswith("staff:caseworker:")
        ]
        assert issued and any(a.action == "reward_card.confirmed" for a in actions)

    async def test_a_card_the_resident_refuses_never_works_and_their_own_keeps_working(
        self, portal_app, platform, web, shop
    ):
        desk = await _desk(portal_app, platform, web, trusted=False)
        await sign_in(web, desk["resident_email"])
        await post_form(web, "/portal/rewards", "/portal/rewards/card", {})
        own = CODE.search((await web.get("/portal/rewards")).text).group(1)

        _, code = await _issue(web, desk)
        assert (await _resolve(web, shop, own)).status_code == 200, "waiting, it replaces nothing"
        await sign_in(web, desk["resident_email"])
        refused = await _answer(web, "refuse")
        assert refused.headers["location"] == "/portal/rewards?notice=card-refused"
        assert "Were you given a card" not in (await web.get("/portal/rewards")).text
        assert (await _resolve(web, shop, code)).status_code == 404
        assert (await _resolve(web, shop, own)).status_code == 200
        again = await _answer_missing(web)
        assert again.status_code == 404, "a card answered once cannot be answered again"


async def _answer_missing(web):
    return await post_form(
        web, "/portal/rewards", f"/portal/rewards/cards/{uuid.uuid4()}", {"answer": "accept"}
    )


class TestTrustedOrganisation:
    async def test_the_card_works_at_once_elsewhere_and_replaces_the_earlier_one(
        self, portal_app, platform, web, shop
    ):
        desk = await _desk(portal_app, platform, web, trusted=True)
        await sign_in(web, desk["resident_email"])
        await post_form(web, "/portal/rewards", "/portal/rewards/card", {})
        old = CODE.search((await web.get("/portal/rewards")).text).group(1)

        page, code = await _issue(web, desk)
        assert "It works now" in page
        assert (await _resolve(web, shop, code)).status_code == 200
        assert (await _resolve(web, shop, old)).status_code == 404
        assert (await _resolve(web, desk["till"], code)).status_code == 403
        assert "gave you a rewards card" in (await web.get("/dev/outbox")).text


class TestWhoMayIssue:
    async def test_a_viewer_may_not_and_no_one_for_another_organisations_person(
        self, portal_app, platform, web
    ):
        desk = await _desk(portal_app, platform, web, trusted=True)
        other = await _desk(portal_app, platform, web, trusted=True)
        _, viewer_email = await invite(portal_app, desk["org_id"], "viewer")
        await staff_sign_in(web, viewer_email)
        page = f"/console/people/{desk['person']}"
        assert "Issue a card" not in (await web.get(page)).text
        assert (await post_form(web, page, f"{page}/card", {})).status_code == 403

        await staff_sign_in(web, desk["staff_email"])
        stranger = f"/console/people/{other['person']}/card"
        assert (await post_form(web, page, stranger, {})).status_code == 404
        assert (await web.post(f"{page}/card")).status_code == 403, "a form without its CSRF token"
        async with portal_app.state.db.session(platform=True) as session:
            made = await session.scalar(
                text("SELECT count(*) FROM reward_cards WHERE issued_by_org = :o"), {"o": desk["org_id"]}
            )
        assert made == 0
