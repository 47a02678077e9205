"""Concurrent calls made together: each caller gets its own answer, however the calls were made."""

from __future__ import annotations

import asyncio

import pytest

from app.db.coalesce import Coalescer


class Statement:
    """A stand-in for a statement with a one-call and a many-call form, recording how it was called.
    ``bad`` calls fail, alone or together (as a statement that raises would)."""

    def __init__(self, *, bad: frozenset[int] = frozenset(), pause: float = 0.01) -> None:
        self.bad, self.pause = bad, pause
        self.alone: list[int] = []
        self.together: list[list[int]] = []
        self.running = self.most_running = 0

    async def _run(self) -> None:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(self.pause)
        finally:
            self.running -= 1

    async def one(self, n: int) -> int:
        self.alone.append(n)
        await self._run()
        if n in self.bad:
            raise ValueError(f"call {n} is bad")
        return n * 10

    async def many(self, ns: list[int]) -> list[int]:
        self.together.append(ns)
        await self._run()
        if self.bad & set(ns):
            raise ValueError("a bad call among them")
        return [n * 10 for n in ns]


def coalescer(statement: Statement, **options) -> Coalescer[int, int]:
    return Coalescer("test", statement.one, statement.many, **options)


class TestCoalescer:
    async def test_an_idle_call_is_made_alone(self):
        statement = Statement()
        assert await coalescer(statement)(4) == 40
        assert statement.alone == [4] and statement.together == []

    async def test_calls_made_at_once_go_together_each_answered(self):
        statement = Statement()
        calls = coalescer(statement)
        answers = await asyncio.gather(*(calls(n) for n in range(20)))
        assert answers == [n * 10 for n in range(20)]
        assert statement.alone == [] and statement.together == [list(range(20))]

    async def test_calls_made_while_one_runs_go_together_next(self):
        statement = Statement(pause=0.05)
        calls = coalescer(statement, lanes=1)
        first = asyncio.create_task(calls(0))
        await asyncio.sleep(0.01)  # its statement is running
        later = await asyncio.gather(*(calls(n) for n in range(1, 20)))
        assert await first == 0 and later == [n * 10 for n in range(1, 20)]
        assert statement.alone == [0] and statement.together == [list(range(1, 20))]

    async def test_at_most_lanes_statements_run_at_once_each_of_at_most_most(self):
        statement = Statement()
        calls = coalescer(statement, lanes=2, most=5)
        answers = await asyncio.gather(*(calls(n) for n in range(30)))
        assert answers == [n * 10 for n in range(30)]
        assert statement.most_running == 2
        assert max(len(t) for t in statement.together) == 5
        made = statement.alone + [n for t in statement.together for n in t]
        assert sorted(made) == list(range(30))  # each call made once

    async def test_when_calls_fail_together_each_is_made_alone(self):
        statement = Statement(bad=frozenset({7}))
        calls = coalescer(statement, lanes=1)
        results = await asyncio.gather(*(calls(n) for n in range(10)), return_exceptions=True)
        assert [r for n, r in enumerate(results) if n != 7] == [n * 10 for n in range(10) if n != 7]
        assert isinstance(results[7], ValueError) and "call 7" in str(results[7])
        assert statement.together == [list(range(10))]
        assert sorted(statement.alone) == list(range(10))  # each of the ten again, alone

    async def test_a_caller_that_goes_away_cancels_nobody_else(self):
        statement = Statement(pause=0.05)
        calls = coalescer(statement, lanes=1)
        first = asyncio.create_task(calls(0))
        await asyncio.sleep(0)
        waiting = [asyncio.create_task(calls(n)) for n in range(1, 6)]
        await asyncio.sleep(0)
        waiting[2].cancel()  # call 3 hangs up while it waits
        with pytest.raises(asyncio.CancelledError):
            await waiting[2]
        assert await first == 0
        assert [await w for i, w in enumerate(waiting) if i != 2] == [10, 20, 40, 50]
        assert statement.together == [[1, 2, 3, 4, 5]]  # its call was still made, as it would be alone

    async def test_stop_waits_for_the_statements_running(self):
        statement = Statement(pause=0.05)
        calls = coalescer(statement, lanes=1)
        tasks = [asyncio.create_task(calls(n)) for n in range(3)]
        await asyncio.sleep(0)
        await calls.stop()
        assert statement.together == [[0, 1, 2]] and statement.running == 0
        assert await asyncio.gather(*tasks) == [0, 10, 20]

    async def test_a_wrong_number_of_answers_is_a_failure_and_each_is_made_alone(self):
        statement = Statement()

        async def short(ns: list[int]) -> list[int]:
            statement.together.append(ns)
            return [n * 10 for n in ns[:-1]]

        calls = Coalescer("test", statement.one, short)
        assert await asyncio.gather(*(calls(n) for n in range(4))) == [0, 10, 20, 30]
        assert statement.together == [[0, 1, 2, 3]] and sorted(statement.alone) == [0, 1, 2, 3]


class TestNoLostWakeUp:
    """A statement's last step (answer its calls, find none waiting, end) and the done-callbacks of
    its task are apart by one turn of the event loop. A call arriving in that turn must start a
    statement of its own: the drain leaves the running set in the step in which it finds nothing
    waiting, not in a done-callback. Ordered with events and the event loop's own FIFO order (no
    sleeps): the tests check that the call did arrive in that gap."""

    @staticmethod
    def statement_at_a_gate():
        gate, waiting_at_gate = asyncio.Event(), asyncio.Event()
        drains: list[asyncio.Task] = []

        async def alone(n: int) -> int:
            if n == 1:
                drains.append(asyncio.current_task())  # the statement runs in the drain's task
                waiting_at_gate.set()
                await gate.wait()
            return n * 10

        async def together(ns: list[int]) -> list[int]:
            return [n * 10 for n in ns]

        return gate, waiting_at_gate, drains, alone, together

    async def test_a_call_arriving_as_the_last_statement_ends_is_made(self):
        gate, waiting_at_gate, drains, alone, together = self.statement_at_a_gate()
        coalescer = Coalescer("test", alone, together, lanes=1)
        order: list[str] = []

        async def second_call() -> int:
            order.append("second call arrives" + (" after the drain ended" if drains[0].done() else ""))
            return await coalescer(2)

        first = asyncio.create_task(coalescer(1))
        await waiting_at_gate.wait()  # the first call's statement is running, held at the gate
        drains[0].add_done_callback(lambda _: order.append("the drain's done-callbacks run"))
        # Opening the gate schedules the drain's last step; the second call's first step is
        # scheduled right after it, so it runs after the drain has ended and before the
        # done-callbacks its end schedules.
        gate.set()
        second = asyncio.create_task(second_call())
        done, _ = await asyncio.wait({first, second}, timeout=5)
        assert order[:2] == ["second call arrives after the drain ended", "the drain's done-callbacks run"]
        assert {first, second} == done, "the second call was left waiting for a statement"
        assert (first.result(), second.result()) == (10, 20)

    async def test_calls_arriving_at_every_step_of_a_statements_end_are_made(self):
        """The second call arrives 0, 1, 2, … turns of the event loop after the gate opens: before
        the statement's last step, in the gap, and after its task is gone; each is made."""
        for turns in range(8):
            gate, waiting_at_gate, _, alone, together = self.statement_at_a_gate()
            coalescer = Coalescer("test", alone, together, lanes=1)
            first = asyncio.create_task(coalescer(1))
            await waiting_at_gate.wait()
            gate.set()
            for _ in range(turns):
                await asyncio.sleep(0)  # one turn of the event loop (no time passes)
            second = asyncio.create_task(coalescer(2))
            done, _ = await asyncio.wait({first, second}, timeout=5)
            assert {first, second} == done, f"a call arriving {turns} turns after the gate opened waited"
            assert (first.result(), second.result()) == (10, 20)
            await coalescer.stop()
