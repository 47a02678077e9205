"""The ledger over HTTP: transfers, replays, the balance rule, holds, batches, who may debit what."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest
from prometheus_client import REGISTRY

from tests.audit.test_audit import _verify
from tests.factories import org_with_token, unique_resident
from tests.ledger.conftest import SCOPES, balance, make_pool, mint


def transfer(debit, credit, amount=10, **extra) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": amount,
        "code": "fund",
        **extra,
    }


class TestTransfer:
    async def test_moves_credits_and_replays(self, client, funded):
        body = transfer(funded.pool, funded.other_pool, 25)
        first = await client.post("/v1/ledger/transfers", json=body, headers=funded.headers)
        assert first.status_code == 201, first.text
        again = await client.post("/v1/ledger/transfers", json=body, headers=funded.headers)
        assert again.status_code == 200 and again.json() == first.json()
        assert (await balance(client, funded.headers, funded.pool))["balance"] == 975
        assert (await balance(client, funded.headers, funded.other_pool))["balance"] == 25

    async def test_same_id_different_fields_is_409(self, client, funded):
        body = transfer(funded.pool, funded.other_pool, 25)
        await client.post("/v1/ledger/transfers", json=body, headers=funded.headers)
        response = await client.post(
            "/v1/ledger/transfers", json=body | {"amount": 26}, headers=funded.headers
        )
        assert response.status_code == 409
        assert response.json()["code"] == "transfer_exists_with_different_fields"
        assert (await balance(client, funded.headers, funded.pool))["balance"] == 975

    async def test_a_pool_cannot_go_below_zero(self, client, funded, owner_conn):
        response = await client.post(
            "/v1/ledger/transfers",
            json=transfer(funded.pool, funded.other_pool, 1001),
            headers=funded.headers,
        )
        assert response.status_code == 409 and response.json()["code"] == "exceeds_credits"
        assert (await balance(client, funded.headers, funded.pool))["balance"] == 1000
        assert (
            await owner_conn.fetchval(
                "SELECT count(*) FROM ledger_transfers WHERE debit_account_id = $1::uuid", funded.pool
            )
            == 0
        )

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"amount": 0}, "amount"),
            ({"amount": -5}, "amount"),
            ({"amount": 2.5}, "amount"),
            ({"code": "gift"}, "code"),
            ({"debit_account_id": "nope"}, "debit_account_id"),
            ({"colour": "red"}, "colour"),
            ({"pending": 0.0}, "pending"),  # a boolean, not a number that reads as one
            ({"pending": "yes"}, "pending"),
        ],
    )
    async def test_bad_input_is_422(self, client, funded, change, field):
        response = await client.post(
            "/v1/ledger/transfers",
            json=transfer(funded.pool, funded.other_pool) | change,
            headers=funded.headers,
        )
        assert response.status_code == 422
        assert field in {e["field"] for e in response.json()["errors"]}
        batch = await client.post(
            "/v1/ledger/transfers/batch",
            json={"transfers": [transfer(funded.pool, funded.other_pool) | change], "atomic": False},
            headers=funded.headers,
        )
        assert batch.status_code == 422, batch.text

    async def test_unknown_accounts_are_404(self, client, funded):
        missing = str(uuid.uuid4())
        assert (
            await client.post(
                "/v1/ledger/transfers", json=transfer(missing, funded.pool), headers=funded.headers
            )
        ).status_code == 404
        assert (
            await client.post(
                "/v1/ledger/transfers", json=transfer(funded.pool, missing), headers=funded.headers
            )
        ).status_code == 404
        assert (await client.get(f"/v1/ledger/accounts/{missing}", headers=funded.headers)).status_code == 404

    async def test_an_organisation_debits_only_its_own_accounts(self, client, platform, funded):
        _, other = await org_with_token(platform, SCOPES)
        theirs = await make_pool(client, other)
        response = await client.post(
            "/v1/ledger/transfers", json=transfer(funded.pool, theirs), headers=other
        )
        assert response.status_code == 403
        assert (await client.get(f"/v1/ledger/accounts/{funded.pool}", headers=other)).status_code == 404
        # Paying into another organisation's pool is fine.
        assert (
            await client.post(
                "/v1/ledger/transfers", json=transfer(funded.pool, theirs), headers=funded.headers
            )
        ).status_code == 201


class TestHolds:
    async def test_post_part_of_a_hold(self, client, funded):
        hold = transfer(funded.pool, funded.other_pool, 100, pending=True)
        assert (
            await client.post("/v1/ledger/transfers", json=hold, headers=funded.headers)
        ).status_code == 201
        pool = await balance(client, funded.headers, funded.pool)
        assert (pool["balance"], pool["available"], pool["debits_pending"]) == (1000, 900, 100)
        posted = await client.post(
            f"/v1/ledger/transfers/{hold['id']}/post",
            json={"id": str(uuid.uuid4()), "amount": 60},
            headers=funded.headers,
        )
        assert posted.status_code == 201, posted.text
        pool = await balance(client, funded.headers, funded.pool)
        assert (pool["balance"], pool["available"], pool["debits_pending"]) == (940, 940, 0)
        again = await client.post(
            f"/v1/ledger/transfers/{hold['id']}/void", json={"id": str(uuid.uuid4())}, headers=funded.headers
        )
        assert again.status_code == 409 and again.json()["code"] == "pending_transfer_already_resolved"

    async def test_void_releases_and_holds_block_spending(self, client, funded):
        hold = transfer(funded.pool, funded.other_pool, 800, pending=True)
        await client.post("/v1/ledger/transfers", json=hold, headers=funded.headers)
        blocked = await client.post(
            "/v1/ledger/transfers", json=transfer(funded.pool, funded.other_pool, 300), headers=funded.headers
        )
        assert blocked.status_code == 409 and blocked.json()["code"] == "exceeds_credits"
        void = await client.post(
            f"/v1/ledger/transfers/{hold['id']}/void", json={"id": str(uuid.uuid4())}, headers=funded.headers
        )
        assert void.status_code == 201
        assert (await balance(client, funded.headers, funded.pool))["available"] == 1000

    async def test_a_timed_out_hold_is_voided_by_the_worker(self, app, client, funded, owner_conn):
        from app.ledger import jobs as ledger_jobs

        hold = transfer(funded.pool, funded.other_pool, 100, pending=True, timeout_seconds=1)
        await client.post("/v1/ledger/transfers", json=hold, headers=funded.headers)
        await asyncio.sleep(1.1)
        late = await client.post(
            f"/v1/ledger/transfers/{hold['id']}/post", json={"id": str(uuid.uuid4())}, headers=funded.headers
        )
        assert late.status_code == 409 and late.json()["code"] == "pending_transfer_expired"
        [job] = ledger_jobs.jobs(app.state.db, app.state.settings)
        await job.turn()
        assert (await balance(client, funded.headers, funded.pool))["available"] == 1000
        history = (
            await client.get(f"/v1/ledger/accounts/{funded.pool}/transfers", headers=funded.headers)
        ).json()
        assert [t["phase"] for t in history["items"]][:2] == ["void", "pending"]
        # The job's void is in the audit trail, under the job's name.
        void_id = await owner_conn.fetchval(  # as Kith stores the void it made
            "SELECT v.id FROM ledger_transfers v JOIN ledger_transfers p ON p.id = v.pending_id "
            "WHERE p.org_id = $1 AND v.phase = 'void'",
            funded.org_id,
        )
        actor = await owner_conn.fetchval(
            "SELECT actor FROM audit_log WHERE action = 'ledger.void' AND subject_id = $1", str(void_id)
        )
        assert actor == "job:ledger hold time-outs"


class TestBatch:
    async def test_non_atomic_batch_goes_on_past_a_refusal(self, client, funded):
        body = {
            "transfers": [
                transfer(funded.pool, funded.other_pool, 10),
                transfer(funded.pool, funded.other_pool, 5000),
                transfer(funded.pool, funded.other_pool, 20),
            ],
            "atomic": False,
        }
        response = await client.post("/v1/ledger/transfers/batch", json=body, headers=funded.headers)
        assert [r["result"] for r in response.json()["results"]] == ["created", "exceeds_credits", "created"]
        assert (await balance(client, funded.headers, funded.pool))["balance"] == 970

    async def test_atomic_batch_is_all_or_nothing(self, client, funded, owner_conn):
        body = {
            "transfers": [
                transfer(funded.pool, funded.other_pool, 10),
                transfer(funded.pool, funded.other_pool, 5000),
            ],
            "atomic": True,
        }
        response = await client.post("/v1/ledger/transfers/batch", json=body, headers=funded.headers)
        assert response.status_code == 409 and response.json()["code"] == "atomic_batch_refused"
        assert response.json()["errors"][0]["field"] == "transfers.1"
        assert (await balance(client, funded.headers, funded.pool))["balance"] == 1000
        assert (
            await owner_conn.fetchval(
                "SELECT count(*) FROM ledger_transfers WHERE ref = $1::uuid", body["transfers"][0]["id"]
            )
            == 0
        )


class TestConcurrentReplays:
    async def test_100_identical_requests_make_one_transfer(self, client, funded, owner_conn):
        body = transfer(funded.pool, funded.other_pool, 7)
        responses = await asyncio.gather(
            *(client.post("/v1/ledger/transfers", json=body, headers=funded.headers) for _ in range(100))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 99 + [201]
        assert len({r.content for r in responses}) == 1
        assert (
            await owner_conn.fetchval(
                "SELECT count(*) FROM ledger_transfers WHERE ref = $1::uuid", body["id"]
            )
            == 1
        )
        assert (await balance(client, funded.headers, funded.pool))["balance"] == 993


class TestImmutability:
    async def test_the_database_refuses_changes_to_transfers(self, client, funded, owner_conn):
        import asyncpg

        body = transfer(funded.pool, funded.other_pool, 5)
        await client.post("/v1/ledger/transfers", json=body, headers=funded.headers)
        with pytest.raises(asyncpg.PostgresError, match="immutable"):
            await owner_conn.execute(
                "UPDATE ledger_transfers SET amount = 500 WHERE ref = $1::uuid", body["id"]
            )
        with pytest.raises(asyncpg.PostgresError, match="immutable"):
            await owner_conn.execute("DELETE FROM ledger_transfers WHERE ref = $1::uuid", body["id"])


class TestOneStatementPath:
    """Single transfers, posts and voids are each one statement (kith_ledger_request): the same
    audit entry, client check and answers as a request's session would give."""

    async def test_each_made_transfer_is_audited_once_with_its_request(self, client, funded, owner_conn):
        made = transfer(funded.pool, funded.other_pool, 5)
        first = await client.post(
            "/v1/ledger/transfers", json=made, headers=funded.headers | {"X-Request-ID": "req-transfer-1"}
        )
        assert first.status_code == 201, first.text
        await client.post("/v1/ledger/transfers", json=made, headers=funded.headers)  # a replay
        refused = transfer(funded.pool, funded.other_pool, 5000)
        assert (
            await client.post("/v1/ledger/transfers", json=refused, headers=funded.headers)
        ).status_code == 409
        hold = transfer(funded.pool, funded.other_pool, 30, pending=True)
        assert (
            await client.post("/v1/ledger/transfers", json=hold, headers=funded.headers)
        ).status_code == 201
        post_id = str(uuid.uuid4())
        posted = await client.post(
            f"/v1/ledger/transfers/{hold['id']}/post",
            json={"id": post_id, "amount": 20},
            headers=funded.headers,
        )
        assert posted.status_code == 201, posted.text
        hold2 = transfer(funded.pool, funded.other_pool, 7, pending=True)
        await client.post("/v1/ledger/transfers", json=hold2, headers=funded.headers)
        void_id = str(uuid.uuid4())
        voided = await client.post(
            f"/v1/ledger/transfers/{hold2['id']}/void", json={"id": void_id}, headers=funded.headers
        )
        assert voided.status_code == 201, voided.text

        rows = await owner_conn.fetch(
            "SELECT subject_id, action, actor, org_id, detail, request_id FROM audit_log "
            "WHERE subject_type = 'ledger_transfer' AND subject_id = ANY($1::text[]) ORDER BY seq",
            [made["id"], refused["id"], hold["id"], post_id, hold2["id"], void_id],
        )
        entries = {r["subject_id"]: r for r in rows}
        assert len(rows) == 5 and refused["id"] not in entries  # once each; nothing for the refusal
        assert entries[made["id"]]["action"] == "ledger.single"
        assert entries[made["id"]]["request_id"] == "req-transfer-1"
        assert entries[made["id"]]["actor"].startswith("client:kc_")
        assert entries[made["id"]]["org_id"] == funded.org_id
        assert orjson.loads(entries[made["id"]]["detail"]) == {"code": "fund", "amount": 5}
        assert [entries[i]["action"] for i in (hold["id"], post_id, void_id)] == [
            "ledger.pending",
            "ledger.post",
            "ledger.void",
        ]
        assert orjson.loads(entries[post_id]["detail"]) == {"code": "fund", "amount": 20}

    async def test_the_answer_is_the_transfer_as_stored(self, client, funded):
        body = transfer(funded.pool, funded.other_pool, 12, metadata={"shift": "Saturday café", "hours": 2})
        made = await client.post("/v1/ledger/transfers", json=body, headers=funded.headers)
        assert made.status_code == 201, made.text
        listed = await client.get(f"/v1/ledger/accounts/{funded.pool}/transfers", headers=funded.headers)
        stored = next(t for t in listed.json()["items"] if t["id"] == body["id"])
        assert made.json() == stored
        assert made.json()["status"] == "posted" and made.json()["metadata"] == body["metadata"]

    async def test_a_disabled_client_is_refused_and_nothing_is_written(self, client, platform, owner_conn):
        org = await platform.make_org()
        creds = await platform.make_client(org.id, SCOPES.split())
        headers = {"Authorization": f"Bearer {await platform.token(creds)}"}
        pool, other = await make_pool(client, headers), await make_pool(client, headers, "Other")
        admin = await platform.admin_headers()
        await client.post(
            "/v1/admin/ledger/mint",
            json={"id": str(uuid.uuid4()), "account_id": pool, "amount": 50},
            headers=admin,
        )
        disabled = await client.post(f"/v1/admin/clients/{creds.client_id}/disable", headers=admin)
        assert disabled.status_code == 200, disabled.text
        body = transfer(pool, other, 5)
        response = await client.post("/v1/ledger/transfers", json=body, headers=headers)
        assert response.status_code == 401
        assert "disabled" in response.json()["detail"]
        assert response.headers["content-type"].startswith("application/problem+json")
        assert (
            await owner_conn.fetchval(
                "SELECT count(*) FROM ledger_transfers WHERE ref = $1::uuid", body["id"]
            )
            == 0
        )
        assert (
            await owner_conn.fetchval("SELECT count(*) FROM audit_log WHERE subject_id = $1", body["id"]) == 0
        )

    async def test_the_audit_chain_still_verifies(self, client, funded, database_url, tmp_path):
        await asyncio.gather(
            *(
                client.post(
                    "/v1/ledger/transfers",
                    json=transfer(funded.pool, funded.other_pool, 1),
                    headers=funded.headers,
                )
                for _ in range(40)
            )
        )
        reports = await _verify(database_url, tmp_path)
        assert all(r.ok for r in reports), reports


class TestDirectRouteInput:
    """Single transfers, posts and voids are answered by DirectRoute's own handler, not FastAPI's
    dependency machinery: bad requests must get the same answers FastAPI gives elsewhere."""

    @pytest.mark.parametrize(
        ("content", "status", "code"),
        [
            (b"", 422, "validation_error"),
            (b"{not json", 400, "malformed_json"),
            (b"[1, 2]", 422, "validation_error"),
            (b'"text"', 422, "validation_error"),
        ],
    )
    async def test_bodies_fastapi_refuses_are_refused_alike(self, client, funded, content, status, code):
        headers = funded.headers | {"Content-Type": "application/json"}
        direct = await client.post("/v1/ledger/transfers", content=content, headers=headers)
        ordinary = await client.post("/v1/ledger/transfers/batch", content=content, headers=headers)
        assert (direct.status_code, direct.json()["code"]) == (status, code)
        assert (ordinary.status_code, ordinary.json()["code"]) == (status, code)
        shape = lambda r: [(e["field"], e["in"], e["type"], e["message"]) for e in r.json().get("errors", [])]  # noqa: E731
        assert shape(direct) == shape(ordinary)

    async def test_a_transfer_from_an_account_to_itself_is_refused_by_name(self, client, funded):
        """It was a 500 (the table's check), and in a batch it failed every other transfer with it."""
        body = transfer(funded.pool, funded.pool, 1)
        alone = await client.post("/v1/ledger/transfers", json=body, headers=funded.headers)
        assert alone.status_code == 422, alone.text
        assert alone.json()["errors"][0]["field"] == "credit_account_id"
        batch = await client.post(
            "/v1/ledger/transfers/batch",
            json={"transfers": [transfer(funded.pool, funded.other_pool, 1), body], "atomic": False},
            headers=funded.headers,
        )
        assert batch.status_code == 422, batch.text
        assert batch.json()["errors"][0]["field"] == "transfers.1.credit_account_id"

    async def test_missing_fields_are_named(self, client, funded):
        body = transfer(funded.pool, funded.other_pool)
        del body["amount"], body["code"]
        response = await client.post("/v1/ledger/transfers", json=body, headers=funded.headers)
        assert response.status_code == 422
        assert {(e["field"], e["in"], e["type"]) for e in response.json()["errors"]} == {
            ("amount", "body", "missing"),
            ("code", "body", "missing"),
        }

    async def test_a_bad_path_id_is_named(self, client, funded):
        response = await client.post(
            "/v1/ledger/transfers/not-a-uuid/post", json={"id": str(uuid.uuid4())}, headers=funded.headers
        )
        assert response.status_code == 422
        assert [(e["field"], e["in"]) for e in response.json()["errors"]] == [("transfer_id", "path")]

    async def test_a_token_and_the_scope_are_required(self, client, platform, funded):
        body = transfer(funded.pool, funded.other_pool)
        anonymous = await client.post("/v1/ledger/transfers", json=body)
        assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers
        _, reader = await org_with_token(platform, "ledger:read")
        refused = await client.post("/v1/ledger/transfers", json=body, headers=reader)
        assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
        forged = await client.post(
            "/v1/ledger/transfers", json=body, headers={"Authorization": "Bearer not.a.token"}
        )
        assert forged.status_code == 401


def _statements() -> tuple[float, float]:
    """(statements of more than one request, statements that failed as a whole) of the process's
    ledger coalescer so far."""
    labels = {"statement": "kith_ledger_request"}
    made = REGISTRY.get_sample_value("kith_coalesced_calls_count", labels) or 0
    alone = REGISTRY.get_sample_value("kith_coalesced_calls_bucket", labels | {"le": "1.0"}) or 0
    failed = REGISTRY.get_sample_value("kith_coalesced_failures_total", labels) or 0
    return made - alone, failed


class TestRequestsMadeTogether:
    """Transfers requested at the same time share one statement (kith_ledger_requests); each is
    answered exactly as it would be alone."""

    async def test_each_is_answered_as_alone(self, client, funded, owner_conn):
        bodies = [transfer(funded.pool, funded.other_pool, 10) for _ in range(30)]
        replay = dict(bodies[0])
        altered = dict(bodies[1], code="earn")  # the same id, a different transfer
        too_much = transfer(funded.pool, funded.other_pool, 5000)
        together_before, _ = _statements()
        responses = await asyncio.gather(
            *(
                client.post("/v1/ledger/transfers", json=body, headers=funded.headers)
                for body in [*bodies, replay, altered, too_much]
            )
        )
        together_after, _ = _statements()
        assert together_after > together_before  # some of them were made together
        *made, replayed, conflicting, refused = responses
        assert sorted([made[0].status_code, replayed.status_code]) == [200, 201]
        assert made[0].content == replayed.content
        assert sorted([made[1].status_code, conflicting.status_code]) == [201, 409]
        loser = made[1] if made[1].status_code == 409 else conflicting
        assert loser.json()["code"] == "transfer_exists_with_different_fields"
        assert all(r.status_code == 201 for r in made[2:]), [r.text for r in made[2:] if r.status_code != 201]
        assert (refused.status_code, refused.json()["code"]) == (409, "exceeds_credits")
        assert [r.json()["id"] for r in made[2:]] == [b["id"] for b in bodies[2:]]
        assert (await balance(client, funded.headers, funded.pool))["balance"] == 1000 - 30 * 10
        ids = [b["id"] for b in bodies] + [too_much["id"]]
        assert (
            await owner_conn.fetchval(
                "SELECT count(*) FROM ledger_transfers WHERE ref = ANY($1::uuid[])", ids
            )
            == 30
        )
        audited = await owner_conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE subject_type = 'ledger_transfer' AND subject_id = ANY($1::text[])",
            ids,
        )
        assert audited == 30

    async def test_one_that_fails_the_statement_fails_only_itself(self, client, funded, owner_conn):
        # An account one credit short of the largest balance PostgreSQL holds: a transfer into it
        # overflows, and the statement it is in fails as a whole.
        before = await owner_conn.fetchval(
            "SELECT credits_posted FROM ledger_accounts WHERE id = $1::uuid", funded.other_pool
        )
        await owner_conn.execute(
            "UPDATE ledger_accounts SET credits_posted = 9223372036854775806 WHERE id = $1::uuid",
            funded.other_pool,
        )
        try:
            await self._one_fails_alone(client, funded, owner_conn)
        finally:  # the suite's database must still hold together for kith db check
            await owner_conn.execute(
                "UPDATE ledger_accounts SET credits_posted = $2 WHERE id = $1::uuid",
                funded.other_pool,
                before,
            )

    async def _one_fails_alone(self, client, funded, owner_conn):
        third = await make_pool(client, funded.headers, "Third")
        bodies = [transfer(funded.pool, third, 3) for _ in range(20)]
        bodies[10] = transfer(funded.pool, funded.other_pool, 3)
        _, failed_before = _statements()
        responses = await asyncio.gather(
            *(client.post("/v1/ledger/transfers", json=body, headers=funded.headers) for body in bodies)
        )
        _, failed_after = _statements()
        assert failed_after > failed_before  # it was among others, and their statement failed
        assert responses[10].status_code >= 400
        assert [r.status_code for i, r in enumerate(responses) if i != 10] == [201] * 19
        assert (await balance(client, funded.headers, third))["balance"] == 19 * 3
        assert (
            await owner_conn.fetchval(
                "SELECT count(*) FROM ledger_transfers WHERE ref = $1::uuid", bodies[10]["id"]
            )
            == 0
        )


async def funded_org(client, platform, admin) -> tuple[uuid.UUID, dict, str, str]:
    """Another organisation: (id, headers, a pool minted 1,000 credits, an empty pool)."""
    org_id, headers = await org_with_token(platform, SCOPES)
    pool = await make_pool(client, headers)
    await mint(client, admin, pool, 1000)
    return org_id, headers, pool, await make_pool(client, headers, "Second")


class TestWalletsAreCreditedOnlyByEarning:
    async def test_the_low_level_api_cannot_credit_a_wallet(self, client, funded):
        person = (await client.post("/v1/people", json=unique_resident(), headers=funded.headers)).json()
        await client.post(
            f"/v1/people/{person['person_id']}/consents",
            json={
                "purpose": "rewards",
                "categories": ["rewards"],
                "method": "recorded_by_org",
                "evidence": {"kind": "verbal", "reference": "at the desk"},
            },
            headers=funded.headers,
        )
        earned = await client.post(
            "/v1/rewards/earn",
            json={
                "id": str(uuid.uuid4()),
                "person_id": person["person_id"],
                "pool_id": funded.pool,
                "amount": 5,
            },
            headers=funded.headers,
        )
        assert earned.status_code == 201, earned.text
        wallet = earned.json()["credit_account_id"]
        response = await client.post(
            "/v1/ledger/transfers", json=transfer(funded.pool, wallet, 50), headers=funded.headers
        )
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "credit_not_allowed"
        assert "/v1/rewards/earn" in response.json()["detail"]
        batch = await client.post(
            "/v1/ledger/transfers/batch",
            json={"transfers": [transfer(funded.pool, wallet, 50)], "atomic": False},
            headers=funded.headers,
        )
        assert batch.json()["results"][0]["result"] == "credit_not_allowed"
        assert (await balance(client, funded.headers, funded.pool))["balance"] == 995


class TestTransferIdsPerOrganisation:
    async def test_the_same_id_from_two_organisations_makes_two_transfers(
        self, client, platform, admin, funded
    ):
        _, other, their_pool, their_second = await funded_org(client, platform, admin)
        ours = transfer(funded.pool, funded.other_pool, 10)
        theirs = transfer(their_pool, their_second, 20) | {"id": ours["id"]}
        made = await client.post("/v1/ledger/transfers", json=ours, headers=funded.headers)
        also = await client.post("/v1/ledger/transfers", json=theirs, headers=other)
        assert (made.status_code, also.status_code) == (201, 201), also.text
        assert made.json()["id"] == also.json()["id"] == ours["id"]
        assert (await balance(client, other, their_second))["balance"] == 20
        assert (await balance(client, funded.headers, funded.other_pool))["balance"] == 10

    async def test_another_organisations_transfer_is_never_answered(self, client, platform, admin, funded):
        _, other, their_pool, _ = await funded_org(client, platform, admin)
        ours = transfer(funded.pool, their_pool, 10)
        assert (
            await client.post("/v1/ledger/transfers", json=ours, headers=funded.headers)
        ).status_code == 201
        # Every field the same: not a replay of ours (they may not debit our pool).
        copied = await client.post("/v1/ledger/transfers", json=ours, headers=other)
        assert copied.status_code == 403 and copied.json()["code"] == "debit_not_allowed"
        # Our id with other fields: theirs to use, no conflict.
        reused = await client.post(
            "/v1/ledger/transfers",
            json=transfer(their_pool, funded.pool, 3) | {"id": ours["id"]},
            headers=other,
        )
        assert reused.status_code == 201, reused.text

    async def test_a_transfer_made_by_another_is_listed_under_another_id(
        self, client, platform, admin, funded
    ):
        _, other, their_pool, _ = await funded_org(client, platform, admin)
        ours = transfer(funded.pool, their_pool, 10)
        await client.post("/v1/ledger/transfers", json=ours, headers=funded.headers)
        listed = await client.get(f"/v1/ledger/accounts/{their_pool}/transfers", headers=other)
        seen = [t for t in listed.json()["items"] if t["code"] == "fund"]
        assert len(seen) == 1 and seen[0]["amount"] == 10
        assert seen[0]["id"] != ours["id"]
        mine = await client.get(f"/v1/ledger/accounts/{funded.pool}/transfers", headers=funded.headers)
        assert ours["id"] in [t["id"] for t in mine.json()["items"]]


class TestOperatingAccounts:
    async def test_an_operating_account_cannot_go_below_zero(self, client, funded):
        response = await client.post(
            f"/v1/rewards/pools/{funded.other_pool}/fund",
            json={"id": str(uuid.uuid4()), "amount": 75},
            headers=funded.headers,
        )
        assert response.status_code == 409 and response.json()["code"] == "exceeds_credits"

    async def test_the_platform_may_let_one_go_below_zero(self, client, platform, funded, admin):
        path = f"/v1/admin/ledger/operating-accounts/{funded.org_id}"
        refused = await client.put(path, json={"may_go_negative": True}, headers=funded.headers)
        assert refused.status_code == 403
        allowed = await client.put(path, json={"may_go_negative": True}, headers=admin)
        assert allowed.status_code == 200, allowed.text
        assert allowed.json()["debits_must_not_exceed_credits"] is False
        fund = await client.post(
            f"/v1/rewards/pools/{funded.other_pool}/fund",
            json={"id": str(uuid.uuid4()), "amount": 75},
            headers=funded.headers,
        )
        assert fund.status_code == 201, fund.text
        assert (await balance(client, funded.headers, fund.json()["debit_account_id"]))["balance"] == -75
        # Overdrawn, it cannot be made to stay above zero again until it is.
        back = await client.put(path, json={"may_go_negative": False}, headers=admin)
        assert back.status_code == 409, back.text

    async def test_minted_credits_fund_pools(self, client, funded, admin):
        account = await client.put(
            f"/v1/admin/ledger/operating-accounts/{funded.org_id}",
            json={"may_go_negative": False},
            headers=admin,
        )
        assert account.status_code == 200 and account.json()["debits_must_not_exceed_credits"] is True
        await mint(client, admin, account.json()["id"], 100)
        fund = await client.post(
            f"/v1/rewards/pools/{funded.other_pool}/fund",
            json={"id": str(uuid.uuid4()), "amount": 75},
            headers=funded.headers,
        )
        assert fund.status_code == 201, fund.text
        assert (await balance(client, funded.headers, account.json()["id"]))["balance"] == 25


class TestListing:
    async def test_pages_of_a_listing_cover_transfers_made_at_one_instant(self, client, funded):
        # A batch is one transaction: its transfers share created_at, and the pages must still
        # cover them once each (ties are broken by an id of the organisation's own).
        batch = [transfer(funded.pool, funded.other_pool, n) for n in (1, 2, 3)]
        made = await client.post(
            "/v1/ledger/transfers/batch", json={"transfers": batch, "atomic": True}, headers=funded.headers
        )
        assert made.status_code == 200, made.text
        seen, cursor = [], None
        while True:
            params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
            page = await client.get(
                f"/v1/ledger/accounts/{funded.other_pool}/transfers", params=params, headers=funded.headers
            )
            seen += [t["id"] for t in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(t["id"] for t in batch)
