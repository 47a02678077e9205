"""Concurrent calls of one statement, made together in one.

Under load most of the cost of a small write is the transaction around it: the round trip, the
commit, taking and releasing locks. A :class:`Coalescer` lets a process's concurrent callers of the
same statement share one: a call that finds no statement of the kind running runs at once, alone,
as it would without the coalescer; calls made while one runs wait for it and then go together, as
one statement with all their arguments, and each caller gets its own answer. Nobody waits for a
timer, so an idle service answers as fast as before, and a busy one does more work per transaction
the busier it is (TigerBeetle's batching, without a batch interval).

Each caller's answer is its own: the statement that takes many must answer each of them as the
single statement would, and when it fails as a whole (a timeout, a lock it could not take) nothing
of it was written, and each call is made again alone, so that one bad call fails only itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from prometheus_client import Counter, Histogram

log = logging.getLogger(__name__)

Call = TypeVar("Call")
Answer = TypeVar("Answer")

SIZES = Histogram(
    "kith_coalesced_calls",
    "Calls made together in one statement",
    ["statement"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
APART = Counter(
    "kith_coalesced_failures_total",
    "Statements of many calls that failed as a whole (each call was then made alone)",
    ["statement"],
)


class Coalescer(Generic[Call, Answer]):
    """``await coalescer(call)``: the answer to one call, made alone by ``alone(call)`` or together
    with the calls waiting beside it by ``together(calls)``, which answers them in order. At most
    ``lanes`` statements run at once (a call finding them all busy waits for the next one to end),
    each of at most ``most`` calls."""

    def __init__(
        self,
        name: str,
        alone: Callable[[Call], Awaitable[Answer]],
        together: Callable[[list[Call]], Awaitable[list[Answer]]],
        *,
        lanes: int = 1,
        most: int = 128,
    ) -> None:
        self.name, self._alone, self._together = name, alone, together
        self._lanes, self._most = lanes, most
        self._waiting: list[tuple[Call, asyncio.Future[Answer]]] = []
        self._running: set[asyncio.Task[None]] = set()

    async def __call__(self, call: Call) -> Answer:
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((call, answer))
        if len(self._running) < self._lanes:
            task = asyncio.create_task(self._drain())
            self._running.add(task)
            task.add_done_callback(self._running.discard)  # also for a task cancelled before it ran
        # shield: a caller that goes away (a client hanging up) must not cancel the statement its
        # call shares with others; its call is still made, as it would be alone.
        try:
            return await asyncio.shield(answer)
        except asyncio.CancelledError:
            answer.add_done_callback(_unheard)
            raise

    async def _drain(self) -> None:
        """Run statements while calls are waiting: each takes all that wait (up to ``most``).

        The drain leaves the running set in the same step in which it finds no call waiting: were
        it left to a done-callback, a call arriving in the turn between would find every lane
        taken, start none, and wait for the next caller to come along."""
        try:
            await self._drain_waiting()
        finally:
            self._running.discard(asyncio.current_task())  # type: ignore[arg-type]

    async def _drain_waiting(self) -> None:
        while self._waiting:
            calls, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
            SIZES.labels(self.name).observe(len(calls))
            try:
                if len(calls) == 1:
                    answers = [await self._alone(calls[0][0])]
                else:
                    answers = await self._together([c for c, _ in calls])
                    if len(answers) != len(calls):
                        raise RuntimeError(f"{len(answers)} answers to {len(calls)} calls")
            except Exception as exc:
                if len(calls) == 1:
                    _settle(calls[0][1], exception=exc)
                    continue
                APART.labels(self.name).inc()
                log.warning("%s: %d calls failed together, each made alone: %r", self.name, len(calls), exc)
                await asyncio.gather(*(self._one(call, answer) for call, answer in calls))
                continue
            except BaseException:  # cancelled: nothing is answered, so every caller is told
                for _, answer in calls:
                    answer.cancel()
                raise
            for (_, answer), value in zip(calls, answers, strict=True):
                _settle(answer, value)

    async def _one(self, call: Call, answer: asyncio.Future[Answer]) -> None:
        try:
            _settle(answer, await self._alone(call))
        except Exception as exc:
            _settle(answer, exception=exc)

    async def stop(self) -> None:
        """Wait for the statements running now (at shutdown, before the pool closes)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)


def _unheard(answer: asyncio.Future) -> None:
    """An answer whose caller has gone: retrieved, so that an error in it is not reported as lost."""
    if not answer.cancelled():
        answer.exception()


def _settle(answer: asyncio.Future, value: object = None, *, exception: BaseException | None = None) -> None:
    if answer.done():
        return
    if exception is not None:
        answer.set_exception(exception)
    else:
        answer.set_result(value)
