"""The worker's jobs each on a schedule of its own: one failing or hanging never holds up another,
and stopping ends each as its job says."""

from __future__ import annotations

import asyncio

from app.core.periodic import Job, Jobs


class Counting:
    """A turn that counts itself, and sets ``reached`` at its ``n``-th turn."""

    def __init__(self, n: int = 5) -> None:
        self.turns, self.n = 0, n
        self.reached = asyncio.Event()

    async def __call__(self) -> None:
        self.turns += 1
        if self.turns >= self.n:
            self.reached.set()


class TestJobs:
    async def test_a_failing_and_a_hanging_job_hold_up_no_other(self):
        steady, failing_turns = Counting(), Counting(3)
        hung, never = asyncio.Event(), asyncio.Event()
        closed: list[str] = []

        async def failing() -> None:
            await failing_turns()
            raise RuntimeError("this job always fails")

        async def hanging() -> None:
            hung.set()
            await never.wait()  # a receiver that never answers, say

        async def close() -> None:
            closed.append("hanging")

        jobs = Jobs(
            [
                Job("hanging", hanging, every=0.01, close=close),
                Job("failing", failing, every=0.01),
                Job("steady", steady, every=0.01),
            ]
        )
        jobs.start()
        try:
            await asyncio.wait_for(hung.wait(), 5)
            await asyncio.wait_for(steady.reached.wait(), 5)
            await asyncio.wait_for(failing_turns.reached.wait(), 5)  # tried again after each failure
        finally:
            await asyncio.wait_for(jobs.stop(), 5)  # the hanging turn is cancelled (no grace)
        assert closed == ["hanging"]

    async def test_a_turn_under_way_may_end_within_its_grace(self):
        started, go_on = asyncio.Event(), asyncio.Event()
        ended: list[bool] = []

        async def turn() -> None:
            started.set()
            await go_on.wait()
            ended.append(True)

        jobs = Jobs([Job("graceful", turn, every=60, grace=30)])
        jobs.start()
        await asyncio.wait_for(started.wait(), 5)
        stopping = asyncio.create_task(jobs.stop())
        await asyncio.sleep(0)
        assert not stopping.done()  # waiting for the turn under way
        go_on.set()
        await asyncio.wait_for(stopping, 5)
        assert ended == [True]

    async def test_a_wake_starts_the_next_turn_before_its_time(self):
        turns = Counting(2)
        wake = asyncio.Event()
        jobs = Jobs([Job("woken", turns, every=3600, wake=wake)])
        jobs.start()
        try:
            await asyncio.sleep(0)
            assert turns.turns == 1
            wake.set()
            await asyncio.wait_for(turns.reached.wait(), 5)
        finally:
            await jobs.stop()

    async def test_a_turn_with_more_to_do_is_followed_at_once(self):
        left = [3]
        done = asyncio.Event()

        async def batch() -> bool:
            left[0] -= 1
            if left[0] == 0:
                done.set()
            return left[0] > 0

        jobs = Jobs([Job("batches", batch, every=3600)])
        jobs.start()
        try:
            await asyncio.wait_for(done.wait(), 5)
        finally:
            await jobs.stop()
