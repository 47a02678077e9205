"""The ledger's invariants under a Hypothesis state machine and under real concurrency.

Both drive ``kith_ledger_transfer`` — the one place balances change — over their own connections
as the service's role in the platform scope, and check the database against a plain model (or,
for concurrency, against the sum of the transfers) after every step.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from tests.conftest import SERVICE_KEY, _plain, as_the_service

# The service's key, as the service passes it (a literal here, so that the calls keep their shape).
KEY = f"'\\x{SERVICE_KEY.hex()}'::bytea"
CALL = f"SELECT result FROM kith_ledger_transfer($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, false, false, {KEY})"
_BEGIN = "SELECT kith_begin(NULL, true, NULL, $1)"


class AsPlatform:
    """A connection as the service's role in the platform's context: a statement outside a
    transaction runs in one of its own, opened as the service opens one (kith_begin)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.inside = False

    async def _run(self, method: str, *args):
        if self.inside:
            return await getattr(self.conn, method)(*args)
        async with self.conn.transaction():
            await self.conn.execute(_BEGIN, SERVICE_KEY)
            return await getattr(self.conn, method)(*args)

    async def fetch(self, *args):
        return await self._run("fetch", *args)

    async def fetchrow(self, *args):
        return await self._run("fetchrow", *args)

    async def fetchval(self, *args):
        return await self._run("fetchval", *args)

    async def execute(self, *args):
        return await self._run("execute", *args)

    async def executemany(self, *args):
        return await self._run("executemany", *args)

    @asynccontextmanager
    async def transaction(self):
        async with self.conn.transaction():
            await self.conn.execute(_BEGIN, SERVICE_KEY)
            self.inside = True
            try:
                yield
            finally:
                self.inside = False

    async def close(self) -> None:
        await self.conn.close()


async def connect(url: str) -> AsPlatform:
    return AsPlatform(await asyncpg.connect(_plain(url), server_settings=as_the_service()))


async def make_accounts(conn: asyncpg.Connection, flags: list[bool]) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in flags]
    await conn.executemany(
        "INSERT INTO ledger_accounts (id, kind, owner_kind, debits_must_not_exceed_credits) "
        "VALUES ($1, CASE WHEN $2 THEN 'pool' ELSE 'operating' END, 'organisation', $2)",
        list(zip(ids, flags, strict=True)),
    )
    return ids


@dataclass
class Model:
    """What the balances must be: a dict per account, and every transfer made."""

    flags: dict[uuid.UUID, bool]
    accounts: dict[uuid.UUID, dict[str, int]] = field(default_factory=dict)
    transfers: dict[uuid.UUID, tuple] = field(default_factory=dict)  # id → (debit, credit, amount, phase)
    resolved: set[uuid.UUID] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.accounts = {a: {"dp": 0, "cp": 0, "dpend": 0, "cpend": 0} for a in self.flags}

    def available(self, account: uuid.UUID) -> int:
        a = self.accounts[account]
        return a["cp"] - a["dp"] - a["dpend"]


class LedgerMachine(RuleBasedStateMachine):
    """Transfers, replays, mismatched replays, holds, posts, voids, timeouts and batches, with the
    database checked against the model after every step."""

    url: str = ""
    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.conn = self.run(connect(self.url))
        flags = [False, True, True, True]  # one unbounded source (like issuance), three flagged
        self.ids = self.run(make_accounts(self.conn, flags))
        self.model = Model(dict(zip(self.ids, flags, strict=True)))

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.conn.close())
        self.loop.close()

    def call(self, *args) -> str:
        return self.run(self.conn.fetchrow(CALL, *args))["result"]

    def _expect_single(self, debit: uuid.UUID, credit: uuid.UUID, amount: int) -> str:
        if self.model.flags[debit] and self.model.available(debit) < amount:
            return "exceeds_credits"
        return "created"

    @rule(d=st.integers(0, 3), c=st.integers(0, 3), amount=st.integers(1, 60))
    def single(self, d, c, amount):
        if d == c:
            return
        debit, credit = self.ids[d], self.ids[c]
        tid = uuid.uuid4()
        expected = self._expect_single(debit, credit, amount)
        assert self.call(tid, debit, credit, amount, "fund", "single", None, None) == expected
        if expected == "created":
            self.model.accounts[debit]["dp"] += amount
            self.model.accounts[credit]["cp"] += amount
            self.model.transfers[tid] = (debit, credit, amount, "single")
            # A replay is the same transfer; a replay with other fields is refused; neither moves anything.
            assert self.call(tid, debit, credit, amount, "fund", "single", None, None) == "exists"
            assert self.call(tid, debit, credit, amount + 1, "fund", "single", None, None) == (
                "exists_with_different_fields"
            )

    @rule(
        target=holds,
        d=st.integers(1, 3),
        c=st.integers(0, 3),
        amount=st.integers(1, 60),
        timeout=st.booleans(),
    )
    def hold(self, d, c, amount, timeout):
        if d == c:
            return None
        debit, credit = self.ids[d], self.ids[c]
        tid = uuid.uuid4()
        expected = self._expect_single(debit, credit, amount)
        # A timeout already past stands for a hold whose time ran out.
        timeout_at = datetime(2000, 1, 1, tzinfo=UTC) if timeout else None
        result = self.run(
            self.conn.fetchrow(
                "SELECT result FROM kith_ledger_transfer($1, $2, $3, $4, 'redeem', 'pending', NULL, "
                f"$5, NULL, NULL, false, false, {KEY})",
                tid,
                debit,
                credit,
                amount,
                timeout_at,
            )
        )["result"]
        assert result == expected
        if expected != "created":
            return None
        self.model.accounts[debit]["dpend"] += amount
        self.model.accounts[credit]["cpend"] += amount
        self.model.transfers[tid] = (debit, credit, amount, "pending")
        return (tid, timeout)

    @rule(hold=consumes(holds), part=st.integers(1, 60))
    def post(self, hold, part):
        if hold is None:
            return
        tid, timed_out = hold
        debit, credit, amount, _ = self.model.transfers[tid]
        post_amount = min(part, amount)
        result = self.call(uuid.uuid4(), None, None, post_amount, "", "post", tid, None)
        if timed_out:
            assert result == "pending_transfer_expired"
            self._void(tid)  # what the worker then does
            return
        assert result == "created"
        for key, acc in (("d", debit), ("c", credit)):
            self.model.accounts[acc][f"{key}pend"] -= amount
            self.model.accounts[acc][f"{key}p"] += post_amount
        self.model.resolved.add(tid)
        assert (
            self.call(uuid.uuid4(), None, None, None, "", "void", tid, None)
            == "pending_transfer_already_resolved"
        )

    @rule(hold=consumes(holds))
    def void(self, hold):
        if hold is None:
            return
        self._void(hold[0])

    def _void(self, tid: uuid.UUID) -> None:
        debit, credit, amount, _ = self.model.transfers[tid]
        assert self.call(uuid.uuid5(tid, "timeout"), None, None, None, "", "void", tid, None) == "created"
        self.model.accounts[debit]["dpend"] -= amount
        self.model.accounts[credit]["cpend"] -= amount
        self.model.resolved.add(tid)

    @rule(amounts=st.lists(st.integers(1, 80), min_size=1, max_size=5))
    def atomic_batch(self, amounts):
        """Several transfers out of one flagged account in one transaction: all or nothing."""
        debit, credit = self.ids[1], self.ids[2]
        fits = sum(amounts) <= self.model.available(debit)

        async def go():
            async with self.conn.transaction():
                results = [
                    (
                        await self.conn.fetchrow(
                            CALL, uuid.uuid4(), debit, credit, a, "fund", "single", None, None
                        )
                    )["result"]
                    for a in amounts
                ]
                if any(r != "created" for r in results):
                    raise _Rollback

        try:
            self.run(go())
            committed = True
        except _Rollback:
            committed = False
        assert committed == fits
        if committed:
            self.model.accounts[debit]["dp"] += sum(amounts)
            self.model.accounts[credit]["cp"] += sum(amounts)

    @invariant()
    def balances_match_the_model(self):
        rows = self.run(
            self.conn.fetch(
                "SELECT id, debits_posted, credits_posted, debits_pending, credits_pending, "
                "debits_must_not_exceed_credits AS flag FROM ledger_accounts WHERE id = ANY($1::uuid[])",
                self.ids,
            )
        )
        total_debits = total_credits = 0
        for r in rows:
            m = self.model.accounts[r["id"]]
            assert (r["debits_posted"], r["credits_posted"], r["debits_pending"], r["credits_pending"]) == (
                m["dp"],
                m["cp"],
                m["dpend"],
                m["cpend"],
            )
            if r["flag"]:
                assert r["debits_posted"] + r["debits_pending"] <= r["credits_posted"]
            total_debits += r["debits_posted"] + r["debits_pending"]
            total_credits += r["credits_posted"] + r["credits_pending"]
        assert total_debits == total_credits


class _Rollback(Exception):
    pass


def test_ledger_state_machine(database_url):
    LedgerMachine.url = database_url
    runner = LedgerMachine.TestCase
    runner.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=True,
    )
    runner("runTest").runTest()


async def four_funded_accounts(setup: asyncpg.Connection) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """An unflagged source, and four flagged accounts minted 500 each from it."""
    source = (await make_accounts(setup, [False]))[0]
    hot = await make_accounts(setup, [True, True, True, True])
    for account in hot:
        await setup.fetchrow(CALL, uuid.uuid4(), source, account, 500, "mint", "single", None, None)
    return source, hot


async def test_concurrent_transfers_lose_nothing(database_url):
    """Sixteen connections hammer four accounts in both directions at once; afterwards every
    balance is the sum of its transfers, Σ debits = Σ credits, and nothing deadlocked."""
    setup = await connect(database_url)
    source, hot = await four_funded_accounts(setup)
    workers = [await connect(database_url) for _ in range(16)]
    refused = 0

    async def hammer(conn: asyncpg.Connection, seed: int) -> None:
        nonlocal refused
        rng = random.Random(seed)
        for _ in range(60):
            debit, credit = rng.sample(hot, 2)
            async with conn.transaction():
                result = (
                    await conn.fetchrow(
                        CALL, uuid.uuid4(), debit, credit, rng.randint(1, 40), "fund", "single", None, None
                    )
                )["result"]
            refused += result == "exceeds_credits"
            assert result in ("created", "exceeds_credits")

    await asyncio.wait_for(asyncio.gather(*(hammer(w, n) for n, w in enumerate(workers))), timeout=120)
    everyone = [source, *hot]
    rows = await setup.fetch(
        "SELECT a.id, a.debits_posted, a.credits_posted, "
        "(SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE debit_account_id = a.id) AS sent, "
        "(SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE credit_account_id = a.id) AS received "
        "FROM ledger_accounts a WHERE a.id = ANY($1::uuid[])",
        everyone,
    )
    for r in rows:
        assert (r["debits_posted"], r["credits_posted"]) == (r["sent"], r["received"])
    assert sum(r["debits_posted"] for r in rows) == sum(r["credits_posted"] for r in rows)
    assert sum(r["credits_posted"] - r["debits_posted"] for r in rows if r["id"] in hot) == 2000
    made = await setup.fetchval(
        "SELECT count(*) FROM ledger_transfers WHERE debit_account_id = ANY($1::uuid[])", hot
    )
    assert made + refused == 16 * 60
    for w in workers:
        await w.close()
    await setup.close()


REQUEST = (
    f"SELECT result FROM kith_ledger_request({KEY}, NULL, true, NULL, 'operator', NULL, $1, $2, $3, $4, 'fund', $5, "
    "NULL, NULL, NULL)"
)
REQUESTS = (
    f"SELECT ord, result FROM kith_ledger_requests({KEY}, $1::text[], $2::boolean[], $3::uuid[], $4::text[], "
    "$5::text[], $6::uuid[], $7::uuid[], $8::uuid[], $9::bigint[], $10::text[], $11::text[], $12::uuid[], "
    "$13::timestamptz[], $14::text[]) ORDER BY ord"
)


async def test_requests_made_together_beside_single_ones_lose_nothing(database_url):
    """Connections making transfers and holds many at a time (kith_ledger_requests, as the
    service does under load) beside connections making them one at a time, on four accounts in
    both directions: afterwards every balance is the sum of its transfers, nothing deadlocked, and
    each request was answered once."""
    setup = await connect(database_url)
    source, hot = await four_funded_accounts(setup)
    workers = [await connect(database_url) for _ in range(12)]
    answers: list[str] = []

    def request(rng: random.Random) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, int, str]:
        debit, credit = rng.sample(hot, 2)
        return uuid.uuid4(), debit, credit, rng.randint(1, 40), rng.choice(["single", "single", "pending"])

    async def together(conn: asyncpg.Connection, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(20):
            batch = [request(rng) for _ in range(rng.randint(2, 12))]
            n = len(batch)
            rows = await conn.fetch(
                REQUESTS,
                [None] * n,
                [True] * n,
                [None] * n,
                ["operator"] * n,
                [None] * n,
                *[list(column) for column in zip(*batch, strict=True)][:4],
                ["fund"] * n,
                [phase for *_, phase in batch],
                [None] * n,
                [None] * n,
                [None] * n,
            )
            assert [r["ord"] for r in rows] == list(range(1, n + 1))
            answers.extend(r["result"] for r in rows)

    async def alone(conn: asyncpg.Connection, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(60):
            answers.append((await conn.fetchrow(REQUEST, *request(rng)))["result"])

    runs = [together(w, n) if n % 2 else alone(w, n) for n, w in enumerate(workers)]
    await asyncio.wait_for(asyncio.gather(*runs), timeout=120)
    assert set(answers) <= {"created", "exceeds_credits"}
    rows = await setup.fetch(
        "SELECT a.id, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending, "
        "(SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE debit_account_id = a.id AND phase = 'single') "
        "AS sent, "
        "(SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE credit_account_id = a.id AND phase = 'single') "
        "AS received, "
        "(SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE debit_account_id = a.id AND phase = 'pending') "
        "AS holding, "
        "(SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE credit_account_id = a.id AND phase = 'pending') "
        "AS held "
        "FROM ledger_accounts a WHERE a.id = ANY($1::uuid[])",
        [source, *hot],
    )
    for r in rows:
        assert (r["debits_posted"], r["credits_posted"]) == (r["sent"], r["received"])
        assert (r["debits_pending"], r["credits_pending"]) == (r["holding"], r["held"])
        if r["id"] in hot:
            assert r["debits_posted"] + r["debits_pending"] <= r["credits_posted"]
    assert sum(r["debits_posted"] for r in rows) == sum(r["credits_posted"] for r in rows)
    made = await setup.fetchval(
        "SELECT count(*) FROM ledger_transfers WHERE debit_account_id = ANY($1::uuid[])", hot
    )
    assert made == answers.count("created") and len(answers) > 6 * 60
    for w in workers:
        await w.close()
    await setup.close()


async def test_holds_ended_together_lose_nothing(database_url):
    """Connections posting and voiding holds many at a time (kith_ledger_requests names a hold, not
    its accounts: the statement finds them by the hold's id and locks them, in id order, with every
    other account of the batch) beside single transfers, on four accounts in both directions:
    nothing deadlocked, every hold ended once, and every balance is the sum of its transfers."""
    setup = await connect(database_url)
    source, hot = await four_funded_accounts(setup)
    rng = random.Random(7)
    holds = []
    for _ in range(96):
        hold, (debit, credit) = uuid.uuid4(), rng.sample(hot, 2)
        result = await setup.fetchval(REQUEST, hold, debit, credit, rng.randint(1, 4), "pending")
        assert result == "created"
        holds.append(hold)
    workers = [await connect(database_url) for _ in range(8)]
    answers: list[str] = []

    async def together(conn: asyncpg.Connection, mine: list[uuid.UUID], seed: int) -> None:
        rng = random.Random(seed)
        while mine:
            batch = []  # (id, debit, credit, amount, phase, pending_id)
            for _ in range(rng.randint(2, 8)):
                if mine and rng.random() < 0.75:
                    batch.append((uuid.uuid4(), None, None, None, rng.choice(["post", "void"]), mine.pop()))
                else:
                    batch.append((uuid.uuid4(), *rng.sample(hot, 2), rng.randint(1, 4), "single", None))
            n = len(batch)
            ids, debits, credits, amounts, phases, pending = (list(c) for c in zip(*batch, strict=True))
            rows = await conn.fetch(
                REQUESTS,
                *([None] * n, [True] * n, [None] * n, ["operator"] * n, [None] * n),
                *(ids, debits, credits, amounts, ["fund"] * n, phases, pending, [None] * n, [None] * n),
            )
            assert [r["ord"] for r in rows] == list(range(1, n + 1))
            answers.extend(r["result"] for r in rows)

    shares = [holds[i::8] for i in range(8)]
    await asyncio.wait_for(
        asyncio.gather(*(together(w, shares[n], n) for n, w in enumerate(workers))), timeout=120
    )
    assert set(answers) == {"created"}
    assert await setup.fetchval(
        "SELECT count(*) FROM ledger_transfers WHERE pending_id = ANY($1::uuid[])", holds
    ) == len(holds)
    rows = await setup.fetch(
        "SELECT a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending, "
        "(SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE debit_account_id = a.id "
        "AND phase IN ('single', 'post')) AS sent, "
        "(SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE credit_account_id = a.id "
        "AND phase IN ('single', 'post')) AS received "
        "FROM ledger_accounts a WHERE a.id = ANY($1::uuid[])",
        [source, *hot],
    )
    for r in rows:
        assert (r["debits_posted"], r["credits_posted"]) == (r["sent"], r["received"])
        assert (r["debits_pending"], r["credits_pending"]) == (0, 0)  # every hold was ended
    assert sum(r["debits_posted"] for r in rows) == sum(r["credits_posted"] for r in rows)
    for w in workers:
        await w.close()
    await setup.close()
