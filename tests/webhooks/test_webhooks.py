"""Webhooks end to end: subscriptions, a real HTTP receiver on loopback verifying Standard Webhooks
signatures, retries, 410, Retry-After, several workers sharing the outbox, and the SSRF guard."""

from __future__ import annotations

import asyncio
import time

import pytest
from standardwebhooks import Webhook

from tests.factories import Platform, org_with_token
from tests.webhooks.conftest import SCOPES, deliver, drain, grant, subscribed, worker


class TestSubscriptions:
    async def test_secret_is_shown_once(self, dev_app, dev_client, receiver):
        _, headers, sub, _ = await subscribed(dev_app, dev_client, receiver)
        assert sub["secret"].startswith("whsec_")
        listed = (await dev_client.get("/v1/webhooks", headers=headers)).json()["items"]
        assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]

    async def test_another_organisations_subscription_is_404(self, dev_app, dev_client, receiver):
        _, _, sub, _ = await subscribed(dev_app, dev_client, receiver)
        _, other = await org_with_token(Platform(dev_app, dev_client), SCOPES)
        assert (await dev_client.delete(f"/v1/webhooks/{sub['id']}", headers=other)).status_code == 404
        assert (
            await dev_client.get(f"/v1/webhooks/{sub['id']}/deliveries", headers=other)
        ).status_code == 404

    async def test_unknown_event_is_422(self, dev_app, dev_client, receiver):
        _, headers = await org_with_token(Platform(dev_app, dev_client), SCOPES)
        response = await dev_client.post(
            "/v1/webhooks", json={"url": receiver.url, "events": ["person.sneezed"]}, headers=headers
        )
        assert response.status_code == 422


class TestSsrf:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://10.1.2.3/hook",
            "http://192.168.0.10/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "ftp://example.org/hook",
            "http://user:pw@example.org/hook",
        ],
    )
    async def test_internal_targets_are_refused_outside_dev(self, client, platform, url):
        _, headers = await org_with_token(platform, SCOPES)
        response = await client.post(
            "/v1/webhooks", json={"url": url, "events": ["person.updated"]}, headers=headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "url"


class TestDelivery:
    async def test_signed_delivery_verifies_with_standardwebhooks(self, dev_app, dev_client, receiver):
        _, headers, sub, person = await subscribed(dev_app, dev_client, receiver)
        consent = await grant(dev_client, headers, person)
        await drain(worker(dev_app), until=lambda: receiver.received)
        [(received_headers, body)] = receiver.received
        event = Webhook(sub["secret"]).verify(body, received_headers)
        assert event["type"] == "consent.granted"
        assert event["data"]["person_id"] == person and event["data"]["consent_id"] == consent["consent_id"]
        with pytest.raises(Exception, match=r"(?i)signature"):
            Webhook("whsec_" + "A" * 43).verify(body, received_headers)
        deliveries = (await dev_client.get(f"/v1/webhooks/{sub['id']}/deliveries", headers=headers)).json()[
            "items"
        ]
        assert [(d["status"], d["attempts"], d["last_status_code"]) for d in deliveries] == [
            ("delivered", 1, 200)
        ]

    async def test_failing_receiver_gets_the_event_exactly_once_more(self, dev_app, dev_client, receiver):
        _, headers, sub, person = await subscribed(dev_app, dev_client, receiver)
        receiver.answers = [(500, {})]
        await grant(dev_client, headers, person)
        await drain(worker(dev_app), until=lambda: len(receiver.received) >= 2)
        await drain(worker(dev_app), rounds=10)  # nothing more arrives afterwards
        assert len(receiver.received) == 2
        ids = {h["webhook-id"] for h, _ in receiver.received}
        assert len(ids) == 1  # the same message, retried
        [d] = (await dev_client.get(f"/v1/webhooks/{sub['id']}/deliveries", headers=headers)).json()["items"]
        assert (d["status"], d["attempts"]) == ("delivered", 2)

    async def test_410_disables_the_subscription(self, dev_app, dev_client, receiver):
        _, headers, _sub, person = await subscribed(dev_app, dev_client, receiver)
        receiver.answers = [(410, {})]
        await grant(dev_client, headers, person)
        await drain(worker(dev_app), until=lambda: receiver.received)
        [listed] = (await dev_client.get("/v1/webhooks", headers=headers)).json()["items"]
        assert listed["disabled_at"] is not None and "410" in listed["disabled_reason"]
        consent = (await dev_client.get(f"/v1/people/{person}/consents", headers=headers)).json()["items"][0]
        await dev_client.delete(f"/v1/people/{person}/consents/{consent['consent_id']}", headers=headers)
        await drain(worker(dev_app), rounds=5)  # the withdrawal's event is not sent
        assert len(receiver.received) == 1

    async def test_retry_after_is_honoured(self, dev_app, dev_client, receiver, owner_conn):
        _, headers, sub, person = await subscribed(dev_app, dev_client, receiver)
        receiver.answers = [(503, {"Retry-After": "30"})]
        await grant(dev_client, headers, person)
        started = time.time()
        await drain(worker(dev_app), until=lambda: receiver.received)
        await drain(worker(dev_app), rounds=3)
        wait = await owner_conn.fetchval(
            "SELECT extract(epoch FROM next_attempt_at) FROM webhook_deliveries WHERE subscription_id = $1::uuid",
            sub["id"],
        )
        assert 28 < float(wait) - started < 35
        assert len(receiver.received) == 1

    async def test_redirects_are_not_followed(self, dev_app, dev_client, receiver):
        _, headers, sub, person = await subscribed(dev_app, dev_client, receiver)
        receiver.answers = [(302, {"Location": "http://127.0.0.1:9/elsewhere"})]
        await grant(dev_client, headers, person)
        await drain(worker(dev_app), until=lambda: receiver.received)
        [d] = (await dev_client.get(f"/v1/webhooks/{sub['id']}/deliveries", headers=headers)).json()["items"]
        assert (d["status"], d["last_status_code"]) == ("pending", 302)

    async def test_a_dead_workers_attempt_is_made_by_another(self, dev_app, dev_client, receiver):
        _, headers, sub, person = await subscribed(dev_app, dev_client, receiver)
        await grant(dev_client, headers, person)
        first, second = worker(dev_app), worker(dev_app)
        await first.fan_out()
        claimed = [c for c in await first.claim(100) if str(c.subscription_id) == sub["id"]]
        assert len(claimed) == 1  # the first worker claims the attempt, then dies before sending
        await deliver(second)
        assert receiver.received == []  # its lease still holds: nobody else may make that attempt
        await asyncio.sleep(3.1)  # the lease lapses
        await drain(second, until=lambda: receiver.received)
        await first.attempt(claimed[0])  # a zombie finishing late cannot record over the newer attempt
        await drain(second, rounds=5)
        [d] = (await dev_client.get(f"/v1/webhooks/{sub['id']}/deliveries", headers=headers)).json()["items"]
        assert (d["status"], d["attempts"]) == ("delivered", 2)

    async def test_workers_in_parallel_deliver_each_event_once(self, dev_app, dev_client, receiver):
        _, headers, _sub, person = await subscribed(dev_app, dev_client, receiver)
        await grant(dev_client, headers, person)
        for n in range(8):
            await dev_client.post(
                f"/v1/people/{person}/consents",
                json={
                    "purpose": "offers",
                    "categories": ["contact"],
                    "method": "recorded_by_org",
                    "evidence": {"kind": "verbal", "reference": "at the desk"},
                    "expires_at": f"2030-01-0{n + 1}T00:00:00Z",
                },
                headers=headers,
            )
        workers = [worker(dev_app) for _ in range(3)]
        for _ in range(20):
            await asyncio.gather(*(deliver(w) for w in workers))
            if len(receiver.received) >= 9:
                break
        await asyncio.gather(*(deliver(w) for w in workers))
        ids = [h["webhook-id"] for h, _ in receiver.received]
        assert len(ids) == 9 == len(set(ids))
