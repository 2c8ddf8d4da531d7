"""Broker and database outages under load: 503s (never a hang, never a 500), reconnection by
themselves, and every request that got a 2xx processed exactly once.

These stop the machine's shared RabbitMQ and PostgreSQL, so they run last.
"""
import os
import subprocess
import threading
import time
import uuid

import httpx
import pytest

from .broker import publish, wait_for

pytestmark = pytest.mark.disruptive
REQUEST_BUDGET_S = 12  # RPC timeout of the test stack (5 s) plus slack: nothing may hang past it


class Stream:
    """Creates customers continuously, recording what each request answered and how long it took."""

    def __init__(self, base_url: str, key: str, owner: str):
        self.client = httpx.Client(base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {key}"})
        self.owner = owner
        self.results: list[tuple[str, int, float, dict]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            external_id = f"stream-{uuid.uuid4().hex}"
            started = time.monotonic()
            try:
                resp = self.client.post("/v1/customers", json={
                    "external_id": external_id, "name": "Stream", "owner_user_id": self.owner})
                status, body = resp.status_code, resp.json()
            except httpx.HTTPError as exc:
                status, body = -1, {"transport_error": repr(exc)}
            self.results.append((external_id, status, time.monotonic() - started, body))
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(REQUEST_BUDGET_S * 2)

    def count(self, predicate) -> int:
        return sum(1 for r in list(self.results) if predicate(r))

    def wait_for_status(self, status: int, after: int, timeout_s: float = 90):
        wait_for(lambda: any(r[1] == status for r in self.results[after:]), timeout_s)


def assert_outage_handled(system, stream: Stream):
    statuses = {r[1] for r in stream.results}
    assert statuses <= {200, 201, 503}, sorted(statuses)
    assert max(r[2] for r in stream.results) < REQUEST_BUDGET_S
    unavailable = [r for r in stream.results if r[1] == 503]
    assert unavailable and all(r[3]["error"]["code"] in ("SERVICE_UNAVAILABLE", "SERVICE_TIMEOUT",
                                                         "DATABASE_UNAVAILABLE") for r in unavailable)
    succeeded = [r[0] for r in stream.results if r[1] in (200, 201)]
    counts = dict(system.sql("select external_id, count(*) from tasks.customers where external_id = any(%s)"
                             " group by external_id", (succeeded,)))
    assert [e for e in succeeded if counts.get(e) != 1] == []


def _rabbit_pid() -> int:
    out = subprocess.run(["pgrep", "-f", "beam.smp.*rabbit"], capture_output=True, text=True).stdout.split()
    assert out, "RabbitMQ is not running"
    return int(out[0])


def start_rabbitmq() -> None:
    subprocess.run(["rabbitmq-server", "-detached"], check=False, capture_output=True)
    # The node needs a moment before it can even be asked whether it has started.
    wait_for(lambda: subprocess.run(["rabbitmqctl", "-q", "await_startup", "--timeout", "10"],
                                    capture_output=True, timeout=30).returncode == 0, 180, 1)


def test_rabbitmq_killed_mid_stream_gateway_503s_services_reconnect_nothing_doubles(system):
    api = system.api()
    with Stream(system.base_url, api.key, api.user_id) as stream:
        stream.wait_for_status(201, 0)
        os.kill(_rabbit_pid(), 9)
        stream.wait_for_status(503, len(stream.results) - 1, timeout_s=30)
        start_rabbitmq()
        mark = len(stream.results)
        stream.wait_for_status(201, mark)  # services and gateway reconnected by themselves
    assert_outage_handled(system, stream)
    # Events flow again end to end: tasks' relay and workflows' consumer are back too.
    invoice = api.invoice(api.customer()["id"], amount="3.00")
    wait_for(lambda: system.sql("select 1 from workflows.invoice_projection where invoice_id = %s",
                                (invoice["id"],)), 60)


def test_postgresql_stopped_mid_request_gateway_503s_and_recovers(system):
    api = system.api()
    cluster = os.listdir("/etc/postgresql")[0]
    sent = api.invoice(api.customer()["id"], amount="4.00")  # a real invoice's view, sent again below
    late_id = str(uuid.uuid4())
    with Stream(system.base_url, api.key, api.user_id) as stream:
        stream.wait_for_status(201, 0)
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "stop", "-m", "fast"],
                       check=True, timeout=60)
        try:
            stream.wait_for_status(503, len(stream.results) - 1, timeout_s=30)
            # An event that arrives while the database is away: its consumer fails for as long as the
            # outage lasts, well past the test stack's whole retry budget (3 attempts, 0.1 s backoff).
            publish(system.infra.amqp_uri, "tasks.events", "invoice_upserted", {
                "event_id": str(uuid.uuid4()), "event_type": "invoice_upserted", "producer": "tasks",
                "tenant_id": api.tenant_id, "occurred_at": sent["updated_at"], "schema_version": 1,
                "data": {"invoice": {**sent, "id": late_id}, "created": True}}, {"nameko.tenant_id": api.tenant_id})
            time.sleep(3)
        finally:
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "start"],
                           check=True, timeout=60)
        stream.wait_for_status(201, len(stream.results))
    assert_outage_handled(system, stream)
    # Not dead-lettered for an outage that was not its fault: applied once the database is back.
    wait_for(lambda: system.sql("select 1 from workflows.invoice_projection where invoice_id = %s", (late_id,)), 60)
