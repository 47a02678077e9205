"""The background worker: delivering webhooks (at least once, signed per the Standard Webhooks
specification), voiding ledger holds whose timeout has passed, expiring reward credits past their
pool's expiry, and sending the mail queued for residents.

Each round, a worker (1) fans new outbox events out into one delivery per matching subscription,
(2) claims due deliveries with ``FOR UPDATE SKIP LOCKED`` — a claim is a numbered attempt with a
lease, committed before anything is sent, so several workers share the work and no attempt is
made twice — and (3) sends them and records the outcome. A worker that dies mid-attempt leaves its
lease to expire; another then makes the next attempt. Failures are retried with exponential
backoff and full jitter (``Retry-After`` honoured) until the event is three days old; ``410 Gone``
disables the subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from prometheus_client import Counter
from sqlalchemy import text
from standardwebhooks import Webhook

from app.core.config import Settings
from app.db.session import Database
from app.identity import service as identity
from app.indicators import service as indicators
from app.ledger import service as ledger
from app.portal import mail
from app.rewards import service as rewards
from app.webhooks import targets

log = logging.getLogger(__name__)

ATTEMPTS = Counter("kith_webhook_attempts_total", "Webhook delivery attempts", ["outcome"])
MAX_DELAY = timedelta(hours=6)
CREDIT_EXPIRY_INTERVAL = 60.0  # seconds between looks for expired reward credits

_FAN_OUT = text(
    """
WITH pending AS (
  SELECT id, event_id, org_id, event_type, payload, created_at FROM outbox_events
   WHERE fanned_out_at IS NULL ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED
), made AS (
  INSERT INTO webhook_deliveries (id, org_id, subscription_id, event_id, event_type, payload, event_created_at)
  SELECT gen_random_uuid(), p.org_id, s.id, p.event_id, p.event_type, p.payload, p.created_at
    FROM pending p JOIN webhook_subscriptions s
      ON s.org_id = p.org_id AND s.disabled_at IS NULL AND p.event_type = ANY(s.events)
  ON CONFLICT (subscription_id, event_id) DO NOTHING
)
UPDATE outbox_events SET fanned_out_at = now() WHERE id IN (SELECT id FROM pending)
"""
)

_CLAIM = text(
    """
UPDATE webhook_deliveries d
   SET attempts = d.attempts + 1, leased_until = now() + make_interval(secs => :lease)
  FROM webhook_subscriptions s
 WHERE s.id = d.subscription_id AND d.id IN (
   SELECT id FROM webhook_deliveries
    WHERE status = 'pending' AND next_attempt_at <= now() AND (leased_until IS NULL OR leased_until < now())
    ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED)
RETURNING d.id, d.event_id, d.event_type, d.payload, d.event_created_at, d.attempts, s.id AS subscription_id,
          s.url, s.secret
"""
)

# Every outcome is recorded only by the holder of that attempt (attempts unchanged since the claim).
_DELIVERED = text(
    "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), leased_until = NULL, "
    "last_status_code = :code, last_error = NULL WHERE id = :id AND attempts = :attempt"
)
_RETRY = text(
    "UPDATE webhook_deliveries SET status = :status, next_attempt_at = :next, leased_until = NULL, "
    "last_status_code = :code, last_error = :error WHERE id = :id AND attempts = :attempt"
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


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a delay."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))


def backoff(attempt: int, base: float) -> timedelta:
    """Exponential backoff with full jitter: up to base·2^(attempt−1), at most six hours."""
    ceiling = min(base * 2 ** (attempt - 1), MAX_DELAY.total_seconds())
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


class WebhookWorker:
    def __init__(self, db: Database, settings: Settings, *, batch: int = 20) -> None:
        self.db = db
        self.settings = settings
        self.batch = batch
        self.allow_internal = settings.env == "dev"
        self._client = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._next_expiry = 0.0
        self._next_indicators = 0.0
        self._indicators_task: asyncio.Task | None = None
        self._next_retrain = time.monotonic() + 60  # not in a server's first minute
        self._retrain_task: asyncio.Task | None = None
        self._mail_task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="webhook-worker")

    def request_stop(self) -> None:
        self._stop.set()

    async def stop(self) -> None:
        """Finish the attempts in flight, then stop."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._indicators_task is not None:  # a roll-up run is one transaction: stopping loses nothing
            self._indicators_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._indicators_task
        if self._retrain_task is not None:  # one transaction: stopping loses nothing
            self._retrain_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrain_task
        if self._mail_task is not None:  # a message cut off is sent again once its claim lapses
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._mail_task, self.settings.webhook_timeout_seconds)
        await self._client.aclose()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = await self.run_once()
            except Exception:
                log.exception("webhook worker round failed")
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.settings.webhook_poll_seconds)

    async def run_once(self) -> int:
        """One round: void timed-out ledger holds, fan out, claim, deliver. The number of attempts made."""
        async with self.db.session(platform=True) as session:
            await ledger.void_expired_holds(session)
            # Credits expire by the day: looking once a minute is plenty, and spares every round
            # a scan of the earnings that carry an expiry.
            if time.monotonic() >= self._next_expiry:
                self._next_expiry = time.monotonic() + CREDIT_EXPIRY_INTERVAL
                await rewards.expire_credits(session)
        # The indicator roll-ups, brought up to date every so often in a task of their own (a run can
        # take a while on a large neighbourhood; deliveries need not wait for it).
        every = self.settings.indicator_refresh_seconds
        idle = self._indicators_task is None or self._indicators_task.done()
        if every and idle and time.monotonic() >= self._next_indicators:
            self._next_indicators = time.monotonic() + every
            self._indicators_task = asyncio.create_task(self._refresh_indicators(), name="indicator-rollups")
        # Matching re-estimated when enough records or reviewers' decisions have arrived: a task
        # of its own too (an estimate takes seconds).
        every = self.settings.identity_retrain_seconds
        idle = self._retrain_task is None or self._retrain_task.done()
        if every and idle and time.monotonic() >= self._next_retrain:
            self._next_retrain = time.monotonic() + every
            self._retrain_task = asyncio.create_task(self._retrain(), name="identity-retrain")
        # Mail to residents, in a task of its own: a slow mail server must not hold up deliveries.
        if self._mail_task is None or self._mail_task.done():
            self._mail_task = asyncio.create_task(self._send_mail(), name="resident-mail")
        await self.fan_out()
        claimed = await self.claim()
        if claimed:
            await asyncio.gather(*(self.attempt(c) for c in claimed))
        return len(claimed)

    async def _refresh_indicators(self) -> None:
        try:
            async with self.db.session(platform=True) as session:
                # Another process's run under way will see what this one would have: skip.
                await indicators.refresh(session, self.settings, wait=False)
        except Exception:
            log.exception("indicator roll-up run failed")

    async def _retrain(self) -> None:
        try:
            async with self.db.session(platform=True) as session:
                done = await identity.retrain_if_due(session, self.settings)
            if done is not None:
                log.info(
                    "matching re-estimated from %d candidate pairs: %s (%d of %d reviewers' decisions agreed, %d before)",
                    done.pairs,
                    "adopted" if done.adopted else "not adopted",
                    done.agreed,
                    done.labels,
                    done.agreed_before,
                )
        except Exception:
            log.exception("re-estimating matching failed")

    async def _send_mail(self) -> None:
        try:
            await mail.deliver_queued(self.db, self.settings)
        except Exception:
            log.exception("sending mail to residents failed")

    async def fan_out(self) -> None:
        async with self.db.session(platform=True) as session:
            await session.execute(_FAN_OUT, {"limit": 1000})

    async def claim(self, limit: int | None = None) -> list[Claimed]:
        async with self.db.session(platform=True) as session:
            rows = await session.execute(
                _CLAIM, {"lease": self.settings.webhook_lease_seconds, "limit": limit or self.batch}
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
        now = datetime.now(UTC)
        body = orjson.dumps(
            {"type": c.event_type, "timestamp": c.event_created_at.isoformat(), "data": c.payload}
        ).decode()
        msg_id = f"msg_{c.event_id.hex}"
        headers = {
            "content-type": "application/json",
            "user-agent": "Kith-Webhooks/1",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(c.secret).sign(msg_id, now, body),
        }
        code: int | None = None
        wait: timedelta | None = None
        try:
            await targets.check(c.url, allow_internal=self.allow_internal)
            response = await self._client.post(c.url, content=body, headers=headers)
            code = response.status_code
            error = None if 200 <= code < 300 else f"HTTP {code}"
            wait = retry_after(response.headers.get("retry-after"), now)
        except targets.UnsafeTarget as exc:
            error = exc.detail
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        await self._record(c, code, error, wait)

    async def _record(self, c: Claimed, code: int | None, error: str | None, wait: timedelta | None) -> None:
        params = {"id": c.id, "attempt": c.attempt, "code": code}
        async with self.db.session(platform=True) as session:
            if error is None:
                ATTEMPTS.labels("delivered").inc()
                await session.execute(_DELIVERED, params)
                return
            if code == 410:
                ATTEMPTS.labels("gone").inc()
                reason = "the receiver answered 410 Gone"
                for statement in _GONE:
                    await session.execute(
                        statement, {"sub": c.subscription_id, "reason": reason, "code": code}
                    )
                return
            delay = backoff(c.attempt, self.settings.webhook_retry_base_seconds)
            if wait is not None:
                delay = max(wait, timedelta(seconds=self.settings.webhook_retry_base_seconds / 2))
            next_at = datetime.now(UTC) + delay
            give_up = next_at > c.event_created_at + timedelta(hours=self.settings.webhook_retry_hours)
            ATTEMPTS.labels("failed" if give_up else "retry").inc()
            await session.execute(
                _RETRY,
                {**params, "status": "failed" if give_up else "pending", "next": next_at, "error": error},
            )
