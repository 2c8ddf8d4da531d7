"""tasks: the work queue ``GET /v1/tasks`` over 1,000,000 actions, and one promise timer tick.

Data (seeded straight into the bench database's ``tasks`` schema as the admin role, after the
tenants and their admins were made through the gateway's CLI, so the API key works):
tenant A has 10,000 customers, 100,000 tasks, 1,000,000 actions and 10,000 promises (each with its
Due Soon and Overdue timer rows); tenant B, the noise, a tenth of that. The measured user (tenant A's
admin) owns 1 customer in 20: about 5,000 tasks, 3,000 of them open, and some overdue promises.
``BENCH_TASKS_SCALE`` (default 1) scales every count for a quick run.

Queue: ``GET /v1/tasks?limit=50`` (the first page, and the fifth one by following cursors) for that
user, through the gateway -> AMQP RPC -> tasks service; beside the same SQL statement the service sends
(built by ``tasks.repository.task_queue`` itself) run straight in PostgreSQL as the ``followup_tasks``
role, ``set_config('app.tenant_id', ..., true)`` in its transaction. The issue's figure is the latency
of one user: one closed-loop connection (``--connections`` changes it), which the targets judge. The
first page is also measured under load, 8 connections on each side (``queue_load_*``, reported): on
this 2-core machine that saturates the tasks process, so it shows capacity, not one user's latency.
EXPLAIN (ANALYZE, BUFFERS) of it must show the index ``tasks_queue``.

Timer tick: 100 of the 10,000 promises become due (50 Due Soon, 50 Overdue) by moving the services'
clock (CLOCK_OFFSET_FILE); the figure is the time the running tasks service takes from claiming them
to the last one done, beside the poller's own CLAIM statement (``common.timers.CLAIM``) run on the
same rows at the same instant (rolled back). ``claim_100_due`` sets that CLAIM beside the same
statement when nothing is due, over the same 20,000 pending rows; ``claim_after_history`` sets it
(100 due) after 200,000 done timer rows were added beside the same CLAIM before: done timers are
never deleted, so a tick whose cost followed the table would slow down with history.
"""
from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import create_engine

from bench.isolation import IsolatedSystem, log
from bench.load import LoadResult, _percentile, pick_generator, run_load
from bench.report import Figure, Result, Target, tool_version
from bench.scenarios import Options
from common.migrate import service_database_url
from common.timers import CLAIM
from tasks import repository as repo

TITLE = ("GET /v1/tasks over 1M actions: gateway -> RPC -> tasks vs. the same SQL in PostgreSQL; "
         "promise timer tick vs. its CLAIM query")
SERVICES = ("tasks",)
SCALE = float(os.environ.get("BENCH_TASKS_SCALE", "1"))
CUSTOMERS = max(1000, int(10_000 * SCALE))  # tenant A; 10 tasks per customer, 10 actions per task
NOISE_CUSTOMERS = max(20, CUSTOMERS // 10)  # tenant B
OWNERS = 20  # tenant A's customers are spread over 20 owners; the measured user has every 20th
PAGE = 50
DEEP_PAGE = 5  # the page reached by following 4 cursors
DEFAULT_CONNECTIONS = 1  # one user's own requests, one after the other (the "latency for one user")
LOAD_CONNECTIONS = 8  # the loaded measurement beside it (reported)
CLAIM_REPS = 30
TICK_STEP = timedelta(minutes=10)  # round r's timers fall due at t0 + (r + 1) * TICK_STEP
MAX_TICKS = 9  # groups 1-9 are ticks; one more group stays due-able for the CLAIM-with-history check
HISTORY = 20 * CUSTOMERS  # done timer rows added for that check (200,000)
BATCH = 100  # TIMER_BATCH_SIZE: the tick claims every due timer at once
ENV = {
    # The per-tenant rate limit would answer 429 to a one-user load test (as in the gateway scenario).
    "RATE_LIMIT_PER_SECOND": "1000000", "RATE_LIMIT_BURST": "1000000",
    # The poller at its deployed interval (1 s): the tick is timed from its claim, so a faster poll
    # would only add periodic CLAIM work to the queue measurement running beside it.
    "TIMER_BATCH_SIZE": str(BATCH),
}
TARGETS = [
    Target("queue_p99", "<=", 3.0, "one user's queue p99 within 3x the direct query (index-driven)"),
    Target("queue_page5_p99", "<=", 3.0, "one user's queue p99 on page 5 within 3x the direct query"),
]


def run(options: Options) -> Result:
    generator = pick_generator(options.load)
    connections = DEFAULT_CONNECTIONS if options.connections == Options().connections else options.connections
    ticks = min(MAX_TICKS, options.rounds)
    system = IsolatedSystem(SERVICES, extra_env=ENV)
    clock_file = system.log_dir / "clock-offset"
    system.config.extra_env["CLOCK_OFFSET_FILE"] = str(clock_file)
    with system:
        tenant = system.create_tenant("Bench")
        noise = system.create_tenant("Noise")
        admin_url = system.config.admin_url.replace("+psycopg", "")
        service_url = service_database_url(system.config.admin_url, "tasks")
        t0 = datetime.now(timezone.utc).replace(microsecond=0)
        counts = seed(admin_url, tenant, noise, t0, ticks)
        headers = {"Authorization": f"Bearer {tenant['api_key']}"}

        pages = queue_pages(system.gateway_url, headers, tenant, service_url)
        plans = {name: explain(service_url, tenant["tenant_id"], page["sql"], page["params"])
                 for name, page in pages.items()}
        for name, plan in plans.items():
            log(f"queue {name}: EXPLAIN uses tasks_queue: {plan['uses_tasks_queue']}, sort node: "
                f"{plan['has_sort']}, {plan['execution_ms']:.2f} ms")
        queue_rounds = measure_queue(pages, headers, tenant["tenant_id"], service_url, options, generator,
                                     connections)
        load_rounds = measure_queue({"first": pages["first"]}, headers, tenant["tenant_id"], service_url,
                                    options, generator, LOAD_CONNECTIONS)

        tick_rounds = []
        for r in range(ticks):
            tick_rounds.append(measure_tick(system, admin_url, service_url, clock_file, t0, r))
        history = measure_claim_history(admin_url, service_url, tenant["tenant_id"], t0, ticks)

    def median(page: str, side: str, metric: str, rounds=queue_rounds) -> float:
        return statistics.median(getattr(rd[page][side], metric) for rd in rounds)

    def tick_median(key: str) -> float:
        return statistics.median(t[key] for t in tick_rounds)

    figures = [
        Figure("queue_p50", median("first", "gateway", "p50_ms"), "ms", median("first", "direct", "p50_ms")),
        Figure("queue_p99", median("first", "gateway", "p99_ms"), "ms", median("first", "direct", "p99_ms")),
        Figure("queue_page5_p50", median("page5", "gateway", "p50_ms"), "ms", median("page5", "direct", "p50_ms")),
        Figure("queue_page5_p99", median("page5", "gateway", "p99_ms"), "ms", median("page5", "direct", "p99_ms")),
        Figure("queue_throughput", median("first", "gateway", "throughput"), "req/s",
               median("first", "direct", "throughput")),
        Figure("queue_load_p50", median("first", "gateway", "p50_ms", load_rounds), "ms",
               median("first", "direct", "p50_ms", load_rounds)),
        Figure("queue_load_p99", median("first", "gateway", "p99_ms", load_rounds), "ms",
               median("first", "direct", "p99_ms", load_rounds)),
        Figure("queue_load_throughput", median("first", "gateway", "throughput", load_rounds), "req/s",
               median("first", "direct", "throughput", load_rounds)),
        Figure("timer_tick", tick_median("tick_ms"), "ms", tick_median("claim_100_due_ms")),
        Figure("claim_100_due", tick_median("claim_100_due_ms"), "ms", tick_median("claim_0_due_ms")),
        Figure("claim_after_history", history["after"]["due_ms"], "ms", history["before"]["due_ms"]),
    ]
    wrk = generator == "wrk"
    settings = {
        "scale": SCALE, "data": counts,
        "queue": {
            "request": f"GET /v1/tasks?limit={PAGE} (first page) and page {DEEP_PAGE} (4 cursors followed)",
            "connections": connections, "load_connections": LOAD_CONNECTIONS,
            "threads": options.threads if wrk else 1,
            "load_generator": tool_version(["wrk", "--version"]) if wrk else "python asyncio (bench/load.py)",
            "duration_s": options.duration_s, "warmup_s": options.warmup_s, "rounds": options.rounds,
            "aggregate": "median over rounds",
            "baseline": "the statement tasks.repository.task_queue builds, run with psycopg as followup_tasks in a "
                        "transaction after set_config('app.tenant_id', ..., true), rows fetched, closed loop "
                        "from as many connections (one asyncio process)",
            "sql": pages["first"]["sql"],
            "explain": plans,
        },
        "timer_tick": {
            "service_env": ENV, "ticks": ticks,
            "value": "first of the 100 timers seen claimed -> last seen done (polled every 5 ms)",
            "baseline": "common.timers.CLAIM as followup_tasks, n=100, same now, median of "
                        f"{CLAIM_REPS} runs, each rolled back",
            "claim_100_due": "the same CLAIM with 100 due (value) vs. with none due (baseline)",
            "claim_explain": tick_rounds[0]["claim_explain"] if tick_rounds else None,
            "claim_after_history": "the same CLAIM (100 due) after adding done timer rows (value) vs. before "
                                   "(baseline): done rows are never deleted, so the table grows with history",
            "history": history,
        },
    }
    rounds = [{"queue": {page: {side: res.as_dict() for side, res in rd[page].items()} for page in rd},
               "queue_load": {page: {side: res.as_dict() for side, res in ld[page].items()} for page in ld}}
              for rd, ld in zip(queue_rounds, load_rounds)]
    for r, t in enumerate(tick_rounds):
        entry = {k: v for k, v in t.items() if k != "claim_explain"}
        if r < len(rounds):
            rounds[r]["tick"] = entry
        else:
            rounds.append({"tick": entry})
    return Result("tasks", TITLE, figures, TARGETS, settings, rounds)


# ---- seeding ---------------------------------------------------------------------------------
def _owner(prefix: str, customer: str) -> str:
    """SQL: the owner of customer number ``customer``: the measured user for every 20th, else a fake user."""
    return (f"case when mod({customer}, {OWNERS}) = 0 then %(user)s::uuid "
            f"else md5('{prefix}-u-' || mod({customer}, {OWNERS}))::uuid end")


def seed_statements(prefix: str) -> list[str]:
    """INSERT ... SELECT generate_series for one tenant. Numbering: customer c has tasks 10c..10c+9 (the
    last, 10c+9, is its promise's task) and task i has actions 10i..10i+9; ids are md5 of the numbers."""
    own_c = _owner(prefix, "c")
    own_t = _owner(prefix, "(i / 10)")
    own_a = _owner(prefix, "(n / 100)")
    tid = f"md5('{prefix}-t-' || i)::uuid"
    return [
        f"""insert into customers (id, tenant_id, external_id, name, owner_user_id, timezone, created_at, updated_at)
        select md5('{prefix}-c-' || c)::uuid, %(tenant)s, 'bench-' || c, 'Customer ' || c, {own_c},
               'Europe/Paris', %(t0)s - interval '400 days', %(t0)s - interval '400 days'
        from generate_series(0, %(customers)s - 1) c""",
        # 9 ordinary tasks per customer: j 0-3 open, 4 waiting, 5-7 completed, 8 cancelled.
        f"""insert into tasks (id, tenant_id, customer_id, title, category, owner_user_id, status, origin, priority,
                           due_at, created_by_user_id, created_at, updated_at, closed_at)
        select {tid}, %(tenant)s, md5('{prefix}-c-' || (i / 10))::uuid, 'Task ' || i,
               (array['collections', 'dispute', 'follow_up'])[1 + mod(i, 3)], {own_t},
               (array['open', 'open', 'open', 'open', 'waiting', 'completed', 'completed', 'completed',
                      'cancelled'])[1 + mod(i, 10)],
               case when mod(i, 4) = 0 then 'workflow' else 'manual' end, floor(random() * 4)::int,
               case when random() < 0.1 then null
                    else %(t0)s + make_interval(secs => (random() * 120 - 60) * 86400) end,
               {own_t}, %(t0)s - interval '90 days', %(t0)s - interval '1 day',
               case when mod(i, 10) >= 5 then %(t0)s - interval '1 day' end
        from generate_series(0, %(customers)s * 10 - 1) i where mod(i, 10) <> 9""",
        # One promise per customer (k = customer number). Due times: see promise_times().
        f"""insert into promises (id, tenant_id, task_id, source_task_id, customer_id, amount, currency,
                              promised_date, invoice_ids, status, due_soon_at, overdue_at, created_at, updated_at)
        select md5('{prefix}-p-' || k)::uuid, %(tenant)s, md5('{prefix}-t-' || (k * 10 + 9))::uuid,
               md5('{prefix}-t-' || (k * 10))::uuid, md5('{prefix}-c-' || k)::uuid, 100 + mod(k, 900), 'EUR',
               (p.overdue_at)::date, '{{}}',
               case when p.already_overdue then 'overdue' else 'waiting' end, p.due_soon_at, p.overdue_at,
               %(t0)s - interval '10 days', %(t0)s - interval '10 days'
        from generate_series(0, %(customers)s - 1) k, lateral ({PROMISE_TIMES}) p""",
        f"""insert into tasks (id, tenant_id, customer_id, title, category, owner_user_id, status, origin, priority,
                           due_at, overdue_promise, created_by_user_id, created_at, updated_at)
        select md5('{prefix}-t-' || (k * 10 + 9))::uuid, %(tenant)s, md5('{prefix}-c-' || k)::uuid,
               'Promise to pay ' || (100 + mod(k, 900)) || ' EUR', 'promise_to_pay', {_owner(prefix, 'k')},
               'waiting', 'promise', 0, p.overdue_at, p.already_overdue, {_owner(prefix, 'k')},
               %(t0)s - interval '10 days', %(t0)s - interval '10 days'
        from generate_series(0, %(customers)s - 1) k, lateral ({PROMISE_TIMES}) p""",
        f"""insert into timers (tenant_id, kind, key, due_at, payload, done_at, created_at)
        select %(tenant)s, kind, md5('{prefix}-p-' || k)::uuid::text, due_at,
               jsonb_build_object('promise_id', md5('{prefix}-p-' || k)::uuid::text),
               case when due_at < %(t0)s then due_at end, %(t0)s - interval '10 days'
        from generate_series(0, %(customers)s - 1) k, lateral ({PROMISE_TIMES}) p,
             lateral (values ('promise_due_soon', p.due_soon_at), ('promise_overdue', p.overdue_at)) t(kind, due_at)""",
        f"""insert into actions (id, tenant_id, task_id, type, status, assignee_user_id, created_by_user_id, due_at,
                             payload, created_at, updated_at, completed_at)
        select md5('{prefix}-a-' || n)::uuid, %(tenant)s, md5('{prefix}-t-' || (n / 10))::uuid,
               (array['email', 'sms', 'call', 'internal_note', 'promise_to_pay', 'generic'])[1 + mod(n, 6)],
               (array['new', 'new', 'in_progress', 'blocked', 'completed', 'completed', 'completed', 'skipped',
                      'new', 'draft'])[1 + mod(n, 10)],
               {own_a}, {own_a}, %(t0)s + make_interval(secs => (random() * 120 - 60) * 86400), '{{}}',
               %(t0)s - interval '90 days', %(t0)s - interval '1 day',
               case when mod(n, 10) between 4 and 6 then %(t0)s - interval '1 day' end
        from generate_series(0, %(customers)s * 100 - 1) n""",
    ]


# Promise k's timers. Tick round r (0 <= r < ticks) uses k with mod(k, 100) = r + 1: every other one
# has its Due Soon timer due at t0 + (r + 1) * step, the others their Overdue one (Due Soon already
# done); 1 in 50 promises (mod(k, 50) = 20) is overdue already (both timers done); the rest fall due
# 3 to 57 days from t0. Tenant B's ticks are 0, so none of its timers fall due during the run.
PROMISE_TIMES = """
    select case when r.due then case when r.soon then r.at else r.at - interval '1 day' end
                when mod(k, 50) = 20 then %(t0)s - interval '3 days'
                else %(t0)s + make_interval(days => 3 + mod(k, 55)) end as due_soon_at,
           case when r.due then case when r.soon then r.at + interval '1 day' else r.at end
                when mod(k, 50) = 20 then %(t0)s - interval '2 days'
                else %(t0)s + make_interval(days => 4 + mod(k, 55)) end as overdue_at,
           (not r.due and mod(k, 50) = 20) as already_overdue
    from (select mod(k, 100) between 1 and %(ticks)s as due, mod(k / 100, 2) = 0 as soon,
                 %(t0)s + %(step)s * mod(k, 100) as at) r
"""


def seed(admin_url: str, tenant: dict, noise: dict, t0: datetime, ticks: int) -> dict:
    started = time.perf_counter()
    log(f"seeding tenant A ({CUSTOMERS:,} customers, {CUSTOMERS * 10:,} tasks, {CUSTOMERS * 100:,} actions, "
        f"{CUSTOMERS:,} promises) and tenant B ({NOISE_CUSTOMERS:,} customers) straight into PostgreSQL")
    with psycopg.connect(admin_url) as conn:
        conn.execute("set search_path = tasks")
        # Rows are consistent by construction: skip the per-row foreign-key triggers (admin only).
        conn.execute("set session_replication_role = replica")
        conn.execute("select setseed(0.42)")
        for prefix, who, customers, n_ticks in (("A", tenant, CUSTOMERS, ticks + 1), ("B", noise, NOISE_CUSTOMERS, 0)):
            params = {"tenant": who["tenant_id"], "user": who["user_id"], "t0": t0, "customers": customers,
                      "ticks": n_ticks, "step": TICK_STEP}
            for statement in seed_statements(prefix):
                t = time.perf_counter()
                cur = conn.execute(statement, params)
                log(f"  {prefix}: {statement.split('(')[0].strip()}: {cur.rowcount:,} rows, "
                    f"{time.perf_counter() - t:.1f} s")
        conn.commit()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("set search_path = tasks")
        t = time.perf_counter()
        conn.execute("vacuum (analyze) customers, tasks, actions, promises, timers")
        log(f"  vacuum analyze: {time.perf_counter() - t:.1f} s")
        row = conn.execute(
            """select (select count(*) from customers where tenant_id = %(a)s),
                      (select count(*) from tasks where tenant_id = %(a)s),
                      (select count(*) from actions where tenant_id = %(a)s),
                      (select count(*) from promises where tenant_id = %(a)s),
                      (select count(*) from tasks where tenant_id = %(a)s and owner_user_id = %(u)s),
                      (select count(*) from tasks where tenant_id = %(a)s and owner_user_id = %(u)s and is_open),
                      (select count(*) from tasks where tenant_id = %(a)s and owner_user_id = %(u)s
                                                    and overdue_promise),
                      (select count(*) from tasks where tenant_id <> %(a)s),
                      (select count(*) from actions where tenant_id <> %(a)s),
                      (select count(*) from timers where done_at is null)""",
            {"a": tenant["tenant_id"], "u": tenant["user_id"]}).fetchone()
    counts = dict(zip(("customers", "tasks", "actions", "promises", "user_tasks", "user_open_tasks",
                       "user_overdue_promises", "noise_tasks", "noise_actions", "pending_timers"), row))
    counts["seed_s"] = round(time.perf_counter() - started, 1)
    log(f"seeded in {counts['seed_s']} s: {counts}")
    return counts


# ---- queue -----------------------------------------------------------------------------------
def queue_statement(user_id: str, cursor: str | None) -> tuple[str, dict]:
    """The SQL and parameters the tasks service sends for the queue page (its own compiled query)."""
    query, params = repo.task_queue_query(owner=uuid.UUID(user_id), limit=PAGE, cursor=cursor)
    return query.sql, params


def _connect_kwargs() -> dict:
    return {"options": "-c search_path=tasks -c statement_timeout=30000 -c TimeZone=UTC",
            "application_name": "followup-bench-direct"}


def queue_pages(gateway_url: str, headers: dict, tenant: dict, service_url: str) -> dict:
    """The first page and page 5 through the gateway, each checked equal to the direct query's rows."""
    pages, cursor = {}, None
    with httpx.Client(base_url=gateway_url, headers=headers, timeout=60) as api, \
            psycopg.connect(service_url, **_connect_kwargs()) as conn:
        for n in range(1, DEEP_PAGE + 1):
            path = f"/v1/tasks?limit={PAGE}" + (f"&cursor={cursor}" if cursor else "")
            resp = api.get(path)
            if resp.status_code != 200:
                raise RuntimeError(f"GET {path} -> {resp.status_code}: {resp.text[:500]}")
            body = resp.json()
            sql, params = queue_statement(tenant["user_id"], cursor)
            with conn.transaction():
                conn.execute("select set_config('app.tenant_id', %s, true)", (tenant["tenant_id"],))
                rows = conn.execute(sql, params).fetchall()
            direct_ids = [str(r[0]) for r in rows][:PAGE]
            gateway_ids = [item["id"] for item in body["items"]]
            if direct_ids != gateway_ids or len(gateway_ids) != PAGE:
                raise RuntimeError(f"page {n}: the direct query returns other rows than the gateway "
                                   f"({len(direct_ids)} vs {len(gateway_ids)})")
            if n in (1, DEEP_PAGE):
                pages["first" if n == 1 else f"page{DEEP_PAGE}"] = {
                    "path": path, "url": gateway_url + path, "sql": sql, "params": params,
                    "bytes": len(resp.content)}
            cursor = body["next_cursor"]
            if not cursor:
                raise RuntimeError(f"page {n} has no next cursor: the user has too few open tasks")
    first = pages["first"]
    log(f"same rows through the gateway and directly on pages 1-{DEEP_PAGE}; first page {first['bytes']:,} bytes")
    return pages


def explain(service_url: str, tenant_id: str, sql: str, params: dict) -> dict:
    with psycopg.connect(service_url, **_connect_kwargs()) as conn, conn.transaction():
        conn.execute("select set_config('app.tenant_id', %s, true)", (tenant_id,))
        for _ in range(2):  # the second run reads from shared buffers, as the measured runs do
            lines = [r[0] for r in conn.execute("explain (analyze, buffers) " + sql, params).fetchall()]
    text = "\n".join(lines)
    execution = next((float(ln.split(":")[1].split()[0]) for ln in lines if ln.startswith("Execution Time")), 0.0)
    return {"uses_tasks_queue": "tasks_queue" in text, "has_sort": " Sort " in f" {text} ",
            "execution_ms": execution, "plan": lines}


async def _direct_load(service_url: str, tenant_id: str, sql: str, params: dict, duration_s: float,
                       connections: int) -> LoadResult:
    latencies: list[float] = []
    errors = [0]
    conns = [await psycopg.AsyncConnection.connect(service_url, **_connect_kwargs()) for _ in range(connections)]
    try:
        started = time.perf_counter()
        stop_at = started + duration_s

        async def loop(conn):
            while (sent := time.perf_counter()) < stop_at:
                try:
                    async with conn.transaction():
                        await conn.execute("select set_config('app.tenant_id', %s, true)", (tenant_id,))
                        await (await conn.execute(sql, params)).fetchall()
                except psycopg.Error:
                    errors[0] += 1
                    continue
                latencies.append((time.perf_counter() - sent) * 1000)

        await asyncio.gather(*(loop(c) for c in conns))
        elapsed = time.perf_counter() - started
    finally:
        for c in conns:
            await c.close()
    latencies.sort()
    return LoadResult(requests=len(latencies), duration_s=elapsed, p50_ms=_percentile(latencies, 50),
                      p99_ms=_percentile(latencies, 99), errors=errors[0])


def measure_queue(pages: dict, headers: dict, tenant_id: str, service_url: str, options: Options,
                  generator: str, connections: int) -> list[dict]:
    def once(page: dict, side: str, duration: float) -> LoadResult:
        if side == "direct":
            return asyncio.run(_direct_load(service_url, tenant_id, page["sql"], page["params"], duration,
                                            connections))
        return run_load(generator, page["url"], headers, duration, connections, options.threads)

    rounds = []
    for n in range(options.rounds):
        order = ["direct", "gateway"] if n % 2 == 0 else ["gateway", "direct"]
        results: dict[str, dict[str, LoadResult]] = {}
        for name, page in pages.items():
            results[name] = {}
            for side in order:
                if options.warmup_s > 0:
                    once(page, side, options.warmup_s)
                res = once(page, side, options.duration_s)
                if res.errors:
                    raise RuntimeError(f"queue {name} {side}: {res.errors} failed requests of {res.requests}")
                log(f"round {n + 1}/{options.rounds} queue {name} {side}: {res.throughput:,.0f} req/s, "
                    f"p50 {res.p50_ms:.2f} ms, p99 {res.p99_ms:.2f} ms")
                results[name][side] = res
        rounds.append(results)
    return rounds


# ---- timer tick ------------------------------------------------------------------------------
def _claim_ms(engine, now: datetime) -> tuple[float, int]:
    """One CLAIM as the poller runs it (its own transaction), rolled back so the rows stay due."""
    with engine.connect() as conn:
        t = time.perf_counter()
        rows = conn.execute(CLAIM, {"by": "bench", "now": now, "lease": 60, "n": BATCH}).all()
        elapsed = (time.perf_counter() - t) * 1000
        conn.rollback()
    return elapsed, len(rows)


def _claim_explain(engine, now: datetime) -> dict:
    sql = str(CLAIM.compile(dialect=engine.dialect))  # psycopg's %(name)s placeholders
    with engine.connect() as conn:
        lines = [r[0] for r in conn.exec_driver_sql(
            "explain (analyze, buffers) " + sql, {"by": "bench", "now": now, "lease": 60, "n": BATCH}).all()]
        conn.rollback()
    return {"uses_timers_due": "timers_due" in "\n".join(lines), "plan": lines}


def claim_medians(service_url: str, now_due: datetime, now_idle: datetime) -> dict:
    """The CLAIM's median time with the group due (``now_due``) and with nothing due (``now_idle``)."""
    engine = create_engine(service_url.replace("postgresql://", "postgresql+psycopg://"),
                           connect_args=_connect_kwargs(), pool_size=1)
    try:
        due, idle = [], []
        for _ in range(CLAIM_REPS):
            ms, n_due = _claim_ms(engine, now_due)
            due.append(ms)
            ms, n_idle = _claim_ms(engine, now_idle)
            idle.append(ms)
        plan = _claim_explain(engine, now_due)
    finally:
        engine.dispose()
    return {"due_ms": statistics.median(due), "idle_ms": statistics.median(idle), "due": n_due,
            "due_before": n_idle, "explain": plan}


def measure_claim_history(admin_url: str, service_url: str, tenant_id: str, t0: datetime, group: int) -> dict:
    """Done timers are never deleted: the CLAIM on the spare group of due timers before and after
    HISTORY done rows are added (and ANALYZEd), to see whether a tick's cost follows the table."""
    due_at = t0 + (group + 1) * TICK_STEP
    now_due, now_idle = due_at + timedelta(minutes=1), due_at - timedelta(minutes=5)
    before = claim_medians(service_url, now_due, now_idle)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("set search_path = tasks")
        t = time.perf_counter()
        conn.execute(
            "insert into timers (tenant_id, kind, key, due_at, payload, done_at, created_at)"
            " select %(tenant)s, 'promise_overdue', 'history-' || i, d, '{}', d, d"
            " from generate_series(1, %(n)s) i, lateral (select %(t0)s - make_interval(secs => i * 10) as d) x",
            {"tenant": tenant_id, "n": HISTORY, "t0": t0})
        conn.execute("analyze timers")
        total = conn.execute("select count(*), count(*) filter (where done_at is null) from timers").fetchone()
        log(f"added {HISTORY:,} done timers in {time.perf_counter() - t:.1f} s: {total[0]:,} rows, "
            f"{total[1]:,} pending")
    after = claim_medians(service_url, now_due, now_idle)
    result = {"history_rows_added": HISTORY, "timers_rows": total[0], "pending_rows": total[1], "due": after["due"],
              "before": {k: v for k, v in before.items() if k != "explain"},
              "after": {k: v for k, v in after.items() if k != "explain"},
              "explain_before": before["explain"], "explain_after": after["explain"]}
    log(f"CLAIM with {after['due']} due: {before['due_ms']:.2f} ms -> {after['due_ms']:.2f} ms after "
        f"{HISTORY:,} done rows; none due: {before['idle_ms']:.2f} -> {after['idle_ms']:.2f} ms; "
        f"plan uses timers_due: {before['explain']['uses_timers_due']} -> {after['explain']['uses_timers_due']}")
    return result


def measure_tick(system: IsolatedSystem, admin_url: str, service_url: str, clock_file: Path, t0: datetime,
                 r: int) -> dict:
    due_at = t0 + (r + 1) * TICK_STEP
    now_due, now_idle = due_at + timedelta(minutes=1), due_at - timedelta(minutes=5)
    claims = claim_medians(service_url, now_due, now_idle)
    n_due, plan = claims["due"], claims["explain"]
    if claims["due_before"] != 0:
        raise RuntimeError(f"tick {r + 1}: {claims['due_before']} timers due before the clock moved")

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("set search_path = tasks")
        ids = [row[0] for row in conn.execute(
            "select id from timers where done_at is null and due_at = %s", (due_at,)).fetchall()]
        if len(ids) != n_due:
            raise RuntimeError(f"tick {r + 1}: {len(ids)} timers at {due_at} but the CLAIM takes {n_due}")
        fired_before = fired(system)
        offset = (now_due - datetime.now(timezone.utc)).total_seconds()
        clock_file.write_text(f"{offset:.3f}")
        moved = time.perf_counter()
        first_claim = last_done = None
        deadline = moved + 300
        while time.perf_counter() < deadline:
            claimed, done = conn.execute(
                "select count(*) filter (where claimed_by is not null), count(*) filter (where done_at is not null)"
                " from timers where id = any(%s)", (ids,)).fetchone()
            now = time.perf_counter()
            if claimed and first_claim is None:
                first_claim = now
            if done == len(ids):
                last_done = now
                break
            time.sleep(0.005)
        if last_done is None:
            raise RuntimeError(f"tick {r + 1}: not all {len(ids)} timers were done after 300 s")
        failed = conn.execute("select count(*) from timers where id = any(%s) and (attempts > 0 or dead)",
                              (ids,)).fetchone()[0]
        overdue = conn.execute(
            "select count(*) from promises p join timers t on t.key = p.id::text and t.kind = 'promise_overdue'"
            " where t.id = any(%s) and p.status = 'overdue'", (ids,)).fetchone()[0]
    fired_delta = {k: v - fired_before.get(k, 0) for k, v in fired(system).items()}
    if failed or fired_delta.get("error"):
        raise RuntimeError(f"tick {r + 1}: {failed} timers failed, metrics {fired_delta}")
    result = {
        "due": len(ids), "overdue_promises_marked": overdue, "fired": fired_delta,
        "tick_ms": (last_done - first_claim) * 1000, "clock_moved_to_done_ms": (last_done - moved) * 1000,
        "claim_100_due_ms": claims["due_ms"], "claim_0_due_ms": claims["idle_ms"], "claim_explain": plan,
    }
    log(f"tick {r + 1}: {len(ids)} due timers handled in {result['tick_ms']:.0f} ms (clock moved -> done "
        f"{result['clock_moved_to_done_ms']:.0f} ms); CLAIM {result['claim_100_due_ms']:.2f} ms with "
        f"{n_due} due, {result['claim_0_due_ms']:.2f} ms with none; plan uses timers_due: {plan['uses_timers_due']}")
    return result


def fired(system: IsolatedSystem) -> dict[str, float]:
    """``followup_timers_fired_total`` of the tasks service by outcome."""
    text = httpx.get(f"{system.config.health_url('tasks')}/metrics", timeout=10).text
    totals: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("followup_timers_fired_total{"):
            labels, value = line.rsplit(" ", 1)
            outcome = labels.split('outcome="', 1)[1].split('"', 1)[0]
            totals[outcome] = totals.get(outcome, 0) + float(value)
    return totals
