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
        self.relay = OutboxRelay(engine, settings.amqp_uri, settings.service_name, settings.outbox_batch_size)
        self._wake = threading.Event()
        self.database.on_commit = self._wake.set
        self._running = False

    def start(self):
        self._running = True
        if self.settings.outbox_relay_enabled:
            self.container.spawn_managed_thread(self._relay_loop, identifier="outbox_relay")

    def _relay_loop(self):
        failures = 0
        while self._running:
            self._wake.wait(self.settings.outbox_poll_interval_s)
            self._wake.clear()
            try:
                self.relay.run_until_drained()
                self.relay.housekeeping()
                failures = 0
            except Exception as exc:  # broker or database down: keep the rows, try again
                failures += 1
                log.warning("outbox relay failed", extra={"error": repr(exc), "failures": failures})
                eventlet.sleep(min(5.0, 0.2 * 2 ** min(failures, 5)))

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
