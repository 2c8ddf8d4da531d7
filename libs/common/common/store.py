"""The per-container database and outbox relay, shared by a service's extensions."""
from __future__ import annotations

import logging
import threading

import eventlet
from nameko.extensions import DependencyProvider, SharedExtension

from common.clock import Clock
from common.db import Database, make_engine
from common.outbox import OutboxRelay
from common.settings import ServiceSettings

log = logging.getLogger(__name__)
SETTINGS_KEY = "FOLLOWUP_SETTINGS"


def settings_of(container) -> ServiceSettings:
    return container.config[SETTINGS_KEY]


def next_relay_wait(wait: float, base: float, idle_max: float, active: bool) -> float:
    """The relay's next poll interval: the base after any work or wake-up, else twice the last, capped."""
    return base if active else min(wait * 2, max(base, idle_max))


class ServiceStore(SharedExtension):
    """One engine per process (pool sized to ``max_workers``) and the outbox relay loop."""

    def setup(self):
        settings = settings_of(self.container)
        self.settings = settings
        self.clock = Clock()
        # Pool = workers + room for the relay and timer loops, so no worker waits on the pool.
        engine = make_engine(settings.database_url, schema=settings.service_name,
                             pool_size=settings.db_pool_size or settings.max_workers + 4)
        self.database = Database(engine, settings.service_name, clock=self.clock)
        self.relay = OutboxRelay(engine, settings.amqp_uri, settings.service_name, settings.outbox_batch_size,
                                 inbox_retention_s=settings.inbox_retention_days * 86400)
        self._wake = threading.Event()
        self.database.on_commit = self._wake.set
        self._running = False

    def start(self):
        self._running = True
        if self.settings.outbox_relay_enabled:
            self._wake.set()  # rows a previous run left behind go out at once
            self.container.spawn_managed_thread(self._relay_loop, identifier="outbox_relay")

    def _relay_loop(self):
        """Every commit in this process wakes the relay at once, so the poll only finds rows that
        nothing signalled: those of a replica that died between its commit and its publish. An idle
        relay therefore polls less and less often (the base interval doubling up to
        ``outbox_idle_poll_max_s``): an idle replica costs the database next to nothing, and its
        polls do not land on the requests it serves."""
        base, idle_max = self.settings.outbox_poll_interval_s, self.settings.outbox_idle_poll_max_s
        wait, failures = base, 0
        while self._running:
            woken = self._wake.wait(wait)
            self._wake.clear()
            try:
                busy = self.relay.run_until_drained() > 0
                self.relay.housekeeping()
                failures = 0
            except Exception as exc:  # broker or database down: keep the rows, try again
                failures += 1
                log.warning("outbox relay failed", extra={"error": repr(exc), "failures": failures})
                eventlet.sleep(min(5.0, 0.2 * 2 ** min(failures, 5)))
                busy = True  # rows are waiting
            wait = next_relay_wait(wait, base, idle_max, active=woken or busy)

    def stop(self):
        self._running = False
        self._wake.set()
        self.relay.close()
        self.database.engine.dispose()

    def kill(self):
        self.stop()


class DatabaseProvider(DependencyProvider):
    """Injects the service's :class:`~common.db.Database`."""

    store = ServiceStore()

    def get_dependency(self, worker_ctx):
        return self.store.database


class ClockProvider(DependencyProvider):
    store = ServiceStore()

    def get_dependency(self, worker_ctx):
        return self.store.clock
