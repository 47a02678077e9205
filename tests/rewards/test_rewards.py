"""Rewards over HTTP: pools, funding, earning under consent, cards, redemption (held or not), the
wallet, and events."""

from __future__ import annotations

import uuid

import orjson
import pytest

from tests.factories import org_with_token, unique_resident
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
    person = (await client.post("/v1/people", json=unique_resident(), headers=council)).json()["person_id"]
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
    }


async def grant_rewards(client, headers, person):
    response = await client.post(
        f"/v1/people/{person}/consents",
        json={"purpose": "rewards", "categories": ["rewards"], "method": "card_presented"},
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
            json={"id": new_id(), "person_id": cafe_id, "amount": 15, "description": "Cake"},
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

    async def test_wallet_needs_a_grant(self, client, scheme):
        response = await client.get(f"/v1/people/{scheme['person']}/wallet", headers=scheme["council"])
        assert response.status_code == 403


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
        from app.consent import rights

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
    async def test_unspent_credits_expire_visibly(self, app, client, scheme, admin):
        from datetime import UTC, datetime, timedelta

        from app.rewards import service as rewards

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
            assert await rewards.expire_credits(session) == 0  # not yet
        later = datetime.now(UTC) + timedelta(days=31)
        async with app.state.db.session(platform=True) as session:
            # Oldest first: the 15 spent used the 10 that never expire and 5 of the 20.
            assert await rewards.expire_credits(session, now=later) == 15
        async with app.state.db.session(platform=True) as session:
            assert await rewards.expire_credits(session, now=later) == 0  # once only
        wallet = (await client.get(f"/v1/people/{scheme['person']}/wallet", headers=scheme["council"])).json()
        assert wallet["balance"] == 0
        assert wallet["history"][0]["code"] == "expire" and wallet["history"][0]["amount"] == 15


class TestWalletRowLevelSecurity:
    async def test_rls_alone_hides_an_ungranted_wallet(self, client, scheme, owner_conn, app_role_conn):
        await grant_rewards(client, scheme["council"], scheme["person"])
        await earn(client, scheme, amount=5)
        canonical = await owner_conn.fetchval(
            "SELECT canonical_id FROM org_people WHERE org_person_id = $1", uuid.UUID(scheme["person"])
        )

        async def seen_by(org_id) -> tuple[int, int]:
            async with app_role_conn.transaction():
                await app_role_conn.fetchval("SELECT kith_begin($1, false, NULL)", org_id)
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
        # Stable: the same organisation is always shown the same id.
        assert (await earn(client, scheme, amount=1)).json()["credit_account_id"] == councils
        assert (await redeem_by_card(client, scheme, 1)).json()["debit_account_id"] == cafes

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
