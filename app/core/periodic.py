"""Background work a server process repeats every few seconds (mail to residents, audit
checkpoints): one task each, stopped cleanly with the process, surviving a bad moment."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Every:
    """Run ``job`` every ``interval`` seconds until stopped; a failure is logged and retried at the
    next turn (the database or a mail server may be away for a moment)."""

    def __init__(self, interval: float, job: Callable[[], Awaitable[object]], name: str) -> None:
        self.interval, self.job, self.name = interval, job, name
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._repeat(), name=self.name)

    async def _repeat(self) -> None:
        while True:
            try:
                await self.job()
            except Exception:
                log.exception("%s failed; trying again in %ss", self.name, self.interval)
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
