"""The access log: every read of a person's data by an organisation, for the resident to see.

Reads must not wait on it, so entries are buffered in the process and written in batches by a
background task (one INSERT per batch). An entry joins the buffer only when the read's own
transaction commits (a read that failed disclosed nothing), and the buffer is written out on a
clean shutdown. Where no writer runs (a command-line job, a test of a service function), the
entries are written in the reading transaction itself, so none is ever dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.logging import request_id_var
from app.db.session import Database

log = logging.getLogger(__name__)

SERVICE_KEY = "access_log"
_PENDING = "access_log_pending"

WRITTEN = Counter("kith_access_log_written_total", "Access-log entries written to the database")
BUFFERED = Gauge("kith_access_log_buffered", "Access-log entries waiting to be written")
FAILURES = Counter("kith_access_log_write_failures_total", "Failed access-log batch writes (retried)")

_INSERT = text(
    "INSERT INTO access_log (org_id, client_id, person_id, org_person_id, purpose, categories, action, "
    "request_id, read_at) "
    "SELECT o, c, p, op, pu, string_to_array(ca, ','), a, r, t FROM unnest("
    "CAST(:orgs AS uuid[]), CAST(:clients AS text[]), CAST(:people AS uuid[]), CAST(:org_people AS uuid[]), "
    "CAST(:purposes AS text[]), CAST(:categories AS text[]), CAST(:actions AS text[]), "
    "CAST(:requests AS text[]), CAST(:times AS timestamptz[])) AS t(o, c, p, op, pu, ca, a, r, t)"
)


@dataclass(frozen=True, slots=True)
class Entry:
    org_id: uuid.UUID
    client_id: str | None
    person_id: uuid.UUID  # the platform's person (canonical at the time of the read)
    org_person_id: uuid.UUID  # the id the organisation used
    purpose: str
    categories: tuple[str, ...]
    action: str  # what was read: profile, consents, timeline, wallet, …
    request_id: str | None
    read_at: datetime


def entry(
    org_id: uuid.UUID,
    client_id: str | None,
    person_id: uuid.UUID,
    org_person_id: uuid.UUID,
    purpose: str,
    categories: set[str] | frozenset[str],
    action: str,
) -> Entry:
    return Entry(
        org_id,
        client_id,
        person_id,
        org_person_id,
        purpose,
        tuple(sorted(categories)),
        action,
        request_id_var.get(),
        datetime.now(UTC),
    )


async def insert(session: AsyncSession, entries: list[Entry]) -> None:
    if not entries:
        return
    await session.execute(
        _INSERT,
        {
            "orgs": [e.org_id for e in entries],
            "clients": [e.client_id for e in entries],
            "people": [e.person_id for e in entries],
            "org_people": [e.org_person_id for e in entries],
            "purposes": [e.purpose for e in entries],
            "categories": [",".join(e.categories) for e in entries],
            "actions": [e.action for e in entries],
            "requests": [e.request_id for e in entries],
            "times": [e.read_at for e in entries],
        },
    )


def record(session: AsyncSession, new: Entry) -> None:
    """Log a read made in this transaction; it reaches the log when the transaction commits."""
    pending: list[Entry] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        session.info.setdefault("before_commit", []).append(_hand_over)
    pending.append(new)


async def _hand_over(session: AsyncSession) -> None:
    entries = session.info.pop(_PENDING, [])
    writer: AccessLogWriter | None = session.info.get(SERVICE_KEY)
    if writer is None or not writer.running:
        await insert(session, entries)
    else:
        # Handed over after the last statement of the transaction: a commit failing now is
        # possible but rare, and a logged read that did not happen harms no one.
        writer.add(entries)


class AccessLogWriter:
    """Buffers access-log entries and writes them in batches, every ``interval`` seconds or as
    soon as ``batch`` are waiting."""

    def __init__(self, db: Database, *, interval: float = 0.25, batch: int = 2000) -> None:
        self.db = db
        self.interval = interval
        self.batch = batch
        self._buffer: list[Entry] = []
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="access-log-writer")

    def add(self, entries: list[Entry]) -> None:
        self._buffer.extend(entries)
        BUFFERED.set(len(self._buffer))
        if len(self._buffer) >= self.batch:
            self._wake.set()

    async def flush(self) -> int:
        """Write everything buffered; on failure the entries go back to the buffer."""
        async with self._lock:
            entries, self._buffer = self._buffer, []
            if not entries:
                return 0
            try:
                async with self.db.session(platform=True) as session:
                    await insert(session, entries)
            except BaseException:
                self._buffer[:0] = entries
                BUFFERED.set(len(self._buffer))
                raise
            WRITTEN.inc(len(entries))
            BUFFERED.set(len(self._buffer))
            return len(entries)

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less when a full batch is waiting or :meth:`stop` is called."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _run(self) -> None:
        # The task is told to stop, never cancelled: a flush cancelled in its commit may have
        # written its batch and still put the entries back, so the last flush would log them twice.
        while not self._stopping:
            await self._pause(self.interval)
            if self._stopping:
                return  # stop() writes what is left
            try:
                await self.flush()
            except Exception:
                FAILURES.inc()
                log.exception("writing the access log failed; retrying")
                await self._pause(min(self.interval * 4, 5))

    async def stop(self, attempts: int = 5) -> None:
        """Stop the background task once its flush in hand (if any) is done, then write out what is
        left (retrying a few times)."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            await self._task
            self._task = None
        for attempt in range(attempts):
            try:
                await self.flush()
                return
            except Exception:
                log.exception("writing the access log at shutdown failed (attempt %d)", attempt + 1)
                await asyncio.sleep(0.5)
        log.error("%d access-log entries could not be written at shutdown", len(self._buffer))
