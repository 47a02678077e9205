"""Rewards over HTTP: pools, funding, earning under consent, cards, redemption (held or not), the
wallet, and events."""

from __future__ import annotations

import hashlib
import re
import uuid

import orjson
import pytest

from tests.conftest import SERVICE_KEY, make_settings, running_app
from tests.factories import Platform, org_with_token, unique_resident
from tests.ledger.conftest import SCOPES, balance, make_pool, mint


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
async def scheme(client, platform, admin, owner_conn):
    """A council with a funded pool and a resident it registered; a café the resident may visit;
    the resident's card."""
    council_org, council = await org_with_token(platform, SCOPES)
    cafe_org, cafe = await org_with_token(platform, SCOPES, sector="commercial", kind="cafe")
    pool = await make_pool(client, council)
    await mint(client, admin, pool, 500)
    resident = unique_resident(verified=["email"])
    person = (await client.post("/v1/people", json=resident, headers=council)).json()["person_id"]
    canonical = await owner_conn.fetchval(
        "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(person)
    )
    card = (await client.post(f"/v1/admin/people/{canonical}/card", headers=admin)).json()["card_token"]
    return {
        "council": council,
        "council_org": council_org,
        "cafe": cafe,
        "cafe_org": cafe_org,
        "pool": pool,
        "person": person,
        "card": card,
        "email": resident["email"],
        "canonical": canonical,
    }


async def grant_rewards(client, headers, person):
    response = await client.post(
        f"/v1/people/{person}/consents",
        json={
            "purpose": "rewards",
            "categories": ["rewards"],
            "method": "recorded_by_org",
            "evidence": {"kind": "verbal", "reference": "at the desk"},
        },
        headers=headers,
    )
    assert response.status_code in (200, 201), response.text


async def earn(client, s, **body):
    return await client.post(
        "/v1/rewards/earn",
        json={"id": new_id(), "person_id": s["person"], "pool_id": s["pool"], **body},
        headers=s["council"],
    )


class TestEarn:
    async def test_needs_the_persons_rewards_grant(self, client, scheme):
        response = await earn(client, scheme, hours=2)
        assert response.status_code == 403 and response.json()["code"] == "consent_required"

    async def test_hours_at_the_pools_rate(self, client, scheme):
        await grant_rewards(client, scheme["council"], scheme["person"])
        response = await earn(client, scheme, hours=3.5)
        assert response.status_code == 201, response.text
        assert response.json()["amount"] == 3 and response.json()["code"] == "earn"
        assert (await balance(client, scheme["council"], scheme["pool"]))["balance"] == 497

    async def test_amount_and_replay(self, client, scheme):
        await grant_rewards(client, scheme["council"], scheme["person"])
        body = {"id": new_id(), "person_id": scheme["person"], "pool_id": scheme["pool"], "amount": 40}
        first = await client.post("/v1/rewards/earn", json=body, headers=scheme["council"])
        again = await client.post("/v1/rewards/earn", json=body, headers=scheme["council"])
        assert (first.status_code, again.status_code) == (201, 200) and first.json() == again.json()

    async def test_cannot_draw_on_another_organisations_pool(self, client, scheme):
        response = await client.post(
            "/v1/rewards/earn",
            json={"id": new_id(), "person_id": scheme["person"], "pool_id": scheme["pool"], "amount": 1},
            headers=scheme["cafe"],
        )
        assert response.status_code == 404

    async def test_more_than_the_pool_holds_is_refused(self, client, scheme):
        await grant_rewards(client, scheme["council"], scheme["person"])
        response = await earn(client, scheme, amount=501)
        assert response.status_code == 409 and response.json()["code"] == "exceeds_credits"

    @pytest.mark.parametrize("body", [{}, {"amount": 1, "hours": 1}, {"amount": 0}, {"hours": -1}])
    async def test_bad_input(self, client, scheme, body):
        assert (await earn(client, scheme, **body)).status_code == 422


class TestCardsAndRedeem:
    async def _earned(self, client, scheme, amount=50):
        await grant_rewards(client, scheme["council"], scheme["person"])
        assert (await earn(client, scheme, amount=amount)).status_code == 201

    async def test_card_resolves_links_and_grants(self, client, scheme):
        await self._earned(client, scheme)
        resolved = await client.post(
            "/v1/cards/resolve", json={"card_token": scheme["card"]}, headers=scheme["cafe"]
        )
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["balance"] == 50
        cafe_id = resolved.json()["person_id"]
        assert cafe_id != scheme["person"]
        grants = (await client.get(f"/v1/people/{cafe_id}/consents", headers=scheme["cafe"])).json()["items"]
        assert [(g["purpose"], g["method"]) for g in grants] == [("rewards", "card_presented")]
        wallet = (await client.get(f"/v1/people/{cafe_id}/wallet", headers=scheme["cafe"])).json()
        assert (wallet["balance"], wallet["history"][0]["direction"]) == (50, "in")

    async def test_resolving_a_card_and_reading_the_wallet_are_each_logged_once(
        self, client, scheme, owner_conn
    ):
        await self._earned(client, scheme)
        resolved = await client.post(
            "/v1/cards/resolve", json={"card_token": scheme["card"]}, headers=scheme["cafe"]
        )
        cafe_id = resolved.json()["person_id"]
        await client.get(f"/v1/people/{cafe_id}/wallet", headers=scheme["cafe"])
        logged = await owner_conn.fetch(
            "SELECT action, purpose, categories FROM access_log WHERE org_id = $1 ORDER BY id",
            scheme["cafe_org"],
        )
        assert [(r["action"], r["purpose"], list(r["categories"])) for r in logged] == [
            ("card", "rewards", ["identity", "rewards"]),
            ("wallet", "rewards", ["rewards"]),
        ]

    async def test_unknown_card_is_404(self, client, scheme):
        response = await client.post(
            "/v1/cards/resolve", json={"card_token": "kc1_not-a-card"}, headers=scheme["cafe"]
        )
        assert response.status_code == 404

    async def test_redeem_beyond_the_balance_is_refused_clearly(self, client, scheme):
        await self._earned(client, scheme, 30)
        response = await client.post(
            "/v1/rewards/redeem",
            json={"id": new_id(), "card_token": scheme["card"], "amount": 31, "description": "Lunch"},
            headers=scheme["cafe"],
        )
        assert response.status_code == 409 and response.json()["code"] == "exceeds_credits"
        assert "30 credits available" in response.json()["detail"]

    async def test_redeem_and_events(self, client, scheme, owner_conn):
        await self._earned(client, scheme, 30)
        response = await client.post(
            "/v1/rewards/redeem",
            json={"id": new_id(), "card_token": scheme["card"], "amount": 12, "description": "Lunch"},
            headers=scheme["cafe"],
        )
        assert response.status_code == 201, response.text
        cafe_id = response.json()["person_id"]
        wallet = (await client.get(f"/v1/people/{cafe_id}/wallet", headers=scheme["cafe"])).json()
        assert wallet["balance"] == 18
        kinds = {
            r["event_type"]: orjson.loads(r["payload"])
            for r in await owner_conn.fetch(
                "SELECT event_type, payload FROM outbox_events WHERE org_id = $1 AND event_type LIKE 'rewards.%'",
                scheme["cafe_org"],
            )
        }
        assert kinds["rewards.redeemed"]["amount"] == 12 and kinds["rewards.redeemed"]["person_id"] == cafe_id

    async def test_a_held_redemption_blocks_credits_until_posted_or_voided(self, client, scheme):
        await self._earned(client, scheme, 30)
        hold = {
            "id": new_id(),
            "card_token": scheme["card"],
            "amount": 20,
            "description": "Tab",
            "hold": True,
        }
        response = await client.post("/v1/rewards/redeem", json=hold, headers=scheme["cafe"])
        assert response.status_code == 201 and response.json()["status"] == "pending"
        cafe_id = response.json()["person_id"]
        more = await client.post(
            "/v1/rewards/redeem",
            json={"id": new_id(), "card_token": scheme["card"], "amount": 15, "description": "Cake"},
            headers=scheme["cafe"],
        )
        assert more.status_code == 409  # 10 available while 20 are held
        void = await client.post(
            f"/v1/ledger/transfers/{hold['id']}/void", json={"id": new_id()}, headers=scheme["cafe"]
        )
        assert void.status_code == 201, void.text
        assert (await client.get(f"/v1/people/{cafe_id}/wallet", headers=scheme["cafe"])).json()[
            "available"
        ] == 30
        # The council (which did not make the hold) cannot end it.
        hold2 = hold | {"id": new_id()}
        await client.post("/v1/rewards/redeem", json=hold2, headers=scheme["cafe"])
        foreign = await client.post(
            f"/v1/ledger/transfers/{hold2['id']}/post", json={"id": new_id()}, headers=scheme["council"]
        )
        assert foreign.status_code == 404
        posted = await client.post(
            f"/v1/ledger/transfers/{hold2['id']}/post", json={"id": new_id()}, headers=scheme["cafe"]
        )
        assert posted.status_code == 201
        assert (await client.get(f"/v1/people/{cafe_id}/wallet", headers=scheme["cafe"])).json()[
            "balance"
        ] == 10

    async def test_a_business_cannot_debit_a_wallet_directly(self, client, scheme, owner_conn):
        await self._earned(client, scheme, 30)
        wallet = (await redeem_by_card(client, scheme, 1)).json()["debit_account_id"]  # the café's alias
        cafe_pool = await make_pool(client, scheme["cafe"])

        def debiting(account) -> dict:
            return {
                "id": new_id(),
                "debit_account_id": str(account),
                "credit_account_id": cafe_pool,
                "amount": 5,
                "code": "redeem",
            }

        response = await client.post("/v1/ledger/transfers", json=debiting(wallet), headers=scheme["cafe"])
        assert response.status_code == 403 and response.json()["code"] == "debit_not_allowed"
        # The wallet's own id, which no organisation is shown, names nothing.
        real = await wallet_of(owner_conn, scheme)
        response = await client.post("/v1/ledger/transfers", json=debiting(real), headers=scheme["cafe"])
        assert response.status_code == 404 and response.json()["code"] == "debit_account_not_found"

    async def test_wallet_needs_a_grant(self, client, scheme, owner_conn):
        response = await client.get(f"/v1/people/{scheme['person']}/wallet", headers=scheme["council"])
        assert response.status_code == 403
        logged = "SELECT count(*) FROM access_log WHERE org_id = $1 AND action = 'wallet'"
        assert await owner_conn.fetchval(logged, scheme["council_org"]) == 0  # refused: nothing read


class TestIssueCard:
    async def test_an_id_that_is_no_residents_is_404_not_500(self, client, platform):
        admin = await platform.admin_headers()
        _, headers = await org_with_token(platform, "people:write")
        theirs = (await client.post("/v1/people", json=unique_resident(), headers=headers)).json()[
            "person_id"
        ]
        for person in (uuid.uuid4(), theirs):  # unknown, and an organisation's own id for someone
            response = await client.post(f"/v1/admin/people/{person}/card", headers=admin)
            assert response.status_code == 404, response.text
            assert response.json()["code"] == "person_not_found"

    async def test_a_card_issued_is_audited(self, client, platform, owner_conn):
        admin = await platform.admin_headers()
        _, headers = await org_with_token(platform, "people:write")
        theirs = (await client.post("/v1/people", json=unique_resident(), headers=headers)).json()[
            "person_id"
        ]
        canonical = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(theirs)
        )
        assert (await client.post(f"/v1/admin/people/{canonical}/card", headers=admin)).status_code == 201
        actions = await owner_conn.fetch(
            "SELECT actor FROM audit_log WHERE action = 'reward_card.issued' AND subject_id = $1",
            str(canonical),
        )
        assert len(actions) == 1 and actions[0]["actor"].startswith("client:")


class TestPools:
    async def test_another_organisation_funds_a_pool(self, client, scheme, admin):
        operating = await client.put(
            f"/v1/admin/ledger/operating-accounts/{scheme['cafe_org']}",
            json={"may_go_negative": False},
            headers=admin,
        )
        await mint(client, admin, operating.json()["id"], 100)  # what the café put into the scheme
        funded = await client.post(
            f"/v1/rewards/pools/{scheme['pool']}/fund",
            json={"id": new_id(), "amount": 75},
            headers=scheme["cafe"],
        )
        assert funded.status_code == 201, funded.text
        assert (await balance(client, scheme["council"], scheme["pool"]))["balance"] == 575

    async def test_mint_is_for_platform_admins(self, client, scheme):
        response = await client.post(
            "/v1/admin/ledger/mint",
            json={"id": new_id(), "account_id": scheme["pool"], "amount": 5},
            headers=scheme["council"],
        )
        assert response.status_code == 403


class TestErasure:
    async def test_erasure_returns_the_wallet_to_the_pools(self, app, client, scheme, owner_conn):
        from app.auth.principal import Principal
        from app.rights import service as rights

        await grant_rewards(client, scheme["council"], scheme["person"])
        await earn(client, scheme, amount=40)
        redeemed = await client.post(
            "/v1/rewards/redeem",
            json={
                "id": new_id(),
                "card_token": scheme["card"],
                "amount": 15,
                "description": "Tea",
                "hold": True,
            },
            headers=scheme["cafe"],
        )
        assert redeemed.status_code == 201
        canonical = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(scheme["person"])
        )
        async with app.state.db.session(platform=True) as session:
            summary = await rights.erase(session, Principal.resident(canonical))
        assert summary["credits_returned"] == 40  # the held 15 released first
        assert (await balance(client, scheme["council"], scheme["pool"]))["balance"] == 500
        wallet = await owner_conn.fetchrow(
            "SELECT credits_posted - debits_posted AS balance, debits_pending, closed_at FROM ledger_accounts "
            "WHERE person_id = $1",
            canonical,
        )
        assert (wallet["balance"], wallet["debits_pending"]) == (0, 0) and wallet["closed_at"] is not None
        card = await client.post(
            "/v1/cards/resolve", json={"card_token": scheme["card"]}, headers=scheme["cafe"]
        )
        assert card.status_code == 404


class TestExpiry:
    async def test_unspent_credits_expire_visibly(self, app, client, scheme, admin, owner_conn):
        from datetime import UTC, datetime, timedelta

        from app.rewards import earning

        expiring = await client.post(
            "/v1/rewards/pools", json={"name": "Short-lived", "expiry_days": 30}, headers=scheme["council"]
        )
        assert expiring.status_code == 201, expiring.text
        await mint(client, admin, expiring.json()["id"], 100)
        await grant_rewards(client, scheme["council"], scheme["person"])
        await earn(client, scheme, amount=10)  # from the pool that never expires
        earned = await client.post(
            "/v1/rewards/earn",
            json={
                "id": new_id(),
                "person_id": scheme["person"],
                "pool_id": expiring.json()["id"],
                "amount": 20,
            },
            headers=scheme["council"],
        )
        assert earned.status_code == 201
        spent = await client.post(
            "/v1/rewards/redeem",
            json={"id": new_id(), "card_token": scheme["card"], "amount": 15, "description": "Bus fare"},
            headers=scheme["cafe"],
        )
        assert spent.status_code == 201
        async with app.state.db.session(platform=True) as session:
            assert await earning.expire_credits(session) == 0  # not yet
        later = datetime.now(UTC) + timedelta(days=31)
        async with app.state.db.session(platform=True) as session:
            # Oldest first: the 15 spent used the 10 that never expire and 5 of the 20.
            assert await earning.expire_credits(session, now=later) == 15
        async with app.state.db.session(platform=True) as session:
            assert await earning.expire_credits(session, now=later) == 0  # once only
        wallet = (await client.get(f"/v1/people/{scheme['person']}/wallet", headers=scheme["council"])).json()
        assert wallet["balance"] == 0
        assert wallet["history"][0]["code"] == "expire" and wallet["history"][0]["amount"] == 15
        # The job's transfer is in the audit trail, under the job's name.
        audited = await owner_conn.fetchval(
            "SELECT count(*) FROM audit_log a JOIN ledger_transfers t ON t.id::text = a.subject_id "
            "WHERE t.code = 'expire' AND t.credit_account_id IS NOT NULL AND a.actor = 'job:credit expiry' "
            "AND a.detail ->> 'amount' = '15'"
        )
        assert audited >= 1


class TestWalletRowLevelSecurity:
    async def test_rls_alone_hides_an_ungranted_wallet(self, client, scheme, owner_conn, app_role_conn):
        await grant_rewards(client, scheme["council"], scheme["person"])
        await earn(client, scheme, amount=5)
        canonical = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(scheme["person"])
        )

        async def seen_by(org_id) -> tuple[int, int]:
            async with app_role_conn.transaction():
                await app_role_conn.fetchval("SELECT kith_begin($1, false, NULL, $2)", org_id, SERVICE_KEY)
                await app_role_conn.execute("SELECT set_config('kith.purpose', 'rewards', true)")
                wallets = await app_role_conn.fetchval(
                    "SELECT count(*) FROM ledger_accounts WHERE person_id = $1", canonical
                )
                moves = await app_role_conn.fetchval(
                    "SELECT count(*) FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.credit_account_id "
                    "WHERE a.person_id = $1",
                    canonical,
                )
                return wallets, moves

        assert await seen_by(scheme["council_org"]) == (1, 1)
        assert await seen_by(scheme["cafe_org"]) == (0, 0)  # the café was granted nothing


async def redeem_by_card(client, s, amount, **extra):
    return await client.post(
        "/v1/rewards/redeem",
        json={"id": new_id(), "card_token": s["card"], "amount": amount, "description": "Lunch", **extra},
        headers=s["cafe"],
    )


async def wallet_of(owner_conn, s) -> uuid.UUID:
    canonical = await owner_conn.fetchval(
        "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(s["person"])
    )
    return await owner_conn.fetchval(
        "SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND person_id = $1", canonical
    )


class TestWalletIdsPerOrganisation:
    """A wallet's id is an alias of the organisation it is shown to, as a person's id is: two
    organisations cannot tell from it that they serve the same resident."""

    async def test_two_organisations_see_different_ids_for_one_wallet(self, client, scheme, owner_conn):
        await grant_rewards(client, scheme["council"], scheme["person"])
        earned = await earn(client, scheme, amount=30)
        spent = await redeem_by_card(client, scheme, 12)
        assert (earned.status_code, spent.status_code) == (201, 201), spent.text
        councils, cafes = earned.json()["credit_account_id"], spent.json()["debit_account_id"]
        assert councils != cafes
        assert str(await wallet_of(owner_conn, scheme)) not in (councils, cafes)
        # Stable: the same organisation is always shown the same id, whichever way it meets the wallet.
        assert (await earn(client, scheme, amount=1)).json()["credit_account_id"] == councils
        hold = await redeem_by_card(client, scheme, 1, hold=True)
        assert hold.json()["debit_account_id"] == cafes
        posted = await client.post(
            f"/v1/ledger/transfers/{hold.json()['id']}/post", json={"id": new_id()}, headers=scheme["cafe"]
        )
        assert posted.status_code == 201, posted.text
        assert posted.json()["debit_account_id"] == cafes and posted.json()["pending_id"] == hold.json()["id"]
        listed = await client.get(
            f"/v1/ledger/accounts/{spent.json()['credit_account_id']}/transfers", headers=scheme["cafe"]
        )
        assert {t["debit_account_id"] for t in listed.json()["items"]} == {cafes}

    async def test_another_organisations_alias_is_404(self, client, scheme):
        await grant_rewards(client, scheme["council"], scheme["person"])
        councils = (await earn(client, scheme, amount=30)).json()["credit_account_id"]
        paid = await redeem_by_card(client, scheme, 12)  # the café's operating account now holds 12
        response = await client.post(
            "/v1/ledger/transfers",
            json={
                "id": new_id(),
                "debit_account_id": paid.json()["credit_account_id"],
                "credit_account_id": councils,
                "amount": 5,
                "code": "fund",
            },
            headers=scheme["cafe"],
        )
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "credit_account_not_found"

    async def test_events_name_the_transfer_in_each_receivers_own_id(self, client, scheme, owner_conn):
        await grant_rewards(client, scheme["council"], scheme["person"])
        await earn(client, scheme, amount=30)
        spent = await redeem_by_card(client, scheme, 12)
        rows = await owner_conn.fetch(
            "SELECT org_id, payload FROM outbox_events WHERE event_type = 'rewards.redeemed' "
            "AND org_id = ANY($1::uuid[])",
            [scheme["council_org"], scheme["cafe_org"]],
        )
        ids = {r["org_id"]: orjson.loads(r["payload"])["transfer_id"] for r in rows}
        assert ids[scheme["cafe_org"]] == spent.json()["id"]  # the café made it: its own id
        assert ids[scheme["council_org"]] != spent.json()["id"]


async def spend_code(app, canonical) -> str:
    """A one-time code the resident got from their rewards page."""
    from app.rewards import cards

    async with app.state.db.session(platform=True) as session:
        code, _ = await cards.issue_spend_code(session, canonical)
    return code


async def resolved_at_cafe(client, s) -> str:
    """The café's own id for the resident, once they showed their card there."""
    response = await client.post("/v1/cards/resolve", json={"card_token": s["card"]}, headers=s["cafe"])
    assert response.status_code == 200, response.text
    return response.json()["person_id"]


class TestRedeemNeedsTheResident:
    """Spending needs the card, or a one-time code the resident received: a grant alone never spends."""

    async def _ready(self, client, s, amount=30) -> str:
        await grant_rewards(client, s["council"], s["person"])
        assert (await earn(client, s, amount=amount)).status_code == 201
        return await resolved_at_cafe(client, s)  # linked, with a rewards grant

    async def _redeem(self, client, s, person, amount=5, **extra):
        return await client.post(
            "/v1/rewards/redeem",
            json={"id": new_id(), "person_id": person, "amount": amount, "description": "Cake", **extra},
            headers=s["cafe"],
        )

    async def test_a_grant_alone_never_spends(self, client, scheme):
        person = await self._ready(client, scheme)
        response = await self._redeem(client, scheme, person)
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["resident_code"]
        wallet = (await client.get(f"/v1/people/{person}/wallet", headers=scheme["cafe"])).json()
        assert wallet["balance"] == 30

    async def test_the_residents_code_spends_once(self, app, client, scheme):
        person = await self._ready(client, scheme)
        code = await spend_code(app, scheme["canonical"])
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}", code)
        body = {
            "id": new_id(),
            "person_id": person,
            "resident_code": code,
            "amount": 5,
            "description": "Cake",
        }
        spent = await client.post("/v1/rewards/redeem", json=body, headers=scheme["cafe"])
        assert spent.status_code == 201, spent.text
        replay = await client.post("/v1/rewards/redeem", json=body, headers=scheme["cafe"])
        assert replay.status_code == 200 and replay.json() == spent.json()
        again = await self._redeem(client, scheme, person, resident_code=code)
        assert again.status_code == 403 and again.json()["code"] == "resident_code_refused"
        wallet = (await client.get(f"/v1/people/{person}/wallet", headers=scheme["cafe"])).json()
        assert wallet["balance"] == 25

    async def test_a_wrong_expired_or_replaced_code_is_refused(self, app, client, scheme, owner_conn):
        person = await self._ready(client, scheme)
        first = await spend_code(app, scheme["canonical"])
        second = await spend_code(app, scheme["canonical"])  # the first stops working
        for code in (first, "000-000"):
            refused = await self._redeem(client, scheme, person, resident_code=code)
            assert refused.status_code == 403, refused.text
        await owner_conn.execute(
            "UPDATE spend_codes SET expires_at = now() - interval '1 second' WHERE person_id = $1",
            scheme["canonical"],
        )
        expired = await self._redeem(client, scheme, person, resident_code=second)
        assert expired.status_code == 403

    async def test_tries_are_limited_per_resident(self, app, client, scheme):
        person = await self._ready(client, scheme)
        code = await spend_code(app, scheme["canonical"])
        for _ in range(5):
            assert (await self._redeem(client, scheme, person, resident_code="ZZZ-ZZZ")).status_code == 403
        limited = await self._redeem(client, scheme, person, resident_code=code)
        assert limited.status_code == 429 and "Retry-After" in limited.headers

    async def test_a_code_spends_only_where_the_resident_is_known(self, app, client, scheme):
        await grant_rewards(client, scheme["council"], scheme["person"])
        await earn(client, scheme, amount=30)
        code = await spend_code(app, scheme["canonical"])
        # The café never saw the resident: the council's id for them is not one of its own.
        response = await self._redeem(client, scheme, scheme["person"], resident_code=code)
        assert response.status_code == 404


class TestCardCodes:
    async def test_a_card_code_is_ten_characters_kept_only_as_a_keyed_hash(self, scheme, owner_conn):
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", scheme["card"])
        stored = await owner_conn.fetchval(
            "SELECT token_hash FROM reward_cards c JOIN people p ON p.id = c.person_id "
            "WHERE p.canonical_id = $1 AND c.revoked_at IS NULL",
            scheme["canonical"],
        )
        plain = scheme["card"].replace("-", "")
        assert stored not in (plain, hashlib.sha256(plain.encode()).hexdigest())
        assert stored != hashlib.sha256(scheme["card"].encode()).hexdigest()

    @pytest.mark.parametrize(
        "spoken",
        [
            lambda c: c.lower(),
            lambda c: c.replace("-", " "),
            lambda c: c.replace("-", "").replace("0", "O").replace("1", "I"),
        ],
    )
    async def test_a_code_read_out_loosely_resolves(self, client, scheme, spoken):
        response = await client.post(
            "/v1/cards/resolve", json={"card_token": spoken(scheme["card"])}, headers=scheme["cafe"]
        )
        assert response.status_code == 200, response.text

    async def test_a_card_issued_before_keeps_working(self, client, scheme, owner_conn):
        token = "kc1_" + "A" * 32
        await owner_conn.execute(
            "UPDATE reward_cards SET revoked_at = now() WHERE person_id = $1", scheme["canonical"]
        )
        await owner_conn.execute(
            "INSERT INTO reward_cards (id, person_id, token_hash) VALUES ($1, $2, $3)",
            uuid.uuid4(),
            scheme["canonical"],
            hashlib.sha256(token.encode()).hexdigest(),
        )
        response = await client.post("/v1/cards/resolve", json={"card_token": token}, headers=scheme["cafe"])
        assert response.status_code == 200, response.text


class TestCardResolveLimits:
    """Resolves are limited per organisation, and unknown codes far more: 50 bits cannot be guessed
    at that rate."""

    async def test_resolves_are_limited_per_organisation(self, database_url, data_dir):
        settings = make_settings(database_url, data_dir, card_resolve_rate_limit="3/minute")
        async with running_app(settings) as app, _client(app) as client:
            s = await _scheme(client, Platform(app, client))
            for _ in range(3):
                assert (await _resolve(client, s["cafe"], s["card"])).status_code == 200
            limited = await _resolve(client, s["cafe"], s["card"])
            assert limited.status_code == 429 and "Retry-After" in limited.headers
            redeem = await client.post(
                "/v1/rewards/redeem",
                json={"id": new_id(), "card_token": s["card"], "amount": 1, "description": "Tea"},
                headers=s["cafe"],
            )
            assert redeem.status_code == 429  # a redemption by card is a resolve too
            assert (await _resolve(client, s["council"], s["card"])).status_code == 200  # another's own

    async def test_unknown_codes_are_limited_harder(self, database_url, data_dir):
        settings = make_settings(database_url, data_dir, card_miss_rate_limit="2/hour")
        async with running_app(settings) as app, _client(app) as client:
            s = await _scheme(client, Platform(app, client))
            for guess in ("AAAAA-AAAAA", "BBBBB-BBBBB"):
                assert (await _resolve(client, s["cafe"], guess)).status_code == 404
            assert (await _resolve(client, s["cafe"], "CCCCC-CCCCC")).status_code == 429
            assert (await _resolve(client, s["cafe"], s["card"])).status_code == 429


def _client(app):
    import httpx

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def _resolve(client, headers, card):
    return await client.post("/v1/cards/resolve", json={"card_token": card}, headers=headers)


async def _scheme(client, platform) -> dict:
    """A council, a café and a resident with a card, on an app of the test's own."""
    admin = await platform.admin_headers()
    _, council = await org_with_token(platform, SCOPES)
    _, cafe = await org_with_token(platform, SCOPES, sector="commercial", kind="cafe")
    person = (await client.post("/v1/people", json=unique_resident(), headers=council)).json()["person_id"]
    async with platform.app.state.db.session(platform=True) as session:
        from sqlalchemy import text

        canonical = await session.scalar(
            text("SELECT canonical_id FROM org_people WHERE org_person_id = :p"), {"p": uuid.UUID(person)}
        )
    card = (await client.post(f"/v1/admin/people/{canonical}/card", headers=admin)).json()["card_token"]
    return {"council": council, "cafe": cafe, "card": card}


class TestSpendNotices:
    async def test_every_spend_is_mailed_to_the_resident(self, client, scheme, owner_conn):
        await grant_rewards(client, scheme["council"], scheme["person"])
        await earn(client, scheme, amount=30)
        assert (await redeem_by_card(client, scheme, 12)).status_code == 201
        assert (await redeem_by_card(client, scheme, 5, hold=True)).status_code == 201
        mail = await owner_conn.fetch(
            "SELECT subject, body FROM resident_mail WHERE to_address = $1 AND subject LIKE '%credit%' ORDER BY id",
            scheme["email"],
        )
        assert len(mail) == 2
        cafe = await owner_conn.fetchval("SELECT name FROM organisations WHERE id = $1", scheme["cafe_org"])
        assert "12 credits" in mail[0]["subject"] and cafe in mail[0]["body"]
        assert "5 credits" in mail[1]["subject"] and "held" in mail[1]["body"]

    async def test_a_refused_spend_is_not_mailed(self, client, scheme, owner_conn):
        await grant_rewards(client, scheme["council"], scheme["person"])
        await earn(client, scheme, amount=3)
        assert (await redeem_by_card(client, scheme, 12)).status_code == 409
        assert (
            await owner_conn.fetchval(
                "SELECT count(*) FROM resident_mail WHERE to_address = $1 AND subject LIKE '%credit%'",
                scheme["email"],
            )
            == 0
        )
