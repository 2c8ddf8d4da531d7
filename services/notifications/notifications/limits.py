"""Rate limits per tenant and per provider, shared by every replica (E3).

Token buckets are rows in PostgreSQL, locked for the moment a batch of sends takes its tokens, so
any number of replicas together still send at the configured rates (a provider's quota is for the
account, not for one process). A DependencyProvider, so tests can set the rates.
"""
from __future__ import annotations

from nameko.extensions import DependencyProvider
from sqlalchemy import text

from common.db import UnitOfWork, unnest
from notifications.domain import Bucket, grant
from notifications.settings import load

ENSURE = "insert into rate_buckets (key, tokens, at) select r.key, r.tokens, :now from {source} on conflict do nothing"
LOCK = text("select key, tokens, extract(epoch from at) as at from rate_buckets where key = any(:keys)"
            " order by key for update")
SAVE = "update rate_buckets b set tokens = r.tokens, at = :now from {source} where b.key = r.key"


class Limits:
    def __init__(self, tenant_rate: float, provider_rate: float):
        self.tenant_rate, self.provider_rate = tenant_rate, provider_rate

    def take(self, uow: UnitOfWork, provider: str, wanted: int) -> tuple[int, float]:
        """How many of ``wanted`` sends through ``provider`` may go now (their tokens are taken), and
        when not all, the seconds until the next token."""
        rates = {f"provider:{provider}": self.provider_rate, f"tenant:{uow.tenant_id}": self.tenant_rate}
        full, params = unnest([{"key": k, "tokens": rate} for k, rate in rates.items()],
                              {"key": "text", "tokens": "float8"})
        uow.execute(text(ENSURE.format(source=full)), {"now": uow.now, **params})
        rows = uow.execute(LOCK, {"keys": list(rates)}).all()
        now = uow.now.timestamp()
        levels = {r.key: Bucket(r.tokens, float(r.at)).level(now, rates[r.key], rates[r.key]) for r in rows}
        granted, wait = grant([(levels[k], rates[k]) for k in sorted(levels)], wanted)
        left, params = unnest([{"key": k, "tokens": level - granted} for k, level in levels.items()],
                              {"key": "text", "tokens": "float8"})
        uow.execute(text(SAVE.format(source=left)), {"now": uow.now, **params})
        return granted, wait

    def slowest(self) -> float:
        return min(self.tenant_rate, self.provider_rate)


class RateLimits(DependencyProvider):
    def setup(self):
        s = load()
        self.limits = Limits(s.tenant_rate_per_s, s.provider_rate_per_s)

    def get_dependency(self, worker_ctx):
        return self.limits
