"""A rewards card issued in the console (decision 0007): shown once to hand over; it waits for the
resident, who confirms it in the portal and chooses its PIN; it then works elsewhere only with the
PIN, never at the organisation that issued it (whatever the organisation's trust, and whatever
the card's state); the resident is told of every one."""

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
PIN = "4071"


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


def _shown_at(html: str) -> dict[str, str]:
    """The card form's hidden field: when the page with the button was shown."""
    return {"shown_at": re.search(r'name="shown_at" value="([^"]+)"', html).group(1)}


async def _issue(web, desk) -> tuple[str, str]:
    """The caseworker issues a card from the resident's page: (the page's text, the code)."""
    await staff_sign_in(web, desk["staff_email"])
    page = f"/console/people/{desk['person']}"
    issued = await post_form(web, page, f"{page}/card", _shown_at((await web.get(page)).text))
    assert issued.status_code == 200, issued.text
    codes = CODE.findall(issued.text)
    assert len(codes) == 1, "the code is shown once, on the answer"
    assert CODE.search((await web.get(page)).text) is None, "and never again on the resident's page"
    return issued.text, codes[0]


async def _resolve(web, headers, code: str, pin: str | None = None):
    body = {"card_token": code} | ({"card_pin": pin} if pin is not None else {})
    return await web.post("/v1/cards/resolve", json=body, headers=headers)


async def _card_presented_grants(portal_app, org_id: uuid.UUID) -> int:
    async with portal_app.state.db.session(platform=True) as session:
        return await session.scalar(
            text("SELECT count(*) FROM consent_grants WHERE org_id = :o AND method = 'card_presented'"),
            {"o": org_id},
        )


async def _answer(web, answer: str, pin: str = ""):
    rewards = (await web.get("/portal/rewards")).text
    card_id = re.search(r'action="/portal/rewards/cards/([0-9a-f-]{36})"', rewards).group(1)
    return await post_form(
        web, "/portal/rewards", f"/portal/rewards/cards/{card_id}", {"answer": answer, "pin": pin}
    )


class TestACardFromAnOrganisation:
    @pytest.mark.parametrize("trusted", [False, True])
    async def test_it_waits_for_the_resident_and_then_works_only_with_her_pin_and_never_at_the_issuer(
        self, portal_app, platform, web, shop, trusted
    ):
        desk = await _desk(portal_app, platform, web, trusted=trusted)
        page, code = await _issue(web, desk)
        assert "chooses its PIN" in page and "We have emailed them" in page
        # Waiting, it works nowhere, and answers as any card of an organisation's does: whoever was
        # handed the code learns nothing by trying it.
        waiting = await _resolve(web, shop, code)
        assert waiting.status_code == 403 and waiting.json()["code"] == "card_pin_required"
        guessed = await _resolve(web, shop, code, "5821")
        assert guessed.status_code == 403 and guessed.json()["code"] == "card_pin_wrong"
        at_issuer = await _resolve(web, desk["till"], code)
        assert at_issuer.status_code == 403 and at_issuer.json()["code"] == "card_issued_here"

        outbox = (await web.get("/dev/outbox")).text
        assert "wants to give you a rewards card" in outbox and code[-5:] in outbox
        assert code not in outbox, "the mail names only the code's last characters"

        await sign_in(web, desk["resident_email"])
        rewards = (await web.get("/portal/rewards")).text
        assert "Were you given a card by" in rewards and code[-5:] in rewards
        no_pin = await _answer(web, "accept", pin="12")
        assert no_pin.status_code == 422 and "Choose a PIN of 4 to 6 digits" in no_pin.text
        for easy in ("1234", "0000", "2580"):
            refused = await _answer(web, "accept", pin=easy)
            assert refused.status_code == 422 and "harder to guess" in refused.text, easy
        confirmed = await _answer(web, "accept", pin=PIN)
        assert confirmed.headers["location"] == "/portal/rewards?notice=card-confirmed"
        assert code in (await web.get("/portal/rewards")).text, "the resident's card in use is this one"

        # The code alone, which the issuer has seen, opens nothing: the PIN is hers alone.
        bare = await _resolve(web, shop, code)
        assert bare.status_code == 403 and bare.json()["code"] == "card_pin_required"
        wrong = await _resolve(web, shop, code, "0000")
        assert wrong.status_code == 403 and wrong.json()["code"] == "card_pin_wrong"
        assert (await _resolve(web, shop, code, PIN)).status_code == 200
        at_issuer = await _resolve(web, desk["till"], code, PIN)
        assert at_issuer.status_code == 403 and at_issuer.json()["code"] == "card_issued_here"
        assert await _card_presented_grants(portal_app, desk["org_id"]) == 0
        spent = await web.post(
            "/v1/rewards/redeem",
            json={
                "id": str(uuid.uuid4()),
                "card_token": code,
                "card_pin": PIN,
                "amount": 1,
                "description": "tea",
            },
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
        assert any(
            a.action == "reward_card.issued" and a.actor.startswith("staff:caseworker:") for a in actions
        )
        assert any(a.action == "reward_card.confirmed" for a in actions)

    async def test_waiting_it_replaces_nothing_and_refused_it_never_works(
        self, portal_app, platform, web, shop
    ):
        desk = await _desk(portal_app, platform, web, trusted=True)
        await sign_in(web, desk["resident_email"])
        await post_form(web, "/portal/rewards", "/portal/rewards/card", {})
        own = CODE.search((await web.get("/portal/rewards")).text).group(1)

        _, first = await _issue(web, desk)
        _, code = await _issue(web, desk)  # a second replaces the first, still waiting
        assert (await _resolve(web, shop, own)).status_code == 200, "waiting, it replaces nothing"
        await sign_in(web, desk["resident_email"])
        rewards = (await web.get("/portal/rewards")).text
        assert rewards.count("Were you given a card by") == 1 and code[-5:] in rewards
        refused = await _answer(web, "refuse")
        assert refused.headers["location"] == "/portal/rewards?notice=card-refused"
        assert "Were you given a card" not in (await web.get("/portal/rewards")).text
        for never in (first, code):
            refused = await _resolve(web, shop, never, PIN)
            assert refused.status_code == 403 and refused.json()["code"] == "card_pin_wrong"
        assert (await _resolve(web, shop, own)).status_code == 200
        again = await post_form(
            web, "/portal/rewards", f"/portal/rewards/cards/{uuid.uuid4()}", {"answer": "accept", "pin": PIN}
        )
        assert again.status_code == 404, "no such card waits for her"

    async def test_confirming_it_replaces_the_earlier_card(self, portal_app, platform, web, shop):
        desk = await _desk(portal_app, platform, web, trusted=False)
        await sign_in(web, desk["resident_email"])
        await post_form(web, "/portal/rewards", "/portal/rewards/card", {})
        old = CODE.search((await web.get("/portal/rewards")).text).group(1)
        _, code = await _issue(web, desk)
        await sign_in(web, desk["resident_email"])
        await _answer(web, "accept", pin=PIN)
        assert (await _resolve(web, shop, old)).status_code == 404
        assert (await _resolve(web, shop, code, PIN)).status_code == 200


class TestAReload:
    async def test_the_same_form_sent_again_issues_nothing(self, portal_app, platform, web):
        """A reloaded answer sends the form again: it must not issue (and mail) a second card."""
        desk = await _desk(portal_app, platform, web, trusted=True)
        await staff_sign_in(web, desk["staff_email"])
        page = f"/console/people/{desk['person']}"
        form = _shown_at((await web.get(page)).text)
        first = await post_form(web, page, f"{page}/card", form)
        again = await post_form(web, page, f"{page}/card", form)
        assert first.status_code == 200 and again.status_code == 409, again.text
        assert "already" in again.text and CODE.search(again.text) is None
        async with portal_app.state.db.session(platform=True) as session:
            made = await session.scalar(
                text("SELECT count(*) FROM reward_cards WHERE issued_by_org = :o"), {"o": desk["org_id"]}
            )
        assert made == 1
        fresh = await post_form(web, page, f"{page}/card", _shown_at((await web.get(page)).text))
        assert fresh.status_code == 200  # the page shown again: another may be issued


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
        assert (
            await post_form(web, page, stranger, _shown_at((await web.get(page)).text))
        ).status_code == 404
        assert (await web.post(f"{page}/card")).status_code == 403, "a form without its CSRF token"
        async with portal_app.state.db.session(platform=True) as session:
            made = await session.scalar(
                text("SELECT count(*) FROM reward_cards WHERE issued_by_org = :o"), {"o": desk["org_id"]}
            )
        assert made == 0


class TestWrongPins:
    async def test_each_is_mailed_the_fifth_stops_the_card_and_a_new_pin_starts_it_again(
        self, portal_app, platform, web, shop
    ):
        desk = await _desk(portal_app, platform, web, trusted=False)
        _, code = await _issue(web, desk)
        await sign_in(web, desk["resident_email"])
        assert (await _answer(web, "accept", pin=PIN)).status_code == 303
        for n in range(5):
            wrong = await _resolve(web, shop, code, f"90{n}7")
            assert wrong.json()["code"] == "card_pin_wrong"
        outbox = (await web.get("/dev/outbox")).text
        assert outbox.count("A wrong PIN was given for your rewards card") >= 5
        stopped = await _resolve(web, shop, code, PIN)
        assert stopped.status_code == 403 and stopped.json()["code"] == "card_pin_wrong", (
            "stopped, even with it"
        )
        rewards = (await web.get("/portal/rewards")).text
        assert "stopped after 5 wrong PINs" in rewards
        changed = await post_form(web, "/portal/rewards", "/portal/rewards/card-pin", {"pin": "8306"})
        assert changed.headers["location"] == "/portal/rewards?notice=pin-changed"
        assert (await _resolve(web, shop, code, PIN)).status_code == 403
        assert (await _resolve(web, shop, code, "8306")).status_code == 200

    async def test_a_pin_from_the_residents_birthday_is_refused(self, portal_app, platform, web):
        desk = await _desk(portal_app, platform, web, trusted=False)
        await _issue(web, desk)
        await sign_in(web, desk["resident_email"])
        async with portal_app.state.db.session(platform=True) as session:
            born = await session.scalar(
                text(
                    "SELECT r.claims -> 'date_of_birth' ->> 'value' FROM person_records r "
                    "JOIN org_people op ON op.person_id = r.person_id WHERE op.org_person_id = :p"
                ),
                {"p": uuid.UUID(desk["person"])},
            )
        year, month, day = born.split("-")
        for guessable in (day + month, year, day + month + year[2:]):
            refused = await _answer(web, "accept", pin=guessable)
            # (a birthday like 11/11 is refused as a repeat first)
            assert refused.status_code == 422, guessable
            assert "date of birth" in refused.text or "harder to guess" in refused.text, guessable
