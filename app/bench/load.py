"""The load generator: many concurrent keep-alive HTTP connections, in a process of its own.

It runs apart from both the server and the process that seeds and reports, so that its own work is
not counted as the server's and it has an event loop to itself. Its HTTP client is a minimal
HTTP/1.1 one: it shares the machine's cores with the server and PostgreSQL, and a full client
library would spend more CPU per request than the server it measures. Only the standard library is
imported here, so the process starts quickly.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None


@dataclass(frozen=True)
class LoadSpec:
    """What to send: ``requests`` over ``concurrency`` connections, after ``warmup`` of them
    untimed. Each request is sent once, or with ``repeat`` the connections cycle through them (for
    reads, which may repeat); ``seconds`` caps the timed phase (required with ``repeat``)."""

    host: str
    port: int
    headers: dict[str, str]
    requests: list[Request]
    concurrency: int
    warmup: int = 0
    seconds: float | None = None
    repeat: bool = False


@dataclass
class LoadResult:
    elapsed: float  # seconds of the timed phase
    latencies_ms: array  # one per timed request
    statuses: dict[int, int]  # timed requests' response codes
    warmup_statuses: dict[int, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # the load generator's own CPU time in the timed phase

    @property
    def client_cpu_share(self) -> float:
        """How much of one core the load generator used: near 1, it, not the server, set the pace."""
        return self.cpu_seconds / self.elapsed if self.elapsed else 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def all_statuses(self) -> Counter:
        return Counter(self.statuses) + Counter(self.warmup_statuses)


class Connection:
    """One keep-alive HTTP/1.1 connection that sends a request and reads the whole response."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def send(self, request: Request) -> int:
        head = f"{request.method} {request.path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}"
        if request.body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(request.body)}\r\n"
        self.writer.write((head + "\r\n").encode() + (request.body or b""))
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        else:
            await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        self.writer.close()


async def drive(spec: LoadSpec, done=None) -> LoadResult:
    """Send ``spec``'s requests and time each one; ``done`` (a shared counter) follows progress."""
    connections = [Connection(spec.host, spec.port, spec.headers) for _ in range(spec.concurrency)]
    await asyncio.gather(*(c.open() for c in connections))
    requests = spec.requests
    warm, timed = requests[: spec.warmup], requests[spec.warmup :] or requests
    warmup_statuses: Counter = Counter()
    cursor = iter(warm)

    async def warm_up(connection: Connection) -> None:
        for request in cursor:
            warmup_statuses[await connection.send(request)] += 1

    await asyncio.gather(*(warm_up(c) for c in connections))

    latencies = array("d")
    statuses: Counter = Counter()
    deadline = None if spec.seconds is None else time.perf_counter() + spec.seconds
    position = 0

    async def run(connection: Connection) -> None:
        nonlocal position
        sent = 0
        while spec.repeat or position < len(timed):
            if deadline is not None and time.perf_counter() >= deadline:
                break
            request = timed[position % len(timed)]
            position += 1
            start = time.perf_counter()
            status = await connection.send(request)
            latencies.append((time.perf_counter() - start) * 1000)
            statuses[status] += 1
            sent += 1
            if done is not None and sent % 20 == 0:
                with done.get_lock():
                    done.value += 20

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(run(c) for c in connections))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    for c in connections:
        c.close()
    return LoadResult(elapsed, latencies, dict(statuses), dict(warmup_statuses), cpu)


def _child(spec: LoadSpec, done, pipe) -> None:
    try:
        result: LoadResult | BaseException = asyncio.run(drive(spec, done))
    except BaseException as exc:  # handed to the parent, which raises it
        result = RuntimeError(f"load generator failed: {exc!r}")
    pipe.send(result)
    pipe.close()


async def drive_in_process(spec: LoadSpec, on_progress=None) -> LoadResult:
    """Run ``drive(spec)`` in a new process; ``on_progress(n)`` hears how many timed requests have
    been answered so far, a few times a second."""
    context = multiprocessing.get_context("spawn")
    done = context.Value("q", 0)
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(spec, done, sender), daemon=True)
    child.start()
    sender.close()
    try:
        while not receiver.poll():
            if on_progress is not None:
                on_progress(done.value)
            await asyncio.sleep(0.2)
        try:
            result = receiver.recv()
        except EOFError:  # it died without answering
            child.join(timeout=10)
            raise RuntimeError(f"the load generator exited with code {child.exitcode}") from None
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()
    if isinstance(result, BaseException):
        raise result
    if on_progress is not None:
        on_progress(result.count)
    return result
