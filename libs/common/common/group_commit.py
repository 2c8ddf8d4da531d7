"""Group commit: the small writes of concurrent workers share one transaction.

A consumer that applies one small write per message spends most of its time on the
transaction rather than the write: a pool checkout, BEGIN, the tenant, COMMIT, each a round
trip. Workers that call ``submit`` at about the same moment have their items applied together
by the service's ``apply_many(uow, [(principal, item), ...])`` in one transaction of their
tenant, and each worker returns (so its message is acked) only after that commit. When the
shared transaction fails, every item is tried again in a transaction of its own: one bad item
fails alone, with its own error, and the others end as if they had never met.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from common import metrics
from common.context import Principal
from common.db import Database, UnitOfWork
from common.store import ServiceStore

ApplyMany = Callable[[UnitOfWork, list[tuple[Principal, Any]]], list[Any]]


class Combiner:
    def __init__(self, database: Database, apply_many: ApplyMany, max_batch: int, spawn, name: str = ""):
        self.database, self.apply_many, self.max_batch, self.spawn = database, apply_many, max_batch, spawn
        self.name = name
        self._pending: dict[str, list[tuple[Principal, Any, Event]]] = {}
        self._scheduled = False

    def submit(self, principal: Principal, item: Any) -> Any:
        """``apply_many``'s result for ``item``, once committed; its exception if it failed."""
        waiter = Event()
        self._pending.setdefault(principal.tenant_id, []).append((principal, item, waiter))
        if not self._scheduled:
            self._scheduled = True
            self.spawn(self._flush)
        return waiter.wait()

    def _flush(self) -> None:
        eventlet.sleep(0)  # every worker that is ready to submit now adds its item first
        self._scheduled = False
        pending, self._pending = self._pending, {}
        for items in pending.values():
            for start in range(0, len(items), self.max_batch):
                self._commit(items[start:start + self.max_batch])

    def _commit(self, items: list[tuple[Principal, Any, Event]]) -> None:
        try:
            with self.database.transaction(items[0][0]) as uow:
                results = self.apply_many(uow, [(principal, item) for principal, item, _ in items])
        except Exception:
            if len(items) == 1:
                items[0][2].send_exception(*sys.exc_info())
                return
            for one in items:
                self._commit([one])
            return
        metrics.GROUP_COMMIT_SIZE.labels(self.name).observe(len(items))
        for (_, _, waiter), result in zip(items, results):
            waiter.send(result)


class GroupCommit(DependencyProvider):
    """Injects a :class:`Combiner` applying ``apply_many`` (a plain function of the service's flows)."""

    store = ServiceStore()

    def __init__(self, apply_many: ApplyMany, max_batch: int = 200):
        self.apply_many, self.max_batch = apply_many, max_batch

    combiner: Combiner | None = None

    def get_dependency(self, worker_ctx):
        if self.combiner is None:  # not in setup: the store may be set up after us
            self.combiner = Combiner(self.store.database, self.apply_many, self.max_batch,
                                     lambda fn: self.container.spawn_managed_thread(fn), self.attr_name)
        return self.combiner
