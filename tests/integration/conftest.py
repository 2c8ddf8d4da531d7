"""The whole system as processes, against real PostgreSQL and RabbitMQ, driven over HTTP.

One stack per test session (its own database and vhost); tests that need a
stack of their own (a service that never ran, a relay switched off) use
``fresh_stack``. Tests marked ``disruptive`` stop the shared servers and run last.
"""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from common.stack import STUBS, Stack, StackConfig, free_port
from common.settings import SERVICES
from common.testing import isolated_infra, migrate

LOG_ROOT = Path(__file__).resolve().parents[2] / ".run" / "test-logs"

# Fast retries so dead-lettering is observable within a test.
TEST_ENV = {"SEND_RETRY_BASE_S": "0.3", "SEND_MAX_ATTEMPTS": "4", "TIMER_LEASE_S": "8",
            "DLQ_MAX_ATTEMPTS": "3", "RETRY_BASE_DELAY_MS": "100", "RPC_TIMEOUT_S": "5",
            "OUTBOX_POLL_INTERVAL_S": "0.2", "TIMER_POLL_INTERVAL_S": "0.2", "DLQ_DEPTH_INTERVAL_S": "0.5"}


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


class Api:
    """An API client acting as one user of one tenant."""

    def __init__(self, base_url: str, tenant: dict):
        self.tenant = tenant
        self.tenant_id = tenant["tenant_id"]
        self.user_id = tenant["user_id"]
        self.key = tenant["api_key"]
        self.http = httpx.Client(base_url=base_url, timeout=30,
                                 headers={"Authorization": f"Bearer {self.key}"})

    def __getattr__(self, name):
        return getattr(self.http, name)

    # Scenario helpers: each one is what an external system would send.
    def customer(self, **kw) -> dict:
        body = {"name": f"Customer {uuid.uuid4().hex[:6]}", "owner_user_id": self.user_id, **kw}
        resp = self.http.post("/v1/customers", json=body)
        assert resp.status_code in (200, 201), resp.text
        return resp.json()

    def invoice(self, customer_id: str, external_id: str | None = None, **kw) -> dict:
        body = {"customer_id": customer_id, "number": f"F-{uuid.uuid4().hex[:6]}", "issue_date": "2026-11-01",
                "due_date": "2026-11-30", "amount": "100.00", "currency": "EUR", **kw}
        resp = self.http.put(f"/v1/invoices/{external_id or uuid.uuid4().hex}", json=body)
        assert resp.status_code in (200, 201), resp.text
        return resp.json()

    def task(self, customer_id: str, invoice_ids=(), **kw) -> dict:
        body = {"customer_id": customer_id, "invoice_ids": list(invoice_ids), "title": "Follow up",
                "assignee_user_id": self.user_id, **kw}
        resp = self.http.post("/v1/tasks", json=body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def user(self, role: str = "member") -> "Api":
        """Another user of this tenant, with a key of its own."""
        resp = self.http.post("/v1/users", json={"email": f"{uuid.uuid4().hex[:8]}@example.com",
                                                 "name": "Colleague", "role": role})
        assert resp.status_code == 201, resp.text
        return Api(str(self.http.base_url), {"tenant_id": self.tenant_id, "user_id": resp.json()["user"]["id"],
                                             "api_key": resp.json()["api_key"], "email": resp.json()["user"]["email"]})

    def timeline(self, customer_id: str) -> list[dict]:
        items, cursor = [], None
        while True:
            resp = self.http.get(f"/v1/customers/{customer_id}/timeline",
                                 params={"limit": 200, **({"cursor": cursor} if cursor else {})})
            assert resp.status_code == 200, resp.text
            page = resp.json()
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items


class System:
    def __init__(self, infra, stack: Stack):
        self.infra = infra
        self.stack = stack
        self.base_url = stack.config.gateway_url

    def create_tenant(self, name: str | None = None) -> dict:
        out = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "create-tenant", name or f"Tenant {uuid.uuid4().hex[:6]}"],
            env=self.stack.config.env_for("gateway"), capture_output=True, text=True, timeout=60, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def api(self, tenant: dict | None = None, ai_suggestions: bool | None = False) -> Api:
        """A client of ``tenant`` (default: a new tenant). A new tenant has AI suggestions off, so a task
        a test makes holds what the test put in it, not what the AI adds a moment later (B3); the AI's
        own tests ask for them on, or for the product's default (``None``: no settings of its own)."""
        if tenant is None:
            tenant = self.create_tenant()
            if ai_suggestions is not None:
                self.sql("insert into tasks.tenant_settings (tenant_id, ai_suggestions) values (%s, %s)"
                         " returning tenant_id", (tenant["tenant_id"], ai_suggestions))
        return Api(self.base_url, tenant)

    def move_clock(self, seconds: float) -> None:
        """Move the services' clock forward (the durable timers fire by it)."""
        path = Path(self.stack.config.extra_env["CLOCK_OFFSET_FILE"])
        current = float(path.read_text()) if path.exists() else 0.0
        path.write_text(str(current + seconds))

    def rpc(self, service: str, method: str, context: dict, **kwargs):
        """Call a service as another service would (nameko's standalone RPC, with context data)."""
        from nameko.standalone.rpc import ClusterRpcProxy

        with ClusterRpcProxy({"AMQP_URI": self.infra.amqp_uri}, context_data=context, timeout=20) as cluster:
            return getattr(getattr(cluster, service), method)(**kwargs)

    @contextmanager
    def holding(self, statement: str, params=()):
        """Another transaction runs ``statement`` (as the admin) and holds its row locks until the block
        ends, then commits: how a concurrency test stands in for a request caught half-way."""
        with psycopg.connect(self.infra.admin_url) as conn:
            conn.execute(statement, params)
            yield conn

    def wait_for_a_lock_wait(self, timeout_s: float = 10.0) -> None:
        """Until some session of this system's database waits on a lock (the request under test)."""
        from .broker import wait_for

        wait_for(lambda: self.sql("select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                                  "and datname = current_database()")[0][0] > 0, timeout_s)

    def sql(self, query: str, params=(), role: str | None = None):
        """Read the database directly, as the admin or as a service role (platform checks only)."""
        url = self.infra.admin_url
        if role:
            from common.migrate import service_database_url
            url = service_database_url(self.infra.admin_url, role)
        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()


@contextmanager
def running_system(name: str, start=STUBS + tuple(SERVICES) + ("gateway",), env: dict | None = None):
    with isolated_infra(f"followup_it_{name}") as infra:
        migrate(infra)
        log_dir = LOG_ROOT / infra.database
        config = StackConfig(admin_url=infra.admin_url, amqp_uri=infra.amqp_uri,
                             log_dir=log_dir, gateway_port=free_port(),
                             http_ports={s: free_port() for s in SERVICES},
                             smtp_port=free_port(), smtp_http_port=free_port(), provider_stub_port=free_port(),
                             extra_env={**TEST_ENV, "CLOCK_OFFSET_FILE": str(log_dir / "clock-offset"),
                                        **(env or {})})
        stack = Stack(config)
        try:
            stack.start_all(list(start))
            yield System(infra, stack)
        finally:
            stack.stop_all()


@pytest.fixture(scope="session")
def system():
    with running_system("shared") as s:
        yield s


@pytest.fixture(scope="session")
def api(system) -> Api:
    return system.api()


@pytest.fixture
def fresh_stack():
    """A system of its own, started by the test (``start`` lists what runs at first)."""
    contexts = []

    def make(start=(), env=None) -> System:
        ctx = running_system("fresh", start=start, env=env)
        contexts.append(ctx)
        return ctx.__enter__()

    yield make
    for ctx in reversed(contexts):
        ctx.__exit__(None, None, None)

