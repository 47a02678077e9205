"""Receivers that misbehave, against a worker's real deliveries and real HTTP servers on loopback:
one answering a byte at a time, one answering 100 MB, one whose subscription is deleted while
its attempt is in flight, one asking to be retried after 10^20 seconds. Each is kept from the
other receivers, from the worker's other jobs and from the worker's memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from app.core.periodic import Jobs
from app.webhooks.delivery import Deliveries, retry_after
from app.worker import background_jobs
from tests.factories import Platform, org_with_token
from tests.ledger.conftest import SCOPES as LEDGER_SCOPES
from tests.ledger.conftest import balance, make_pool, mint
from tests.webhooks.conftest import (
    Receiver,
    client_of,
    dev_app_with,
    events,
    free_port,
    grant,
    serving,
    subscribed,
)

MB = 1024 * 1024


async def read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    await reader.readexactly(length)


@dataclass
class RawReceiver:
    """A TCP server on loopback answering HTTP by hand, so that it can answer as no framework
    would: a byte at a time (``pace`` seconds apart, until ``release``), or a body of ``body_bytes``
    as fast as it is taken. It counts what it sent and the connections open at once."""

    status: int = 200
    pace: float | None = None
    body_bytes: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    requests: int = 0
    open: int = 0
    most_open: int = 0
    hung_up: int = 0  # connections the worker closed before the answer was complete
    sent: int = 0
    busy: asyncio.Event = field(default_factory=asyncio.Event)  # set once two are open at once
    done: asyncio.Event = field(default_factory=asyncio.Event)  # set when a connection ends

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        if self.open >= 2:
            self.busy.set()
        try:
            await read_request(reader)
            self.requests += 1
            head = f"HTTP/1.1 {self.status} Whatever\r\ncontent-length: {self.body_bytes}\r\n\r\n".encode()
            if self.pace is not None:
                await self._dribble(reader, writer, head)
            else:
                await self._pour(writer, head)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.hung_up += 1
        finally:
            self.open -= 1
            writer.close()
            self.done.set()

    async def _dribble(self, reader, writer, answer: bytes) -> None:
        hangup = asyncio.ensure_future(reader.read(1))  # b"" once the worker closes its end
        released = asyncio.ensure_future(self.release.wait())
        try:
            for i in range(len(answer)):
                if released.done():
                    writer.write(answer[i:])
                    await writer.drain()
                    return
                writer.write(answer[i : i + 1])
                await writer.drain()
                self.sent += 1
                await asyncio.wait({hangup, released}, timeout=self.pace, return_when=asyncio.FIRST_COMPLETED)
                if hangup.done():
                    raise ConnectionResetError("the worker hung up")
        finally:
            hangup.cancel()
            released.cancel()

    async def _pour(self, writer, head: bytes) -> None:
        writer.write(head)
        chunk = b"x" * (64 * 1024)
        while self.sent < self.body_bytes:
            writer.write(chunk)
            await writer.drain()
            self.sent += len(chunk)


@contextlib.asynccontextmanager
async def serving_raw(r: RawReceiver) -> AsyncIterator[RawReceiver]:
    server = await asyncio.start_server(r.handle, "127.0.0.1", 0)
    r.port = server.sockets[0].getsockname()[1]
    try:
        yield r
    finally:
        r.release.set()
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 5)


async def until(condition, seconds: float, what: str) -> None:
    """Wait (polling, with a generous bound) for ``condition()``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        await asyncio.sleep(0.05)


async def delivery_rows(owner_conn, subscription_id) -> list:
    return await owner_conn.fetch(
        "SELECT status, attempts, last_status_code, last_error, next_attempt_at, event_created_at "
        "FROM webhook_deliveries WHERE subscription_id = $1::uuid ORDER BY created_at",
        subscription_id,
    )


async def unsubscribe(client, headers, sub) -> None:
    """Deleted at the end: nothing of it is left pending for other tests' workers."""
    response = await client.delete(f"/v1/webhooks/{sub['id']}", headers=headers)
    assert response.status_code == 204, response.text


class RssPeak:
    """The process's resident memory, sampled every few milliseconds from /proc by a thread (the
    event loop may be too busy reading to sample it itself)."""

    def __init__(self) -> None:
        self.baseline = self.now()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def now() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="measures memory through /proc")
class TestAnswerSize:
    @pytest.mark.parametrize("status", [200, 500])
    async def test_a_100_mb_answer_is_not_read(self, database_url, data_dir, owner_conn, status):
        async with (
            dev_app_with(database_url, data_dir, webhook_timeout_seconds=20, webhook_lease_seconds=30) as app,
            serving_raw(RawReceiver(status=status, body_bytes=100 * MB)) as huge,
        ):
            async with client_of(app) as client:
                _, headers, sub, person = await subscribed(app, client, huge.url, events=("consent.granted",))
                await grant(client, headers, person)
                deliveries = Deliveries(app.state.db, app.state.settings)
                with RssPeak() as rss:
                    await deliveries.turn()
                    await deliveries.settle()
                    await asyncio.wait_for(huge.done.wait(), 10)  # the receiver saw the worker hang up
                await deliveries.close()
                [row] = await delivery_rows(owner_conn, sub["id"])
                await unsubscribe(client, headers, sub)
        assert huge.requests == 1 and huge.hung_up == 1
        # What the receiver got out (into loopback's socket buffers, a few MB at most) bounds what
        # the worker can have read; a body read whole would have taken all 100 MB.
        assert huge.sent < 32 * MB, f"the receiver sent {huge.sent / MB:.1f} MB"
        grew = (rss.peak - rss.baseline) / MB
        assert grew < 48, f"the worker's memory grew by {grew:.0f} MB during the attempt"
        assert row["last_status_code"] == status and row["attempts"] == 1
        if status == 200:
            assert (row["status"], row["last_error"]) == ("delivered", None)
        else:  # the start of the answer is kept for the delivery log: the first few KB, no more
            assert row["status"] == "pending"
            keep = app.state.settings.webhook_response_bytes
            assert row["last_error"] == "HTTP 500: " + "x" * keep


class TestDeadline:
    async def test_an_answer_a_byte_at_a_time_is_cut_off_at_the_deadline(
        self, database_url, data_dir, owner_conn
    ):
        """Each byte comes well within any per-read timeout; only a deadline on the attempt as a
        whole ends it."""
        async with (
            dev_app_with(database_url, data_dir, webhook_timeout_seconds=1.5, webhook_lease_seconds=5) as app,
            serving_raw(RawReceiver(pace=0.2)) as slow,
        ):
            async with client_of(app) as client:
                _, headers, sub, person = await subscribed(app, client, slow.url, events=("consent.granted",))
                await grant(client, headers, person)
                deliveries = Deliveries(app.state.db, app.state.settings)
                started = time.monotonic()
                await deliveries.turn()
                await asyncio.wait_for(deliveries.settle(), 15)
                took = time.monotonic() - started
                await asyncio.wait_for(slow.done.wait(), 5)
                await deliveries.close()
                [row] = await delivery_rows(owner_conn, sub["id"])
                await unsubscribe(client, headers, sub)
        assert 1.4 < took < 10, took
        assert slow.hung_up == 1 and 0 < slow.sent < len("HTTP/1.1 200 Whatever\r\ncontent-length: 0\r\n\r\n")
        assert (row["status"], row["attempts"]) == ("pending", 1)
        assert row["last_error"] == "no complete answer within 1.5 s"


class TestIsolation:
    async def test_a_slow_receiver_holds_up_neither_another_nor_the_hold_timeouts(
        self, database_url, data_dir, owner_conn
    ):
        """The slow receiver's attempts stay in flight for the whole test (its deadline is long);
        meanwhile another organisation's event is delivered and a timed-out hold is voided, by
        the worker as `kith worker` runs it (every job, each on its own schedule)."""
        settings = dict(
            webhook_timeout_seconds=40,
            webhook_lease_seconds=50,
            webhook_concurrency=4,
            webhook_concurrency_per_subscription=2,
            ledger_hold_check_seconds=0.2,
        )
        async with (
            dev_app_with(database_url, data_dir, **settings) as app,
            serving_raw(RawReceiver(pace=1.0)) as slow,
            serving(Receiver(free_port())) as healthy,
        ):
            async with client_of(app) as client:
                platform = Platform(app, client)
                _, slow_headers, slow_sub, slow_person = await subscribed(
                    app, client, slow.url, events=("consent.granted",)
                )
                _, healthy_headers, healthy_sub, healthy_person = await subscribed(
                    app, client, healthy, events=("consent.granted",)
                )
                await events(client, slow_headers, slow_person, 6)  # more than the worker's slots
                jobs = Jobs(background_jobs(app.state.db, app.state.settings))
                jobs.start()
                try:
                    await asyncio.wait_for(slow.busy.wait(), 20)  # the slow receiver's attempts are in flight
                    # Now another organisation's event, and a hold that times out in a second.
                    await grant(client, healthy_headers, healthy_person)
                    _, ledger = await org_with_token(platform, LEDGER_SCOPES)
                    pool, other = await make_pool(client, ledger), await make_pool(client, ledger, "Other")
                    await mint(client, await platform.admin_headers(), pool, 100)
                    hold = {
                        "id": str(uuid.uuid4()),
                        "debit_account_id": pool,
                        "credit_account_id": other,
                        "amount": 40,
                        "code": "fund",
                        "pending": True,
                        "timeout_seconds": 1,
                    }
                    made = await client.post("/v1/ledger/transfers", json=hold, headers=ledger)
                    assert made.status_code == 201, made.text
                    asked = time.monotonic()
                    await asyncio.wait_for(healthy.arrived.wait(), 10)
                    delivered_after = time.monotonic() - asked
                    voided = False
                    for _ in range(200):
                        if (await balance(client, ledger, pool))["available"] == 100:
                            voided = True
                            break
                        await asyncio.sleep(0.05)
                    voided_after = time.monotonic() - asked
                    assert slow.requests <= 2 and slow.open == 2  # still in flight, still at most two
                finally:
                    slow.release.set()  # the slow attempts end now, so that stopping need not wait
                    await jobs.stop()
                await unsubscribe(client, slow_headers, slow_sub)
                await unsubscribe(client, healthy_headers, healthy_sub)
        assert delivered_after < 10 and len(healthy.received) == 1
        assert voided, f"the timed-out hold was not voided within {voided_after:.1f} s"
        assert slow.most_open == 2  # at most webhook_concurrency_per_subscription, of 4 slots


class TestCancelled:
    @pytest.mark.parametrize("answer", [500, 200])
    async def test_a_subscription_deleted_during_an_attempt_gets_no_more(
        self, database_url, data_dir, owner_conn, answer
    ):
        async with (
            dev_app_with(database_url, data_dir, webhook_timeout_seconds=20, webhook_lease_seconds=25) as app,
            serving(Receiver(free_port(), hold=asyncio.Event())) as receiver,
        ):
            receiver.answers = [(answer, {"Retry-After": "0"})]
            async with client_of(app) as client:
                _, headers, sub, person = await subscribed(app, client, receiver, events=("consent.granted",))
                await grant(client, headers, person)
                deliveries = Deliveries(app.state.db, app.state.settings)
                await deliveries.turn()
                await asyncio.wait_for(receiver.arrived.wait(), 10)  # the attempt is in flight
                assert (await client.delete(f"/v1/webhooks/{sub['id']}", headers=headers)).status_code == 204
                receiver.hold.set()  # it answers now
                await deliveries.settle()
                [row] = await delivery_rows(owner_conn, sub["id"])
                assert (row["status"], row["attempts"], row["last_status_code"]) == ("cancelled", 1, answer)
                for _ in range(10):  # well past any retry delay (0.2 s)
                    await deliveries.turn()
                    await deliveries.settle()
                    await asyncio.sleep(0.1)
                await deliveries.close()
                [row] = await delivery_rows(owner_conn, sub["id"])
        assert (row["status"], row["attempts"]) == ("cancelled", 1)
        assert len(receiver.received) == 1


class TestRetryAfter:
    @pytest.mark.parametrize("value", ["99999999999999999999", "9" * 5000, "Fri, 31 Dec 9999 23:59:59 GMT"])
    async def test_a_wait_past_the_retry_window_is_one_last_attempt_at_its_end(
        self, dev_app, dev_client, receiver, owner_conn, value
    ):
        receiver.answers = [(503, {"Retry-After": value})]
        _, headers, sub, person = await subscribed(dev_app, dev_client, receiver, events=("consent.granted",))
        # The same event goes to a second receiver of the organisation's, in the same turn.
        async with serving(Receiver(free_port())) as other:
            response = await dev_client.post(
                "/v1/webhooks", json={"url": other.url, "events": ["consent.granted"]}, headers=headers
            )
            other_sub = response.json()
            await grant(dev_client, headers, person)
            deliveries = Deliveries(dev_app.state.db, dev_app.state.settings)
            for _ in range(40):
                await deliveries.turn()
                await deliveries.settle()
                if receiver.received and other.received:
                    break
                await asyncio.sleep(0.05)
            await deliveries.close()
        [row] = await delivery_rows(owner_conn, sub["id"])
        [other_row] = await delivery_rows(owner_conn, other_sub["id"])
        window = timedelta(hours=dev_app.state.settings.webhook_retry_hours)
        assert (row["status"], row["attempts"], row["last_status_code"]) == ("pending", 1, 503)
        assert row["next_attempt_at"] == row["event_created_at"] + window
        assert other_row["status"] == "delivered"
        await unsubscribe(dev_client, headers, sub)
        await unsubscribe(dev_client, headers, other_sub)

    @pytest.mark.parametrize("value", ["soon", "-5", "1e9", "²", "Mon, 99 Foo 99999 99:99:99 GMT"])
    async def test_a_retry_after_that_means_nothing_is_backoff(
        self, dev_app, dev_client, receiver, owner_conn, value
    ):
        receiver.answers = [(503, {"Retry-After": value})]
        _, headers, sub, person = await subscribed(dev_app, dev_client, receiver, events=("consent.granted",))
        await grant(dev_client, headers, person)
        deliveries = Deliveries(dev_app.state.db, dev_app.state.settings)
        for _ in range(40):
            await deliveries.turn()
            await deliveries.settle()
            if receiver.received:
                break
            await asyncio.sleep(0.05)
        await deliveries.close()
        rows = await delivery_rows(owner_conn, sub["id"])
        await unsubscribe(dev_client, headers, sub)
        assert (rows[0]["status"], rows[0]["last_status_code"]) == ("pending", 503)
        # Retried after the backoff (a fraction of a second here), not after anything the header said.
        assert rows[0]["next_attempt_at"] - rows[0]["event_created_at"] < timedelta(minutes=5)


class TestRetryAfterHeader:
    NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    LONGEST = timedelta(hours=72)

    @pytest.mark.parametrize(
        ("value", "delay"),
        [
            ("30", timedelta(seconds=30)),
            (" 0 ", timedelta(0)),
            ("99999999999999999999", LONGEST),
            ("9" * 5000, LONGEST),
            ("Mon, 07 Dec 2026 12:01:00 GMT", timedelta(minutes=1)),
            ("Mon, 07 Dec 2026 11:00:00 GMT", timedelta(0)),  # a date past: at once
            ("Fri, 31 Dec 9999 23:59:59 GMT", LONGEST),
            ("soon", None),
            ("-5", None),
            ("1.5", None),
            ("١٢", None),  # digits, but not ASCII ones
            ("²", None),
            ("Mon, 99 Foo 99999 99:99:99 GMT", None),
            ("", None),
            (None, None),
        ],
    )
    def test_parsed_and_clamped(self, value, delay):
        assert retry_after(value, self.NOW, self.LONGEST) == delay


class TestRebinding:
    async def test_a_name_that_resolves_inside_since_it_was_checked_is_not_connected_to(
        self, app, client, owner_conn, monkeypatch
    ):
        # A DNS server answering a public address to the URL's check and a loopback one after (a
        # rebinding attack, TTL 0), in front of an internal service that must never be reached.
        # Outside dev (the session's app), where webhooks may go only to public addresses.
        assert app.state.settings.env != "dev"
        internal = Receiver(free_port(), answers=[(403, {})])
        real = asyncio.base_events.BaseEventLoop.getaddrinfo
        asked: list[str] = []

        async def rebinding(self, host, port, *args, **kwargs):
            if host not in ("rebind.example.net", b"rebind.example.net"):
                return await real(self, host, port, *args, **kwargs)
            asked.append(host)
            first = len(asked) <= 2  # the subscription's check, then the attempt's
            address = "93.184.216.34" if first else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        async with serving(internal):
            monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", rebinding)
            _, headers, sub, person = await subscribed(
                app, client, f"http://rebind.example.net:{internal.port}/hook"
            )
            await grant(client, headers, person)
            w = Deliveries(app.state.db, app.state.settings)
            try:
                await w.turn()
                await w.settle()
            finally:
                await w.close()
        assert len(asked) >= 3, asked  # resolved again when connecting
        assert internal.received == []
        row = await owner_conn.fetchrow(
            "SELECT status, last_status_code, last_error FROM webhook_deliveries WHERE subscription_id = $1",
            uuid.UUID(sub["id"]),
        )
        assert row["last_status_code"] is None and "private, loopback or link-local" in row["last_error"]
