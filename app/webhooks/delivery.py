"""Delivering webhooks: at least once, signed per the Standard Webhooks specification, each
receiver kept from holding up the others.

Each turn of the delivery job (``jobs.py``) (1) fans new outbox events out into one delivery per
matching subscription and (2) claims due deliveries with ``FOR UPDATE SKIP LOCKED`` — a claim is a
numbered attempt with a lease, committed before anything is sent, so several workers share the work
and no attempt is made twice — then (3) starts each attempt in a task of its own and returns: the
next turn does not wait for the attempts in flight, only for a free slot. A worker makes at most
``KITH_WEBHOOK_CONCURRENCY`` attempts at once, at most ``…_PER_SUBSCRIPTION`` of them to one
subscription, each subscription's earliest due first; an attempt as a whole (connecting, sending,
the answer) has one deadline, and only the start of an answer is read. A worker that dies
mid-attempt leaves its lease to expire; another then makes the next attempt. Failures are retried
with exponential backoff and full jitter (``Retry-After`` honoured within the retry window) until
the event is ``KITH_WEBHOOK_RETRY_HOURS`` old; ``410 Gone`` disables the subscription. A
subscription deleted or disabled while an attempt is in flight gets no further attempt: its
deliveries stay ``cancelled``, whatever the attempt's outcome.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from prometheus_client import Counter
from sqlalchemy import text
from standardwebhooks import Webhook

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.config import Settings
from app.db.session import Database
from app.webhooks import targets

log = logging.getLogger(__name__)

ATTEMPTS = Counter("kith_webhook_attempts_total", "Webhook delivery attempts", ["outcome"])
MAX_DELAY = timedelta(hours=6)

_FAN_OUT = text(
    """
WITH pending AS (
  SELECT id, event_id, org_id, event_type, payload, created_at FROM outbox_events
   WHERE fanned_out_at IS NULL ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED
), made AS (
  -- FOR SHARE: a subscription being deleted meanwhile is either seen deleted here, or its deletion
  -- (which cancels its pending deliveries) waits for these to be committed and cancels them too.
  INSERT INTO webhook_deliveries (id, org_id, subscription_id, event_id, event_type, payload, event_created_at)
  SELECT gen_random_uuid(), p.org_id, s.id, p.event_id, p.event_type, p.payload, p.created_at
    FROM pending p JOIN webhook_subscriptions s
      ON s.org_id = p.org_id AND s.disabled_at IS NULL AND p.event_type = ANY(s.events)
     FOR SHARE OF s
  ON CONFLICT (subscription_id, event_id) DO NOTHING
)
UPDATE outbox_events SET fanned_out_at = now() WHERE id IN (SELECT id FROM pending)
"""
)

# Each enabled subscription's earliest due deliveries, as many as it has room for in this worker
# (``busy``: its attempts in flight here), at most ``limit`` in all, earliest due first. One short
# range of ix_webhook_deliveries_pending per subscription, however long another's backlog.
_CLAIM = text(
    """
WITH room AS (
  SELECT s.id, :per_subscription - coalesce(b.busy, 0) AS room
    FROM webhook_subscriptions s
    LEFT JOIN unnest(CAST(:busy_subscriptions AS uuid[]), CAST(:busy AS int[])) AS b(id, busy) ON b.id = s.id
   WHERE s.disabled_at IS NULL
), candidates AS (
  SELECT d.id, d.next_attempt_at, r.room,
         row_number() OVER (PARTITION BY r.id ORDER BY d.next_attempt_at, d.id) AS nth
    FROM room r CROSS JOIN LATERAL (
      SELECT id, next_attempt_at FROM webhook_deliveries
       WHERE subscription_id = r.id AND status = 'pending' AND next_attempt_at <= now()
         AND (leased_until IS NULL OR leased_until < now()) AND id <> ALL(CAST(:in_flight AS uuid[]))
       ORDER BY next_attempt_at, id LIMIT :per_subscription
       FOR UPDATE SKIP LOCKED) d
   WHERE r.room > 0
), chosen AS (
  SELECT id FROM candidates WHERE nth <= room ORDER BY next_attempt_at, id LIMIT :limit
)
UPDATE webhook_deliveries d
   SET attempts = d.attempts + 1, leased_until = now() + make_interval(secs => :lease)
  FROM webhook_subscriptions s
 WHERE s.id = d.subscription_id AND d.id IN (SELECT id FROM chosen)
RETURNING d.id, d.event_id, d.event_type, d.payload, d.event_created_at, d.attempts, s.id AS subscription_id,
          s.url, s.secret
"""
)

# An outcome is recorded only by the holder of that attempt (attempts unchanged since the claim),
# and never brings back a delivery that was cancelled meanwhile, nor keeps one of a subscription
# that was disabled: those stay (or become) cancelled, with what the attempt found kept for the log.
_RECORD = text(
    """
UPDATE webhook_deliveries d
   SET status = CASE WHEN d.status <> 'pending' THEN d.status
                     WHEN s.disabled_at IS NOT NULL THEN 'cancelled'
                     ELSE CAST(:status AS text) END,
       next_attempt_at = CASE WHEN d.status = 'pending' AND s.disabled_at IS NULL AND CAST(:status AS text) = 'pending'
                              THEN CAST(:next AS timestamptz) ELSE d.next_attempt_at END,
       delivered_at = CASE WHEN d.status = 'pending' AND s.disabled_at IS NULL AND CAST(:status AS text) = 'delivered'
                           THEN now() ELSE d.delivered_at END,
       leased_until = NULL, last_status_code = :code, last_error = :error
  FROM webhook_subscriptions s
 WHERE s.id = d.subscription_id AND d.id = :id AND d.attempts = :attempt
"""
)
_GONE = [
    text(
        "UPDATE webhook_subscriptions SET disabled_at = now(), disabled_reason = :reason "
        "WHERE id = :sub AND disabled_at IS NULL"
    ),
    text(
        "UPDATE webhook_deliveries SET status = 'cancelled', leased_until = NULL, last_status_code = :code, "
        "last_error = :reason WHERE subscription_id = :sub AND status = 'pending'"
    ),
]
# Disabling an organisation's subscription changes its settings: audited under the job's name.
_DELIVERY = Principal.background("webhook delivery")


@dataclass
class Claimed:
    id: Any
    event_id: Any
    event_type: str
    payload: dict
    event_created_at: datetime
    attempt: int
    subscription_id: Any
    url: str
    secret: str


@dataclass
class Outcome:
    """What one attempt came to: the receiver's status code if it answered, an error unless it
    answered 2xx in time, and the delay its ``Retry-After`` asked for."""

    code: int | None = None
    error: str | None = None
    wait: timedelta | None = None


_SECONDS = re.compile(r"[0-9]+", re.ASCII)


def retry_after(value: str | None, now: datetime, longest: timedelta) -> timedelta | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as a delay of at most ``longest``; None
    when there is none or it means nothing."""
    if not value:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        # A long string of digits is a long wait: compared as text (int() refuses very long ones).
        if len(value) > 12:
            return longest
        return min(timedelta(seconds=int(value)), longest)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(when - now, timedelta(0)), longest)


def backoff(attempt: int, base: float) -> timedelta:
    """Exponential backoff with full jitter: up to base·2^(attempt−1), at most six hours."""
    ceiling = min(base * 2 ** min(attempt - 1, 64), MAX_DELAY.total_seconds())
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def _excerpt(start: bytes) -> str:
    """The start of an answer as text the delivery log can hold (PostgreSQL text takes no NUL)."""
    return start.decode("utf-8", "replace").replace("\x00", "\ufffd").strip()


class Deliveries:
    """A worker's webhook deliveries: fan-out, claims, and the attempts in flight."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.allow_internal = settings.env == "dev"
        self.slots = settings.webhook_concurrency
        self.per_subscription = settings.webhook_concurrency_per_subscription
        self.deadline = settings.webhook_timeout_seconds
        self.keep = settings.webhook_response_bytes
        # Connections only to addresses checked as public when they are made (targets.CheckedBackend):
        # the check before an attempt alone would let a name resolve to an internal address since.
        limits = httpx.Limits(max_connections=self.slots, max_keepalive_connections=self.slots)
        self._client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
            trust_env=False,
            transport=targets.checked_transport(limits, allow_internal=self.allow_internal),
        )
        self._in_flight: dict[asyncio.Task[None], Claimed] = {}
        self.slot_freed = asyncio.Event()  # set when an attempt ends: the job's next turn may claim

    @property
    def in_flight(self) -> list[Claimed]:
        return list(self._in_flight.values())

    async def turn(self) -> bool:
        """Fan out, claim what there is room for, and start those attempts (not waiting for them).
        True when every free slot was filled (more may be due)."""
        await self.fan_out()
        room = self.slots - len(self._in_flight)
        if room <= 0:
            return False
        claimed = await self.claim(room)
        for c in claimed:
            task = asyncio.create_task(self._attempt_in_slot(c), name=f"webhook attempt {c.id}")
            self._in_flight[task] = c
        return len(claimed) == room

    async def settle(self) -> None:
        """Wait for the attempts in flight to end."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def close(self, grace: float | None = None) -> None:
        """Let the attempts in flight end (at most ``grace`` seconds, by default one attempt's
        deadline), then stop those left (their leases lapse and another attempt is made later)."""
        tasks = set(self._in_flight)
        if tasks:
            await asyncio.wait(tasks, timeout=self.deadline + 1 if grace is None else grace)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._client.aclose()

    async def _attempt_in_slot(self, c: Claimed) -> None:
        try:
            await self.attempt(c)
        except Exception:  # recording failed (the database away): the lease lapses, the attempt is made again
            log.exception("webhook attempt %s could not be recorded", c.id)
        finally:
            self._in_flight.pop(asyncio.current_task(), None)  # type: ignore[arg-type]
            self.slot_freed.set()

    async def fan_out(self) -> None:
        async with self.db.session(platform=True) as session:
            await session.execute(_FAN_OUT, {"limit": 1000})

    async def claim(self, limit: int) -> list[Claimed]:
        """Claim up to ``limit`` due deliveries this worker has room for (a numbered attempt each,
        leased to it), committed before anything is sent."""
        busy: dict[uuid.UUID, int] = {}
        for c in self._in_flight.values():
            busy[c.subscription_id] = busy.get(c.subscription_id, 0) + 1
        async with self.db.session(platform=True) as session:
            rows = await session.execute(
                _CLAIM,
                {
                    "lease": self.settings.webhook_lease_seconds,
                    "limit": limit,
                    "per_subscription": self.per_subscription,
                    "busy_subscriptions": list(busy),
                    "busy": list(busy.values()),
                    "in_flight": [c.id for c in self._in_flight.values()],
                },
            )
            return [
                Claimed(
                    r.id,
                    r.event_id,
                    r.event_type,
                    r.payload,
                    r.event_created_at,
                    r.attempts,
                    r.subscription_id,
                    r.url,
                    r.secret,
                )
                for r in rows
            ]

    async def attempt(self, c: Claimed) -> None:
        """Send one claimed attempt and record what came of it."""
        outcome = await self.send(c)
        await self._record(c, outcome)

    async def send(self, c: Claimed) -> Outcome:
        """POST the event to the subscription's URL: everything within one deadline, reading at
        most ``webhook_response_bytes`` of the answer."""
        now = datetime.now(UTC)
        body = orjson.dumps(
            {"type": c.event_type, "timestamp": c.event_created_at.isoformat(), "data": c.payload}
        ).decode()
        msg_id = f"msg_{c.event_id.hex}"
        headers = {
            "content-type": "application/json",
            "user-agent": "Kith-Webhooks/1",
            "accept-encoding": "identity",  # what is read is what was sent: nothing to inflate
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(c.secret).sign(msg_id, now, body),
        }
        outcome = Outcome()
        window_end = c.event_created_at + timedelta(hours=self.settings.webhook_retry_hours)
        try:
            async with asyncio.timeout(self.deadline):
                await targets.check(c.url, allow_internal=self.allow_internal)
                async with self._client.stream("POST", c.url, content=body, headers=headers) as response:
                    outcome.code = response.status_code
                    outcome.wait = retry_after(
                        response.headers.get("retry-after"), now, max(window_end - now, timedelta(0))
                    )
                    start = bytearray()
                    if self.keep:
                        # Leaving the block unread closes the connection: the rest is never read.
                        async for chunk in response.aiter_raw():
                            start += chunk[: self.keep - len(start)]
                            if len(start) >= self.keep:
                                break
            if not 200 <= outcome.code < 300:
                excerpt = _excerpt(bytes(start))
                outcome.error = f"HTTP {outcome.code}: {excerpt}" if excerpt else f"HTTP {outcome.code}"
        except targets.UnsafeTarget as exc:
            outcome.error = exc.detail
        except TimeoutError:
            outcome.error = f"no complete answer within {self.deadline:g} s"
        except httpx.HTTPError as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"[:500]
        except Exception as exc:  # whatever a receiver's answer makes of a library: its failure, not ours
            log.warning("webhook attempt failed unexpectedly", exc_info=True)
            outcome.error = f"{type(exc).__name__}: {exc}"[:500]
        return outcome

    async def _record(self, c: Claimed, outcome: Outcome) -> None:
        params: dict[str, Any] = {"id": c.id, "attempt": c.attempt, "code": outcome.code}
        async with self.db.session(platform=True) as session:
            if outcome.error is None:
                ATTEMPTS.labels("delivered").inc()
                await session.execute(_RECORD, {**params, "status": "delivered", "next": None, "error": None})
                return
            if outcome.code == 410:
                ATTEMPTS.labels("gone").inc()
                reason = "the receiver answered 410 Gone"
                params = {"sub": c.subscription_id, "reason": reason, "code": outcome.code}
                disabled = await session.execute(_GONE[0], params)
                await session.execute(_GONE[1], params)
                if disabled.rowcount:  # not already disabled (or deleted) meanwhile
                    audit.record(
                        session,
                        _DELIVERY,
                        "webhook.disabled",
                        "webhook_subscription",
                        c.subscription_id,
                        {"reason": reason},
                    )
                return
            now = datetime.now(UTC)
            window_end = c.event_created_at + timedelta(hours=self.settings.webhook_retry_hours)
            earliest = now + timedelta(seconds=self.settings.webhook_retry_base_seconds / 2)
            if outcome.wait is None:
                next_at = now + backoff(c.attempt, self.settings.webhook_retry_base_seconds)
            else:
                # Honoured, within the window: a receiver asking for more gets one last attempt at its end.
                next_at = max(min(now + outcome.wait, window_end), earliest)
            give_up = next_at > window_end
            ATTEMPTS.labels("failed" if give_up else "retry").inc()
            await session.execute(
                _RECORD,
                {
                    **params,
                    "status": "failed" if give_up else "pending",
                    "next": next_at,
                    "error": outcome.error,
                },
            )
