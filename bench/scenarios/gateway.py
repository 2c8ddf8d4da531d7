"""gateway: ``GET /v1/tasks/{id}`` through the gateway and the tasks service, beside an in-process baseline.

The same case file (a task with its customer, 3 invoices, 4 actions and a
200-row timeline, created through the public API) is read under the same
closed-loop load from (a) the gateway, which authenticates and asks the tasks
service over AMQP RPC, and (b) bench/baseline_app.py, which runs the same
queries in-process. Sides are measured one after the other, never at once,
so they do not fight over the machine's cores.
"""
from __future__ import annotations

import statistics
import sys
from datetime import date, timedelta

import httpx

from bench.isolation import IsolatedSystem, log
from bench.load import LoadResult, pick_generator, run_load
from bench.report import Figure, Result, Target, tool_version
from bench.scenarios import Options
from common.migrate import service_database_url
from common.stack import free_port

TITLE = "GET /v1/tasks/{id}: gateway -> AMQP RPC -> tasks service vs. one in-process FastAPI endpoint"
SERVICES = ("tasks",)
INVOICES = 3
TIMELINE_UPDATES = 200  # invoice updates, one timeline row each: more than the 50 rows a case file shows
TARGETS = [
    Target("throughput", ">=", 0.5, "gateway throughput >= 50% of baseline"),
    Target("p99", "<=", 3.0, "gateway p99 within 3x baseline"),
]
# The per-tenant rate limit (200/s, burst 400 by default) would answer 429 to a one-tenant load test.
# Raised, not removed: every request still takes a token, so the limiter's cost is measured.
UNLIMITED = {"RATE_LIMIT_PER_SECOND": "1000000", "RATE_LIMIT_BURST": "1000000"}


def run(options: Options) -> Result:
    generator = pick_generator(options.load)
    with IsolatedSystem(SERVICES, extra_env=UNLIMITED) as system:
        tenant = system.create_tenant("Bench")
        headers = {"Authorization": f"Bearer {tenant['api_key']}"}
        task_id = seed(system.gateway_url, headers, tenant["user_id"])
        baseline_url = start_baseline(system, tenant)
        urls = {"baseline": f"{baseline_url}/v1/tasks/{task_id}",
                "gateway": f"{system.gateway_url}/v1/tasks/{task_id}"}
        check_same_answer(urls, headers)
        rounds = measure(urls, headers, options, generator)

    def median(side: str, metric: str) -> float:
        return statistics.median(getattr(r[side], metric) for r in rounds)

    figures = [
        Figure("throughput", median("gateway", "throughput"), "req/s", median("baseline", "throughput")),
        Figure("p50", median("gateway", "p50_ms"), "ms", median("baseline", "p50_ms")),
        Figure("p99", median("gateway", "p99_ms"), "ms", median("baseline", "p99_ms")),
    ]
    wrk = generator == "wrk"
    settings = {
        "request": "GET /v1/tasks/{id}", "connections": options.connections,
        "threads": options.threads if wrk else 1,
        "load_generator": tool_version(["wrk", "--version"]) if wrk else "python asyncio (bench/load.py)",
        "duration_s": options.duration_s, "warmup_s": options.warmup_s, "rounds": options.rounds,
        "aggregate": "median over rounds",
        # Timeline: the customer's and the task's creation, each invoice issued, then the updates.
        "case_file": {"invoices": INVOICES, "actions": 4, "timeline_rows": TIMELINE_UPDATES + INVOICES + 2},
    }
    return Result("gateway", TITLE, figures, TARGETS, settings,
                  [{side: r[side].as_dict() for side in r} for r in rounds])


def seed(gateway_url: str, headers: dict[str, str], user_id: str) -> str:
    """A case file built through the public API, as a client would; returns the task id."""
    log(f"seeding a case file with {TIMELINE_UPDATES} timeline updates through the gateway")
    with httpx.Client(base_url=gateway_url, headers=headers, timeout=30) as api:
        def call(method: str, path: str, body: dict) -> dict:
            resp = api.request(method, path, json=body)
            if resp.status_code >= 300:
                raise RuntimeError(f"{method} {path} -> {resp.status_code}: {resp.text}")
            return resp.json()

        customer = call("POST", "/v1/customers", {"external_id": "bench-customer", "name": "Bench Customer",
                                                  "owner_user_id": user_id, "timezone": "Europe/Paris"})
        issued = date(2025, 1, 1)

        def invoice(n: int, amount: str) -> dict:
            return {"customer_id": customer["id"], "number": f"INV-{n:04d}", "issue_date": issued.isoformat(),
                    "due_date": (issued + timedelta(days=30)).isoformat(), "amount": amount, "currency": "EUR"}

        invoices = [call("PUT", f"/v1/invoices/bench-{n}", invoice(n, "1200.00"))
                    for n in range(INVOICES)]
        task = call("POST", "/v1/tasks", {
            "customer_id": customer["id"], "invoice_ids": [i["id"] for i in invoices],
            "title": "Overdue invoices", "category": "collections", "assignee_user_id": user_id,
            "actions": [
                {"type": "call", "assignee_user_id": user_id, "payload": {"script": "reminder"}},
                {"type": "email", "assignee_user_id": user_id, "payload": {"to": ["ap@bench.example"], "subject": "Overdue invoice", "body": "Hello"}},
                {"type": "promise_to_pay", "assignee_user_id": user_id},
                {"type": "internal_note", "payload": {"text": "draft, seen by its creator"}},
            ]})
        for n in range(TIMELINE_UPDATES):  # each change of amount is one "invoice updated" row
            call("PUT", f"/v1/invoices/bench-{n % INVOICES}", invoice(n % INVOICES, f"{1200 + n + 1}.00"))
    return task["task"]["id"]


def start_baseline(system: IsolatedSystem, tenant: dict) -> str:
    port = free_port()
    env = system.config.env_for("tasks", {
        "DATABASE_URL": service_database_url(system.config.admin_url, "tasks"),
        "BASELINE_PORT": str(port), "BASELINE_TENANT_ID": tenant["tenant_id"],
        "BASELINE_USER_ID": tenant["user_id"]})
    url = f"http://127.0.0.1:{port}"
    system.spawn("baseline", [sys.executable, "-m", "bench.baseline_app"], env, url + "/readyz")
    return url


def check_same_answer(urls: dict[str, str], headers: dict[str, str]) -> None:
    """Both sides must return the same document, or the comparison would measure different work."""
    bodies, size = {}, 0
    for side, url in urls.items():
        resp = httpx.get(url, headers=headers, timeout=30)
        if resp.status_code != 200:
            raise RuntimeError(f"{side}: GET {url} -> {resp.status_code}: {resp.text[:500]}")
        bodies[side], size = resp.json(), len(resp.content)
    if bodies["baseline"] != bodies["gateway"]:
        differing = [k for k in bodies["gateway"] if bodies["gateway"].get(k) != bodies["baseline"].get(k)]
        raise RuntimeError(f"the baseline answers differently from the gateway in {differing}")
    doc = bodies["gateway"]
    log(f"same answer on both sides: {len(doc['invoices'])} invoices, {len(doc['pending_actions'])} pending "
        f"actions, {len(doc['timeline'])} timeline rows, {size:,} bytes")


def measure(urls: dict[str, str], headers: dict[str, str], options: Options,
            generator: str) -> list[dict[str, LoadResult]]:
    rounds = []
    for n in range(options.rounds):
        # Alternate who goes first, so neither side always runs on a machine the other just heated.
        order = ["baseline", "gateway"] if n % 2 == 0 else ["gateway", "baseline"]
        results = {}
        for side in order:
            if options.warmup_s > 0:  # fills pools and caches, lets psycopg prepare its statements
                run_load(generator, urls[side], headers, options.warmup_s, options.connections, options.threads)
            result = run_load(generator, urls[side], headers, options.duration_s, options.connections,
                              options.threads)
            if result.errors:
                raise RuntimeError(f"{side}: {result.errors} failed requests of {result.requests}: "
                                   "the figures would not describe successful reads")
            log(f"round {n + 1}/{options.rounds} {side}: {result.throughput:,.0f} req/s, "
                f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms")
            results[side] = result
        rounds.append(results)
    return rounds
