"""notifications: N emails requested as events -> notifications service -> local SMTP sink, beside
the same N messages sent straight to the same sink with ``smtplib`` from one process.

N is 20,000 (the issue's figure); ``BENCH_NOTIFICATIONS_COUNT`` lowers it for a quick run.
Value: emails/s from the first request published to the last message accepted by the SMTP server,
and request-to-accepted latency p50/p99. Baseline: one smtplib connection sending the same messages
in a loop (throughput and per-message send latency). Both are counted at the server, which must have
received each recipient's message exactly once (no duplicate, no loss) or the run fails.
"""
from __future__ import annotations

import json
import os
import smtplib
import time
import uuid
from datetime import datetime, timezone
from email.message import EmailMessage

import httpx
from kombu import Connection

from bench.isolation import IsolatedSystem, log
from bench.report import Figure, Result, Target
from bench.scenarios import Options
from common.stack import free_port

TITLE = "emails: event -> notifications -> SMTP (exactly once) vs. smtplib straight to the same SMTP server"
COUNT = int(os.environ.get("BENCH_NOTIFICATIONS_COUNT", "20000"))
TARGETS = [Target("throughput", ">=", 0.5, "service throughput >= 50% of the smtplib baseline, no duplicate, no loss")]
ENV = {"MAX_WORKERS": "50", "TIMER_BATCH_SIZE": "500", "TIMER_POLL_INTERVAL_S": "0.05", "SMTP_POOL_SIZE": "16",
       "TENANT_RATE_PER_S": "1000000", "PROVIDER_RATE_PER_S": "1000000", "OUTBOX_POLL_INTERVAL_S": "0.1"}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def run(options: Options) -> Result:
    system = IsolatedSystem(("notifications",), extra_env=ENV)
    system.config.smtp_port, system.config.smtp_http_port = free_port(), free_port()
    with system:
        system.stack.start("smtp-sink")
        sink = httpx.Client(base_url=f"http://127.0.0.1:{system.config.smtp_http_port}", timeout=120)
        baseline = measure_baseline(system.config.smtp_port, sink)
        sink.delete("/messages")
        tenant = system.create_tenant("Bench")
        service = measure_service(system, sink, tenant["tenant_id"])
    figures = [
        Figure("throughput", service["throughput"], "emails/s", baseline["throughput"]),
        Figure("p50", service["p50_ms"], "ms", baseline["p50_ms"]),
        Figure("p99", service["p99_ms"], "ms", baseline["p99_ms"]),
    ]
    settings = {"count": COUNT, "service_env": ENV, "latency": "request published -> accepted by the SMTP server",
                "baseline": "one smtplib connection, one process, same messages, same server"}
    return Result("notifications", TITLE, figures, TARGETS, settings, [{"service": service, "baseline": baseline}])


def _message(i: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ann@acme.example", f"base-{i}@bench.example", f"Invoice {i}"
    msg["Message-ID"] = f"<{uuid.uuid4()}@bench.example>"
    msg.set_content("Please pay invoice %d." % i)
    return msg


def measure_baseline(port: int, sink: httpx.Client) -> dict:
    log(f"baseline: {COUNT} messages with smtplib")
    latencies = []
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(COUNT):
            t = time.perf_counter()
            smtp.send_message(_message(i), from_addr="bounces@bench.example", to_addrs=[f"base-{i}@bench.example"])
            latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    stats = sink.get("/stats").json()
    if stats["distinct"] != COUNT or stats["duplicates"]:
        raise RuntimeError(f"baseline: server counted {stats}")
    return {"throughput": COUNT / elapsed, "p50_ms": pct(latencies, 0.5), "p99_ms": pct(latencies, 0.99),
            "elapsed_s": elapsed}


def measure_service(system: IsolatedSystem, sink: httpx.Client, tenant_id: str) -> dict:
    log(f"service: {COUNT} notification_requested events")
    sent_at: dict[str, float] = {}
    with Connection(system.config.amqp_uri) as conn:
        producer = conn.Producer()
        started = time.time()
        for i in range(COUNT):
            rcpt = f"n-{i}@bench.example"
            body = {"event_id": str(uuid.uuid4()), "event_type": "notification_requested", "producer": "tasks",
                    "tenant_id": tenant_id, "occurred_at": datetime.now(timezone.utc).isoformat(),
                    "schema_version": 1, "data": {
                        "idempotency_key": f"bench-{i}", "kind": "action_email", "channel": "email",
                        "sender": {"email": "ann@acme.example", "name": "Ann"},
                        "recipients": [{"address": rcpt}],
                        "content": {"subject": f"Invoice {i}", "body_text": f"Please pay invoice {i}."}}}
            sent_at[rcpt] = time.time()
            producer.publish(json.dumps(body), exchange="tasks.events", routing_key="notification_requested",
                             headers={"nameko.tenant_id": tenant_id}, content_type="application/json",
                             content_encoding="utf-8", delivery_mode=2)
    deadline = time.time() + max(600, COUNT / 20)
    while True:
        stats = sink.get("/stats").json()
        if stats["count"] >= COUNT or time.time() > deadline:
            break
        time.sleep(1)
    time.sleep(3)  # anything more would be a duplicate
    stats = sink.get("/stats").json()
    if stats["distinct"] != COUNT or stats["duplicates"]:
        raise RuntimeError(f"service: server counted {stats} for {COUNT} requests")
    received = sink.get("/received_at").json()
    latencies = [t - sent_at[rcpt] for rcpt, t in received]
    elapsed = max(t for _, t in received) - started
    return {"throughput": COUNT / elapsed, "p50_ms": pct(latencies, 0.5), "p99_ms": pct(latencies, 0.99),
            "elapsed_s": elapsed, "duplicates": stats["duplicates"], "received": stats["distinct"]}
