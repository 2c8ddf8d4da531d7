"""Per-process rate limits (per tenant, per provider) as a DependencyProvider, so tests can relax them."""
from __future__ import annotations

import time

from nameko.extensions import DependencyProvider

from notifications.domain import TokenBucket
from notifications.settings import load


class Limits:
    def __init__(self, tenant_rate: float, provider_rate: float):
        self.tenant_rate, self.provider_rate = tenant_rate, provider_rate
        self.buckets: dict[tuple[str, str], TokenBucket] = {}

    def wait_s(self, tenant_id: str, provider: str) -> float:
        """0 when a send may go now (tokens taken), else seconds to wait (nothing taken)."""
        now = time.monotonic()
        tenant = self.buckets.setdefault(("tenant", tenant_id), TokenBucket(self.tenant_rate, self.tenant_rate))
        prov = self.buckets.setdefault(("provider", provider), TokenBucket(self.provider_rate, self.provider_rate))
        wait = tenant.take(now)
        if wait:
            return wait
        wait = prov.take(now)
        if wait:
            tenant.tokens += 1  # give the tenant's token back: nothing was sent
        return wait


class RateLimits(DependencyProvider):
    def setup(self):
        s = load()
        self.limits = Limits(s.tenant_rate_per_s, s.provider_rate_per_s)

    def get_dependency(self, worker_ctx):
        return self.limits
