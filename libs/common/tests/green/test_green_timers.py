"""The durable timer poller: replicas never claim the same row; a dead replica's rows are taken over."""
from datetime import datetime, timedelta, timezone

import eventlet
from sqlalchemy import text

from common.context import CallerContext
from common.store import DatabaseProvider
from common.timers import CLAIM, DueTimer, due_timer


class ReplicaService:
    name = "probe"
    db = DatabaseProvider()
    caller = CallerContext()

    @due_timer("probe_tick")
    def on_tick(self, timer: DueTimer):
        with self.db.transaction(self.caller) as uow:
            uow.execute(text("insert into claims (timer_id, replica) values (:id, :by)"),
                        {"id": timer.id, "by": timer.claimed_by})
            eventlet.sleep(0.005)  # let the other replica interleave
            assert uow.complete_timer(timer.id, timer.claimed_by)


def _probe_engine(infra):
    """The admin's engine on the probe schema, for claims made by hand (another replica's)."""
    from sqlalchemy import create_engine

    return create_engine(infra.admin_url.replace("postgresql://", "postgresql+psycopg://"),
                         connect_args={"options": "-c search_path=probe"})


def _until_all_done(sql, timeout_s: float) -> None:
    for _ in range(int(timeout_s * 10)):
        if sql("select count(*) from probe.timers where done_at is null")[0][0] == 0:
            return
        eventlet.sleep(0.1)


def _seed(sql, n, tenant="11111111-1111-1111-1111-111111111111"):
    sql("delete from probe.timers; delete from probe.claims")
    sql("insert into probe.timers (tenant_id, kind, key, due_at) select %s, 'probe_tick', g::text, now() - interval '1 s'"
        " from generate_series(1, %s) g", (tenant, n))


def test_two_replicas_never_claim_the_same_due_row(make_container, sql):
    _seed(sql, 400)
    replicas = [make_container(ReplicaService, timer_batch_size=25, timer_poll_interval_s=0.05) for _ in range(2)]
    for container in replicas:
        container.start()
    _until_all_done(sql, 30)
    claims = sql("select timer_id, count(*) from probe.claims group by timer_id having count(*) > 1")
    assert claims == []
    assert sql("select count(distinct timer_id) from probe.claims")[0][0] == 400
    by_replica = sql("select count(distinct replica) from probe.claims")[0][0]
    assert by_replica == 2  # the work was shared


def test_a_dead_replicas_lease_expires_and_another_takes_over(infra, sql):
    _seed(sql, 3)
    engine = _probe_engine(infra)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        first = conn.execute(CLAIM, {"by": "dead", "now": now, "lease": 60, "n": 10}).all()
    with engine.begin() as conn:
        assert conn.execute(CLAIM, {"by": "other", "now": now, "lease": 60, "n": 10}).all() == []
    later = now + timedelta(seconds=61)
    with engine.begin() as conn:
        taken = conn.execute(CLAIM, {"by": "other", "now": later, "lease": 60, "n": 10}).all()
    assert sorted(r.id for r in taken) == sorted(r.id for r in first) and len(first) == 3
    engine.dispose()


def test_tick_query_can_use_the_partial_due_index(infra):
    import psycopg

    with psycopg.connect(infra.admin_url, autocommit=True) as conn:
        conn.execute("set search_path to probe")
        conn.execute("set enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.execute(
            "explain select id from timers where done_at is null and due_at <= now() order by due_at limit 100"))
    assert "timers_due" in plan, plan


def test_finished_timers_are_purged_after_retention_but_dead_ones_are_kept(make_container, sql):
    sql("delete from probe.timers")
    sql("insert into probe.timers (tenant_id, kind, key, due_at, done_at, dead) values"
        " ('11111111-1111-1111-1111-111111111111', 'k', 'old', now() - interval '30 days', now() - interval '30 days', false),"
        " ('11111111-1111-1111-1111-111111111111', 'k', 'dead', now() - interval '30 days', now() - interval '30 days', true),"
        " ('11111111-1111-1111-1111-111111111111', 'k', 'recent', now() - interval '1 day', now() - interval '1 day', false),"
        " ('11111111-1111-1111-1111-111111111111', 'k', 'pending', now() + interval '1 day', null, false)")
    container = make_container(ReplicaService)
    container.start()
    poller = next(e for e in container.extensions if type(e).__name__ == "TimerPoller")
    from datetime import datetime, timedelta, timezone
    poller.purge(datetime.now(timezone.utc) - timedelta(days=7))  # the loop also purges once at start
    assert sorted(r[0] for r in sql("select key from probe.timers")) == ["dead", "pending", "recent"]


def test_C2_a_timer_moved_while_a_replica_runs_it_is_taken_over_and_fires_at_its_new_time(infra, sql):
    """A promise moved (a new tenant time zone) while its timer's handler runs on the old time: the
    handler must find its timer taken over at completion and roll back, or the alert fires early."""
    from common.context import Principal
    from common.db import Database

    tenant = "11111111-1111-1111-1111-111111111111"
    _seed(sql, 1, tenant)
    engine = _probe_engine(infra)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        (claimed,) = conn.execute(CLAIM, {"by": "replica-a", "now": now, "lease": 60, "n": 10}).all()
    database = Database(engine, "probe")
    later = now + timedelta(hours=10)
    with database.transaction(Principal(tenant, None, "system")) as uow:
        uow.move_pending("probe_tick", [(claimed.key, later)])
    with database.transaction(Principal(tenant, None, "system")) as uow:
        assert not uow.complete_timer(claimed.id, "replica-a")  # the handler would roll its effect back
    due_at, done_at, claimed_by = sql("select due_at, done_at, claimed_by from probe.timers where id = %s",
                                      (claimed.id,))[0]
    assert (due_at, done_at, claimed_by) == (later, None, None)
    engine.dispose()


def test_E3_a_late_handler_holds_only_the_timers_still_its_own_and_no_claim_takes_them_meanwhile(infra, sql):
    """A handler settling after its lease ran out: the timer another replica took over is not its to
    record; the others stay its own while it records, though their lease has run out."""
    from common.context import Principal
    from common.db import Database

    tenant = "11111111-1111-1111-1111-111111111111"
    _seed(sql, 3, tenant)
    engine = _probe_engine(infra)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        claimed = conn.execute(CLAIM, {"by": "replica-a", "now": now, "lease": 1, "n": 10}).all()
    later = now + timedelta(seconds=2)
    with engine.begin() as conn:
        (taken,) = conn.execute(CLAIM, {"by": "replica-b", "now": later, "lease": 60, "n": 1}).all()
    timers = [DueTimer(r.id, tenant, r.kind, r.key, r.due_at, r.payload, r.attempts, "replica-a") for r in claimed]
    with Database(engine, "probe").transaction(Principal(tenant, None, "system")) as uow:
        assert uow.hold_timers(timers) == {r.id for r in claimed} - {taken.id}
        with engine.begin() as conn:
            assert conn.execute(CLAIM, {"by": "replica-c", "now": later, "lease": 60, "n": 10}).all() == []
    engine.dispose()


class BatchOfOneService:
    """A batch handler whose batch setting is 1 (SEND_BATCH_SIZE=1): it is written for a list."""
    name = "probe"
    db = DatabaseProvider()
    caller = CallerContext()

    @due_timer("probe_tick", batch=1)
    def on_ticks(self, timers: list[DueTimer]):
        with self.db.transaction(self.caller) as uow:
            for timer in timers:
                uow.execute(text("insert into claims (timer_id, replica) values (:id, :by)"),
                            {"id": timer.id, "by": timer.claimed_by})
            uow.complete_timers(timers)


def test_a_batch_handler_gets_a_list_even_when_its_batch_is_one(make_container, sql):
    _seed(sql, 3)
    container = make_container(BatchOfOneService, timer_poll_interval_s=0.05)
    container.start()
    _until_all_done(sql, 10)
    assert sql("select count(distinct timer_id) from probe.claims")[0][0] == 3
    assert sql("select count(*) from probe.timers where attempts > 0 and done_at is null")[0][0] == 0
