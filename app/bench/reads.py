"""The measurement the read scenarios share (profile-read, timeline-read): Kith serving the reads at
1 worker process and at the run's worker count, each beside its floor(s) served by the bare
Starlette + asyncpg app the same way."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.bench.harness import ApiClient, Bench
from app.bench.load import Request
from app.bench.report import Figures, Measurement


@dataclass
class ReadRuns:
    measurements: list[Measurement] = field(default_factory=list)  # one per worker count, beside floor 0
    answered: int = 0  # reads answered 200 (warm-up included): each must have its access-log entry
    other_floors: dict[str, dict[int, Figures]] = field(
        default_factory=dict
    )  # floor name → workers → figures
    stack: dict[int, Figures] = field(default_factory=dict)  # workers → Kith's /healthz, served alike


async def measure(
    bench: Bench,
    name: str,
    what: str,
    client: ApiClient,
    reads: list[Request],
    floors: dict[str, list[Request]],
    load: dict,
    concurrency: int,
    *,
    stack: bool = False,
) -> ReadRuns:
    """``what`` (e.g. "GET /v1/people/{id}") served by Kith to ``client``, then each floor's
    requests (the first is the measurement's floor; the others are reported by name). ``stack``:
    also Kith's ``/healthz`` from the same server, the same way — its HTTP stack (uvicorn,
    middleware, routing) answering without work, the most any route of it could reach."""
    runs = ReadRuns()
    first, *others = floors
    for workers in sorted({1, bench.workers}):
        async with bench.service(workers) as server:
            headers = await bench.bearer(server, client)
            served = await bench.drive(f"{name}: {what}, {workers} worker(s)", server, headers, reads, **load)
            if stack:
                label = f"{name}: Kith's /healthz, {workers} worker(s)"
                idle = await bench.drive(label, server, {}, [Request("GET", "/healthz")], **load)
                runs.stack[workers] = Figures.of_load(idle, "requests")
        runs.answered += served.all_statuses.get(200, 0)
        figures = {}
        async with bench.floor_server(workers) as floor_server:
            for floor_name, requests in floors.items():
                label = f"{name}: {floor_name}, {workers} worker(s)"
                floor = await bench.drive(label, floor_server, {}, requests, **load)
                if floor.statuses.get(200, 0) != floor.count:
                    raise RuntimeError(f"the floor answered {floor.statuses}")
                figures[floor_name] = Figures.of_load(floor, "requests")
        for floor_name in others:
            runs.other_floors.setdefault(floor_name, {})[workers] = figures[floor_name]
        runs.measurements.append(
            Measurement(
                f"{what}, {workers} worker(s)",
                Figures.of_load(served, "requests"),
                figures[first],
                concurrency=concurrency,
                workers=workers,
                errors=served.count - served.statuses.get(200, 0),
            )
        )
    return runs
