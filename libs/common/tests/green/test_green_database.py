"""The database dependency must not block eventlet's hub (DESIGN.md, measured facts)."""
import time
from typing import ClassVar

import eventlet
from nameko.testing.services import entrypoint_hook
from pydantic import BaseModel
from sqlalchemy import text

from common.context import Principal
from common.contracts.envelope import EVENT_PRODUCERS
from common.rpc import rpc
from common.store import DatabaseProvider


class SleepyService:
    name = "probe"
    db = DatabaseProvider()

    @rpc
    def slow_query(self, seconds):
        with self.db.transaction(None) as uow:
            return uow.execute(text("select pg_sleep(:s)::text"), {"s": seconds}).scalar()


def test_ten_concurrent_slow_queries_run_in_parallel_in_one_service(make_container):
    container = make_container(SleepyService, max_workers=10)
    container.start()

    def call():
        with entrypoint_hook(container, "slow_query") as hook:
            hook(0.5)

    call()  # warm the pool's first connection
    started = time.perf_counter()
    pool = eventlet.GreenPool(10)
    for _ in range(10):
        pool.spawn(call)
    pool.waitall()
    elapsed = time.perf_counter() - started
    # Serial would be 5 s; a blocked hub shows up as anything near that.
    assert elapsed < 1.5, f"10 x pg_sleep(0.5) took {elapsed:.2f}s"


def test_pool_is_sized_to_the_worker_count(make_container):
    container = make_container(SleepyService, max_workers=7)
    container.start()
    with entrypoint_hook(container, "slow_query") as hook:
        hook(0)
    engine = next(iter(container.dependencies)).store.database.engine
    assert engine.pool.size() >= 7


TENANT = "11111111-1111-1111-1111-111111111111"


def test_a_one_round_trip_read_sees_its_tenant_and_leaves_none_on_the_pooled_connection(infra):
    import pytest
    from common.db import Database, make_engine

    db = Database(make_engine(infra.admin_url, schema="probe", pool_size=1), "probe")  # one pooled connection
    try:
        principal = Principal(TENANT, None, "system")
        assert db.read(principal, "select current_setting('app.tenant_id', true) as tenant", {}) == [{"tenant": TENANT}]
        with db.engine.connect() as conn:  # the same connection, next user: no tenant left behind
            assert conn.exec_driver_sql("select coalesce(current_setting('app.tenant_id', true), '')").scalar() == ""
            assert conn.connection.driver_connection.autocommit is False  # and transactions as before
        with pytest.raises(Exception):
            db.read(principal, "select 1 / 0 as boom", {})
        assert db.read(principal, "select %(n)s::int + 1 as n", {"n": 41}) == [{"n": 42}]  # the connection recovered
    finally:
        db.engine.dispose()


def test_a_read_holds_its_statements_until_its_block_ends_and_survives_a_bad_parameter(infra):
    import psycopg
    import pytest
    from common.db import Database, _OneWritePipeline, make_engine

    with psycopg.connect(infra.admin_url, autocommit=True) as conn, \
            psycopg.connect(infra.admin_url, autocommit=True) as watcher:
        def locked() -> int:  # an advisory lock shows the moment its statement runs, transaction or not
            return watcher.execute("select count(*) from pg_locks where locktype = 'advisory' and objid = 4242"
                                   ).fetchone()[0]

        conn._pipeline = _OneWritePipeline(conn)
        with conn.pipeline():
            conn.execute("select pg_advisory_lock(4242)")
            eventlet.sleep(0.3)
            assert locked() == 0  # still in libpq's buffer: psycopg alone would have sent it at once
        assert locked() == 1  # sent, with its Sync, when the block ended
        conn.execute("select pg_advisory_unlock(4242)")

    db = Database(make_engine(infra.admin_url, schema="probe", pool_size=1), "probe")
    principal = Principal(TENANT, None, "system")
    try:
        with eventlet.Timeout(10), pytest.raises(psycopg.ProgrammingError):  # fails before anything is sent
            db.read(principal, "select %(n)s::int as n", {"n": object()})
        assert db.read(principal, "select %(n)s::int + 1 as n", {"n": 41}) == [{"n": 42}]
    finally:
        db.engine.dispose()


def test_green_waits_carry_statements_larger_than_the_socket_buffers_both_ways(infra):
    """A parameter and a result of 8 MB each fill the socket buffers, so the write waits and the
    read waits both park on the hub; meanwhile another green thread keeps running."""
    from common import green_waits
    from common.db import Database, make_engine

    assert green_waits.installed()
    db = Database(make_engine(infra.admin_url, schema="probe", pool_size=1), "probe")
    ticks = []

    def ticker():
        while True:
            ticks.append(time.perf_counter())
            eventlet.sleep(0.001)

    beat = eventlet.spawn(ticker)
    try:
        big = "x" * (8 << 20)
        rows = db.read(
            Principal(TENANT, None, "system"), "select length(%(s)s::text) as n, repeat('y', 8 << 20) as back", {"s": big})
        assert rows[0]["n"] == len(big) and len(rows[0]["back"]) == 8 << 20
        started = len(ticks)
        with db.transaction(None) as uow:
            assert uow.execute(text("select pg_sleep(0.2)::text")).scalar() == ""
        assert len(ticks) - started > 20, "the hub stood still while psycopg waited"
    finally:
        beat.kill()
        db.engine.dispose()


def test_a_pipeline_sending_and_receiving_more_than_the_socket_buffers_hold_does_not_deadlock(infra):
    """executemany runs as a pipeline: while psycopg still writes parameters, PostgreSQL writes results,
    20 MB each way, far past the socket buffers, so writes find the socket full and wait greenly."""
    import psycopg

    big = "z" * (256 << 10)
    with eventlet.Timeout(60), psycopg.connect(infra.admin_url) as conn:
        cur = conn.cursor()
        cur.executemany("select length(%s::text) as n, %s::text as echo", [(big, big)] * 80, returning=True)
        lengths = []
        while True:
            lengths.append(cur.fetchone()[0])
            if not cur.nextset():
                break
    assert lengths == [len(big)] * 80


class ProbeHappened(BaseModel):
    event_type: ClassVar[str] = "probe_happened"
    note: str = "committed while the relay was idle"


class OutboxProbe:
    name = "probe"
    db = DatabaseProvider()

    @rpc
    def commit_event(self):
        with self.db.transaction(Principal(TENANT, None, "system")) as uow:
            uow.publish(ProbeHappened())


def test_X1_a_commit_wakes_the_relay_however_long_its_idle_wait_has_grown(make_container, sql, monkeypatch):
    monkeypatch.setitem(EVENT_PRODUCERS, ProbeHappened.event_type, frozenset({"probe"}))
    container = make_container(OutboxProbe, outbox_poll_interval_s=0.1, outbox_idle_poll_max_s=60)
    container.start()
    # Idle polls 0.1, 0.3, 0.7, 1.5 and 3.1 s after start: at 3.5 s the relay is in a 3.2 s wait.
    eventlet.sleep(3.5)
    with entrypoint_hook(container, "commit_event") as hook:
        hook()
    committed = time.monotonic()
    while sql("select count(*) from probe.outbox where published_at is null")[0][0]:
        assert time.monotonic() - committed < 1.0, "the commit did not wake the relay; it waited for its poll"
        eventlet.sleep(0.02)


def test_X1_applied_messages_and_idempotency_keys_are_forgotten_after_the_retention_and_not_before(make_container, sql):
    sql("delete from probe.inbox")
    sql("insert into probe.inbox (consumer, message_id, tenant_id, processed_at)"
        " select 'on_probe', 'old-' || g, %s, now() - interval '31 days' from generate_series(1, 7000) g", (TENANT,))
    sql("insert into probe.inbox (consumer, message_id, tenant_id, result, processed_at) values"
        " ('on_probe', 'recent', %s, null, now() - interval '29 days'),"
        " ('rpc:create_probe', 'key:fingerprint', %s, '{\"id\": 1}', now() - interval '1 day')", (TENANT, TENANT))
    container = make_container(OutboxProbe, inbox_retention_days=30)
    container.start()  # the relay's first pass purges a batch of 5,000, the next one the rest 5 s later
    deadline = time.monotonic() + 15
    while sql("select count(*) from probe.inbox where message_id like 'old-%%'")[0][0]:
        assert time.monotonic() < deadline, "rows past the retention were not purged"
        eventlet.sleep(0.05)
    assert sorted(r[0] for r in sql("select message_id from probe.inbox")) == ["key:fingerprint", "recent"]
