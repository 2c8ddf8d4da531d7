"""triage: 2,000 inbound emails through the gateway, triaged by one triage process with a 500 ms model.

The model is ``triage.fake_openai`` (an OpenAI-compatible HTTP server answering every call after 500 ms),
reached through the real ``openai`` client, so the figure shows whether model calls overlap: serial calls
would cap one process at 2 messages/s. The messages (bodies from the labelled corpus) come from 20 known
contacts, each customer with two open tasks, posted by 32 concurrent clients as fast as the gateway takes
them; the run ends when every communication has its decision applied by the tasks service.

- value: decisions per second over the whole run (first 202 to last decision applied), and
  ingest-to-decision latency per message (tasks stored it -> tasks applied triage's decision; includes the
  wait in the queue, since everything is sent at once);
- ``triage_alone_*``: the same 2,000 messages published straight onto triage's queue as
  ``communication_received`` events, so the rate is one triage process's own (the whole path above is
  bounded by the gateway and the tasks service, one process each);
- baseline: the local classifier alone, in this process, on the same 2,000 messages (category, facts,
  linking), measured in the same run.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

import httpx
import psycopg

from bench.isolation import IsolatedSystem, log
from bench.report import Figure, Result, Target
from bench.scenarios import Options
from common.stack import free_port, http_ok

TITLE = "2,000 inbound emails -> gateway -> tasks -> triage (model answering in 500 ms) -> tasks, one triage process"
MESSAGES = 2000
CUSTOMERS = 20
CONCURRENCY = 32
MODEL_LATENCY_MS = 500
TARGET_RATE = 40.0
TARGET_LOCAL_RATE = 500.0
UNLIMITED = {"RATE_LIMIT_PER_SECOND": "1000000", "RATE_LIMIT_BURST": "1000000"}
TARGETS: list[Target] = []  # the targets are absolute: see settings.absolute_targets


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def corpus_messages() -> list[dict]:
    from triage.local_model import load_corpus

    rows = [r for r in load_corpus("train", "heldout")]
    return [rows[i % len(rows)] for i in range(MESSAGES)]


def start_fake_model() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "triage.fake_openai", "--port", str(port),
                             "--latency-ms", str(MODEL_LATENCY_MS)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not http_ok(url + "/healthz"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the fake model did not start")
        time.sleep(0.2)
    return proc, url


def seed(api: httpx.Client, user_id: str) -> list[str]:
    emails = []
    for n in range(CUSTOMERS):
        customer = api.post("/v1/customers", json={"name": f"Bench customer {n}", "owner_user_id": user_id}).json()
        email = f"ap{n}@customer{n}.example"
        api.post(f"/v1/customers/{customer['id']}/contacts", json={"name": f"AP {n}", "email": email,
                                                                   "is_main": True}).raise_for_status()
        for k in range(2):
            inv = api.put(f"/v1/invoices/bench-{n}-{k}", json={
                "customer_id": customer["id"], "number": f"INV-2026-{n:02d}{k}", "issue_date": "2026-10-01",
                "due_date": "2026-10-31", "amount": "1200.00", "currency": "EUR"}).json()
            api.post("/v1/tasks", json={"customer_id": customer["id"], "invoice_ids": [inv["id"]],
                                        "title": f"Overdue INV-2026-{n:02d}{k}", "category": "payment_reminder",
                                        "assignee_user_id": user_id}).raise_for_status()
        emails.append(email)
    return emails


async def send_all(url: str, headers: dict, messages: list[dict], emails: list[str]) -> tuple[list[float], float]:
    latencies: list[float] = []
    queue: asyncio.Queue = asyncio.Queue()
    for i, row in enumerate(messages):
        queue.put_nowait((i, row))

    async def worker(client: httpx.AsyncClient):
        while not queue.empty():
            i, row = queue.get_nowait()
            body = {"from": emails[i % len(emails)], "subject": row["subject"] or "Message", "body": row["body"],
                    "received_at": datetime.now(timezone.utc).isoformat(), "external_id": f"bench-{i}-{uuid.uuid4().hex}"}
            started = time.perf_counter()
            resp = await client.post("/v1/inbound/email", json=body)
            if resp.status_code != 202:
                raise RuntimeError(f"POST /v1/inbound/email -> {resp.status_code}: {resp.text[:300]}")
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return latencies, time.perf_counter() - started


def wait_decided(admin_url: str, timeout: float = 600) -> list[tuple]:
    deadline = time.monotonic() + timeout
    with psycopg.connect(admin_url, autocommit=True) as conn:
        while True:
            done = conn.execute("select count(*) filter (where status = 'decided'), count(*) "
                                "from tasks.communications").fetchone()
            if done[0] >= MESSAGES:
                return conn.execute("select created_at, decided_at, decision->>'fell_back', decision->>'model' "
                                    "from tasks.communications").fetchall()
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {done[0]} of {done[1]} communications decided after {timeout}s")
            time.sleep(0.5)


def triage_alone(system: IsolatedSystem, tenant_id: str, messages: list[dict]) -> tuple[float, list[float]]:
    """The same messages published straight onto triage's queue as ``communication_received`` events
    (what tasks publishes), so the figure is triage's own rate, not the gateway's or the tasks service's."""
    from kombu import Connection

    from common.contracts.envelope import EventEnvelope

    customer_id = uuid.uuid4()
    task_ids = [str(uuid.uuid4()) for _ in range(2)]
    published_at = datetime.now(timezone.utc)
    with Connection(system.config.amqp_uri) as conn:
        producer = conn.Producer()
        for i, row in enumerate(messages):
            data = {"communication_id": str(uuid.uuid4()), "channel": row["channel"], "from_address": "ap@x.example",
                    "subject": row["subject"], "body": row["body"], "received_at": datetime.now(timezone.utc).isoformat(),
                    "customer_id": str(customer_id), "customer_name": "Bench customer",
                    "open_tasks": [{"id": t, "title": f"Overdue INV-{k}", "category": "payment_reminder",
                                    "status": "open", "invoice_numbers": [f"INV-{k}"]} for k, t in enumerate(task_ids)]}
            envelope = EventEnvelope(event_type="communication_received", producer="tasks", tenant_id=tenant_id, data=data)
            producer.publish(envelope.model_dump_json(), exchange="tasks.events", routing_key="communication_received",
                             headers={"nameko.tenant_id": tenant_id}, content_type="application/json",
                             content_encoding="utf-8", delivery_mode=2)
    deadline = time.monotonic() + 600
    with psycopg.connect(system.config.admin_url, autocommit=True) as conn:
        while True:
            rows = conn.execute("select received_at, created_at from triage.triage_decisions where customer_id = %s",
                                (customer_id,)).fetchall()
            if len(rows) >= len(messages):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"triage alone: only {len(rows)} decisions after 600 s")
            time.sleep(0.5)
    last = max(r[1] for r in rows)
    rate = len(rows) / (last - published_at).total_seconds()
    return rate, [(r[1] - r[0]).total_seconds() * 1000 for r in rows]


def measure_local(messages: list[dict]) -> tuple[float, list[float]]:
    from triage.evaluate import as_message
    from triage.local_model import LocalClassifier

    model = LocalClassifier()
    prepared = [as_message(row)[0] for row in messages]
    for m in prepared[:50]:
        model.classify(m)
    per: list[float] = []
    started = time.perf_counter()
    for m in prepared:
        t = time.perf_counter()
        model.classify(m)
        per.append((time.perf_counter() - t) * 1000)
    return len(prepared) / (time.perf_counter() - started), per


def run(options: Options) -> Result:
    messages = corpus_messages()
    fake, fake_url = start_fake_model()
    try:
        env = {**UNLIMITED, "OPENAI_API_KEY": "sk-bench-fake", "OPENAI_BASE_URL": fake_url + "/v1",
               "OPENAI_MODEL": "fake-gpt", "AI_TIMEOUT_S": "10", "AI_MAX_RETRIES": "1"}
        with IsolatedSystem(("tasks", "triage"), extra_env=env) as system:
            tenant = system.create_tenant("Bench")
            headers = {"Authorization": f"Bearer {tenant['api_key']}"}
            with httpx.Client(base_url=system.gateway_url, headers=headers, timeout=30) as api:
                emails = seed(api, tenant["user_id"])
            log(f"posting {MESSAGES} inbound emails with {CONCURRENCY} concurrent clients")
            started = time.perf_counter()
            post_ms, post_s = asyncio.run(send_all(system.gateway_url, headers, messages, emails))
            log(f"all accepted in {post_s:.1f} s ({MESSAGES / post_s:.0f}/s); waiting for decisions")
            rows = wait_decided(system.config.admin_url)
            total_s = time.perf_counter() - started
            with psycopg.connect(system.config.admin_url, autocommit=True) as conn:
                model_ms = [r[0] for r in conn.execute("select latency_ms from triage.triage_decisions")]
            log(f"triage alone: publishing {MESSAGES} communication_received events straight to its queue")
            alone_rate, alone_ms = triage_alone(system, tenant["tenant_id"], messages)
            log(f"triage alone: {alone_rate:.1f} decisions/s, p50 {percentile(alone_ms, 50):.0f} ms, "
                f"p99 {percentile(alone_ms, 99):.0f} ms")
            stats = httpx.get(fake_url + "/_stats").json()
    finally:
        fake.terminate()
        fake.wait(10)
    first = min(r[0] for r in rows)
    last = max(r[1] for r in rows)
    rate = MESSAGES / (last - first).total_seconds()
    latency = [(r[1] - r[0]).total_seconds() * 1000 for r in rows]
    fell_back = sum(1 for r in rows if r[2] == "true")
    log(f"{rate:.1f} decisions/s; ingest->decision p50 {percentile(latency, 50):.0f} ms, "
        f"p99 {percentile(latency, 99):.0f} ms; {fell_back} fell back; model calls served {stats['requests']}")
    local_rate, local_ms = measure_local(messages)
    log(f"local classifier alone: {local_rate:.0f} messages/s, p50 {percentile(local_ms, 50):.2f} ms")
    figures = [
        Figure("triage_alone_throughput", alone_rate, "msg/s", local_rate),
        Figure("triage_alone_p50", percentile(alone_ms, 50), "ms", percentile(local_ms, 50)),
        Figure("triage_alone_p99", percentile(alone_ms, 99), "ms", percentile(local_ms, 99)),
        Figure("throughput", rate, "msg/s", local_rate),
        Figure("p50", percentile(latency, 50), "ms", percentile(local_ms, 50)),
        Figure("p99", percentile(latency, 99), "ms", percentile(local_ms, 99)),
    ]
    settings = {
        "messages": MESSAGES, "customers": CUSTOMERS, "open_tasks_per_customer": 2, "post_concurrency": CONCURRENCY,
        "model_latency_ms": MODEL_LATENCY_MS, "triage_processes": 1, "triage_max_workers": 50,
        "wall_s": round(total_s, 1), "gateway_accept_rate_per_s": round(MESSAGES / post_s, 1),
        "gateway_202_p50_ms": round(percentile(post_ms, 50), 1), "gateway_202_p99_ms": round(percentile(post_ms, 99), 1),
        "triage_decision_latency_p50_ms": percentile(model_ms, 50),
        "triage_decision_latency_p99_ms": percentile(model_ms, 99),
        "fell_back": fell_back, "fake_model_requests": stats["requests"],
        "value": "decisions/s through the system and ingest-to-decision latency (includes queueing: all sent at once)",
        "baseline": "the local classifier alone, in-process, same messages",
        "absolute_targets": {
            f"one triage process >= {TARGET_RATE:g} msg/s (events straight to its queue)":
                "MET" if alone_rate >= TARGET_RATE else "MISSED",
            f"whole path gateway -> tasks -> triage -> tasks >= {TARGET_RATE:g} msg/s":
                "MET" if rate >= TARGET_RATE else "MISSED",
            f"local classifier >= {TARGET_LOCAL_RATE:g} msg/s": "MET" if local_rate >= TARGET_LOCAL_RATE else "MISSED",
        },
    }
    log(json.dumps(settings["absolute_targets"]))
    return Result("triage", TITLE, figures, TARGETS, settings, [])
