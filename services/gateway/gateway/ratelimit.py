"""Per-tenant token buckets (per gateway process: N replicas allow N times the rate)."""
from __future__ import annotations

import math
import time

from common.errors import RateLimited


class TokenBuckets:
    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, tenant_id: str) -> None:
        now = time.monotonic()
        tokens, last = self._buckets.get(tenant_id, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[tenant_id] = (tokens, now)
            retry_after = max(1, math.ceil((1 - tokens) / self.rate))
            raise RateLimited("too many requests for this tenant", {"retry_after_s": retry_after})
        self._buckets[tenant_id] = (tokens - 1, now)
