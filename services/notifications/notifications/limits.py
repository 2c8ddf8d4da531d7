"""Rate limits per tenant and per provider, shared by every replica (E3).

Token buckets are rows in PostgreSQL, locked for the moment a batch of sends takes its tokens, so
any number of replicas together still send at the configured rates (a provider's quota is for the
account, not for one process). A DependencyProvider, so tests can set the rates.

Lock order: a batch takes every bucket it needs (each of its providers' and its tenant's) in one
statement, in key order, and creates missing ones first in the same order; it takes no bucket after
that. Two batches meeting providers in opposite orders (or two batches of one tenant) then wait for
each other, never deadlock: taking one provider's buckets at a time locked ``provider:X, tenant:T``
then ``provider:Y``, and another batch ``provider:Y, ...`` then ``provider:X``.
"""
from __future__ import annotations

from nameko.extensions import DependencyProvider
from sqlalchemy import text

from common.db import UnitOfWork, unnest
from notifications.domain import Bucket, grant_in_turn
from notifications.settings import load

# Missing rows are inserted in key order too: an insert that meets a row another batch inserted or
# updated and has not committed waits for that batch, so the inserts must not cross either.
ENSURE = ("insert into rate_buckets (key, tokens, at) select r.key, r.tokens, :now from {source}"
          " order by r.key on conflict do nothing")
LOCK = text("select key, tokens, extract(epoch from at) as at from rate_buckets where key = any(:keys)"
            " order by key for update")
SAVE = "update rate_buckets b set tokens = r.tokens, at = :now from {source} where b.key = r.key"


class Limits:
    def __init__(self, tenant_rate: float, provider_rate: float):
        self.tenant_rate, self.provider_rate = tenant_rate, provider_rate

    def take_many(self, uow: UnitOfWork, wanted: dict[str, int]) -> dict[str, tuple[int, float]]:
        """For each provider, how many of its ``wanted`` sends may go now (their tokens are taken) and,
        when not all, the seconds until the next token. The providers take from their tenant's bucket in
        the order given. Every bucket is locked in one statement, in key order (see the module's doc)."""
        if not wanted:
            return {}
        tenant = f"tenant:{uow.tenant_id}"
        rates = {f"provider:{p}": self.provider_rate for p in wanted}
        rates[tenant] = self.tenant_rate
        full, params = unnest([{"key": k, "tokens": float(rates[k])} for k in sorted(rates)],
                              {"key": "text", "tokens": "float8"})
        uow.execute(text(ENSURE.format(source=full)), {"now": uow.now, **params})
        rows = uow.execute(LOCK, {"keys": sorted(rates)}).all()
        now = uow.now.timestamp()
        levels = {r.key: Bucket(r.tokens, float(r.at)).level(now, rates[r.key], rates[r.key]) for r in rows}
        taken, left = grant_in_turn(levels, rates, [((f"provider:{p}", tenant), n) for p, n in wanted.items()])
        source, params = unnest([{"key": k, "tokens": float(level)} for k, level in sorted(left.items())],
                                {"key": "text", "tokens": "float8"})
        uow.execute(text(SAVE.format(source=source)), {"now": uow.now, **params})
        return dict(zip(wanted, taken))

    def slowest(self) -> float:
        return min(self.tenant_rate, self.provider_rate)


class RateLimits(DependencyProvider):
    def setup(self):
        s = load()
        self.limits = Limits(s.tenant_rate_per_s, s.provider_rate_per_s)

    def get_dependency(self, worker_ctx):
        return self.limits
