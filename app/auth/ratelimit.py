"""Per-client (and, on the token endpoint, per-address) rate limits, with the `limits` library."""

from __future__ import annotations

import math
import time
from functools import lru_cache

from limits import parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from app.core.errors import RateLimited


@lru_cache(maxsize=32)
def _parse(limit: str):
    """A limit in the library's notation ("1200/minute"), parsed once rather than per request."""
    return parse(limit)


class RateLimiter:
    """Sliding-window counters: smooth at window edges and O(1) per hit. Storage is in-process
    by default; set KITH_RATE_LIMIT_STORAGE (e.g. redis://…) to share limits across processes."""

    def __init__(self, storage_uri: str) -> None:
        uri = storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}"
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(uri))

    async def hit(self, limit: str, key: str) -> None:
        """Count one request against ``limit`` for ``key``; RateLimited (429) when over it."""
        item = _parse(limit)
        if await self._limiter.hit(item, key):
            return
        await self._refuse(limit, key)

    async def allow(self, limit: str, key: str) -> bool:
        """Count one against ``limit`` for ``key``: whether it was within it (for what is skipped,
        not refused, beyond a limit)."""
        return await self._limiter.hit(_parse(limit), key)

    async def check(self, limit: str, key: str) -> None:
        """RateLimited (429) if ``key`` has used up ``limit``, counting nothing: for limits on what
        goes wrong (hit only then), checked before each try."""
        if not await self._limiter.test(_parse(limit), key):
            await self._refuse(limit, key)

    async def _refuse(self, limit: str, key: str) -> None:
        stats = await self._limiter.get_window_stats(_parse(limit), key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"Rate limit of {limit} exceeded; retry after {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
