"""Durable timers: one poller for every service.

A timer is a row (tenant, kind, key, due_at). The poller claims due rows in
batches with ``FOR UPDATE SKIP LOCKED`` and a lease, so replicas never take
the same row; each claimed row runs the service's ``@due_timer(kind)``
method as a nameko worker, whose transaction marks the row done together with
its effect (``UnitOfWork.complete_timer``). A handler declared with
``batch=N`` gets up to N due rows of one tenant per worker instead, so work that
is cheap per row but costly per transaction (sending mail) shares its
transactions; it completes each row it handled. A replica that dies mid-work
leaves the lease to expire and another one takes the row over. A handler
that raises is retried with backoff, and after ``MAX_ATTEMPTS`` the row is
kept as dead with its error.
"""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import eventlet
from nameko.extensions import Entrypoint, ProviderCollector, SharedExtension
from sqlalchemy import text

from common import metrics
from common.store import ServiceStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
LEASE_S = 60

CLAIM = text(
    """
    update timers t set claimed_by = :by, claimed_until = :now + make_interval(secs => :lease)
    from (
        select id from timers
        where done_at is null and due_at <= :now and (claimed_until is null or claimed_until < :now)
        order by due_at limit :n for update skip locked
    ) due
    where t.id = due.id
    returning t.id, t.tenant_id, t.kind, t.key, t.due_at, t.payload, t.attempts, t.claimed_until
    """
)
FAILED = text(
    "update timers set attempts = attempts + 1, last_error = :err, claimed_by = null, claimed_until = null,"
    " due_at = case when attempts + 1 >= :max then due_at else :now + make_interval(secs => :delay) end,"
    " done_at = case when attempts + 1 >= :max then :now end, dead = attempts + 1 >= :max"
    " where id = :id and claimed_by = :by and done_at is null"
)
# Finished timers are kept a while for inspection, then removed in small batches so the
# table does not grow with history (the partial index keeps ticks cheap either way).
PURGE = text(
    "delete from timers where id in (select id from timers where done_at < :before and not dead limit 1000)"
)
RETENTION_S = 7 * 24 * 3600
PURGE_EVERY_S = 600
LAG_EVERY_S = 5.0  # the lag gauge is scraped every 15 s or so: measuring it on every poll only adds queries
LAG = text("select extract(epoch from :now - min(due_at)) from timers where done_at is null and due_at <= :now")


@dataclass(frozen=True)
class DueTimer:
    id: int
    tenant_id: str
    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int
    claimed_by: str
    # The claim's lease on the service clock: after ``claimed_until`` another replica may take the row
    # over, so a handler whose effect must not overlap a takeover's (a send) ends its work before it.
    claimed_at: datetime | None = None
    claimed_until: datetime | None = None


class TimerPoller(SharedExtension, ProviderCollector):
    store = ServiceStore()

    def setup(self):
        self.replica_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._running = False

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._loop, identifier="timer_poller")

    def stop(self):
        self._running = False

    kill = stop

    def handlers(self) -> dict[str, "DueTimerEntrypoint"]:
        return {p.kind: p for p in self._providers}

    def _loop(self):
        interval = self.store.settings.timer_poll_interval_s
        last_purge = last_lag = 0.0
        while self._running:
            try:
                if time.monotonic() - last_purge > PURGE_EVERY_S:
                    last_purge = time.monotonic()
                    self.purge(self.store.clock.now() - timedelta(seconds=RETENTION_S))
                if time.monotonic() - last_lag > LAG_EVERY_S:
                    last_lag = time.monotonic()
                    self.report_lag(self.store.clock.now())
                if self.poll_once() == 0:
                    eventlet.sleep(interval)
            except Exception as exc:
                log.warning("timer poll failed", extra={"error": repr(exc)})
                eventlet.sleep(interval * 2)

    def _statement(self):
        """A connection for one statement in autocommit: a single round trip, no BEGIN/COMMIT. It
        matters because an idle service polls every second on every replica, and each poll lands
        on whatever requests are running."""
        return self.store.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def purge(self, before: datetime) -> int:
        with self._statement() as conn:
            return conn.execute(PURGE, {"before": before}).rowcount

    def claim(self, now: datetime) -> list[DueTimer]:
        with self._statement() as conn:
            rows = conn.execute(
                CLAIM, {"by": self.replica_id, "now": now, "lease": self.store.settings.timer_lease_s,
                        "n": self.store.settings.timer_batch_size},
            ).all()
        return [DueTimer(r.id, str(r.tenant_id), r.kind, r.key, r.due_at, r.payload, r.attempts, self.replica_id,
                         now, r.claimed_until) for r in rows]

    def report_lag(self, now: datetime) -> None:
        with self._statement() as conn:
            lag = conn.execute(LAG, {"now": now}).scalar()
        metrics.TIMER_LAG.labels(self.store.settings.service_name).set(float(lag or 0))

    def poll_once(self) -> int:
        timers = self.claim(self.store.clock.now())
        pool = eventlet.GreenPool(max(1, self.store.settings.max_workers))
        for entrypoint, group in batches(timers, self.handlers()):
            pool.spawn(self._run, entrypoint, group)
        pool.waitall()
        return len(timers)

    def _run(self, entrypoint, timers: list[DueTimer]):
        service = self.store.settings.service_name
        kind = timers[0].kind
        if entrypoint is None:
            for timer in timers:
                self._record_failure(timer, f"no handler for timer kind {kind!r}")
            return
        first = timers[0]
        context = {"tenant_id": first.tenant_id, "correlation_id": f"timer-{first.id}"}
        done = eventlet.event.Event()

        def handle_result(worker_ctx, result, exc_info):
            done.send(exc_info)
            return result, exc_info

        args = (first,) if entrypoint.batch is None else (timers,)
        self.container.spawn_worker(entrypoint, args, {}, context_data=context, handle_result=handle_result)
        exc_info = done.wait()
        if exc_info is None:
            metrics.TIMERS_FIRED.labels(service, kind, "ok").inc(len(timers))
        else:
            metrics.TIMERS_FIRED.labels(service, kind, "error").inc(len(timers))
            for timer in timers:  # rows the handler completed before failing are left alone
                self._record_failure(timer, f"{exc_info[0].__name__}: {exc_info[1]}")

    def _record_failure(self, timer: DueTimer, error: str):
        delay = min(3600, 2 ** (timer.attempts + 1))
        with self.store.database.engine.begin() as conn:
            conn.execute(FAILED, {"err": error[:4000], "max": MAX_ATTEMPTS, "now": self.store.clock.now(),
                                  "delay": delay, "id": timer.id, "by": timer.claimed_by})


def batches(timers: list[DueTimer], handlers: dict) -> list[tuple[Any, list[DueTimer]]]:
    """One worker's share each: a single row, or up to ``batch`` rows of one kind and tenant."""
    out, groups = [], {}
    for timer in timers:
        entrypoint = handlers.get(timer.kind)
        size = (entrypoint.batch or 1) if entrypoint is not None else 1
        if size <= 1:
            out.append((entrypoint, [timer]))
            continue
        group = groups.setdefault((timer.kind, timer.tenant_id), [])
        group.append(timer)
        if len(group) == size:
            out.append((entrypoint, group))
            groups[(timer.kind, timer.tenant_id)] = []
    out += [(handlers[kind], group) for (kind, _), group in groups.items() if group]
    return out


class DueTimerEntrypoint(Entrypoint):
    poller = TimerPoller()

    def __init__(self, kind: str, batch: int | None = None, **kwargs):
        """``batch=None``: the handler takes one timer. ``batch=n``: it takes a list of up to n (one, when
        n is 1: a handler written for lists must not get a bare timer because its setting is 1)."""
        if batch is not None and batch < 1:
            raise ValueError("batch must be at least 1")
        self.kind = kind
        self.batch = batch
        super().__init__(**kwargs)

    def setup(self):
        self.poller.register_provider(self)

    def stop(self):
        self.poller.unregister_provider(self)


due_timer = DueTimerEntrypoint.decorator
