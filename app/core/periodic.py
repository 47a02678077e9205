"""Background jobs and what runs them: each job repeats on its own schedule in a task of its own,
so that one failing or slow job never delays another (a receiver holding up webhook delivery
cannot hold up the voiding of timed-out ledger holds), and each stops cleanly with the process.

Which jobs a process runs is listed in one place, ``app/worker.py``; each job lives in its own
domain's ``jobs.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """``turn`` made every ``every`` seconds (counted from the end of the last turn), the first
    ``first_after`` seconds after start. A turn answering something true is followed by the next at
    once (more work is waiting); setting ``wake`` starts the next turn before its time. A failing
    turn is logged and the job goes on at its next turn (the database or a mail server may be away
    for a moment). At stop, a turn under way may go on for ``grace`` seconds before it is cancelled,
    and then ``close`` runs."""

    name: str
    turn: Callable[[], Awaitable[object]]
    every: float
    first_after: float = 0.0
    grace: float = 0.0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    close: Callable[[], Awaitable[None]] | None = None


class Jobs:
    """Runs each of ``jobs`` in a task of its own until stopped."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self._stopping = False
        self._stopped = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self) -> None:
        for job in self.jobs:
            self._tasks[job.name] = asyncio.create_task(self._repeat(job), name=job.name)

    async def run(self) -> None:
        """Start, and run until :meth:`request_stop` (the ``kith worker`` process)."""
        self.start()
        await self._stopped.wait()

    def request_stop(self) -> None:
        self._stopping = True
        for job in self.jobs:
            job.wake.set()
        self._stopped.set()

    async def stop(self) -> None:
        """Let the turns under way end (each within its job's grace), then close every job."""
        self.request_stop()
        await asyncio.gather(*(self._stop(job) for job in self.jobs))

    async def _stop(self, job: Job) -> None:
        task = self._tasks.pop(job.name, None)
        if task is not None:
            if job.grace > 0:  # a job paused between turns ends at once (request_stop woke it)
                await asyncio.wait({task}, timeout=job.grace)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if job.close is not None:
            try:
                await job.close()
            except Exception:
                log.exception("%s: closing failed", job.name)

    async def _repeat(self, job: Job) -> None:
        await self._pause(job, job.first_after)
        while not self._stopping:
            # Cleared before the turn: a wake-up given during the turn starts the next one at once.
            job.wake.clear()
            try:
                more = await job.turn()
            except Exception:
                log.exception("%s failed; trying again in %ss", job.name, job.every)
                more = False
            if not more:
                await self._pause(job, job.every)
            else:
                await asyncio.sleep(0)  # others' turn first

    async def _pause(self, job: Job, seconds: float) -> None:
        if seconds <= 0 or self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(job.wake.wait(), seconds)
