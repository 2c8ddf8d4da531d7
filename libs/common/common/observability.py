"""Per-worker metrics and log context, and the health/metrics HTTP endpoints of a nameko service."""
from __future__ import annotations

import json
import logging
import time

import structlog
from kombu import Connection
from nameko.extensions import DependencyProvider
from nameko.web.handlers import http
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from werkzeug.wrappers import Response

from common import metrics
from common.errors import outcome_of
from common.store import ServiceStore

log = logging.getLogger(__name__)


class Instrumentation(DependencyProvider):
    """Counts and times every entrypoint and binds its context to the logs."""

    def setup(self):
        self.service = self.container.service_name
        self._started: dict = {}

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()
        data = worker_ctx.context_data
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            entrypoint=worker_ctx.entrypoint.method_name,
            correlation_id=data.get("correlation_id"),
            tenant_id=data.get("tenant_id"),
        )

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        name = worker_ctx.entrypoint.method_name
        if name in ("healthz", "readyz", "metrics"):
            return
        outcome = outcome_of(exc_info[1] if exc_info else None)
        metrics.MESSAGES_HANDLED.labels(self.service, name, outcome).inc()
        if started is not None:
            metrics.HANDLER_LATENCY.labels(self.service, name).observe(time.perf_counter() - started)

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)
        structlog.contextvars.clear_contextvars()


class HealthChecks(DependencyProvider):
    """Readiness: can this process reach its database and the broker right now?"""

    store = ServiceStore()

    def get_dependency(self, worker_ctx):
        return self

    def check(self) -> dict:
        checks = {}
        try:
            with self.store.database.engine.connect() as conn:
                conn.execute(text("select 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        try:
            with Connection(self.store.settings.amqp_uri, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {type(exc).__name__}"
        return checks


class PlatformEndpoints:
    """Mixin for every service: ``/healthz``, ``/readyz`` and ``/metrics`` on its HTTP port."""

    instrumentation = Instrumentation()
    health = HealthChecks()

    @http("GET", "/healthz")
    def healthz(self, request):
        return Response(json.dumps({"status": "ok"}), mimetype="application/json")

    @http("GET", "/readyz")
    def readyz(self, request):
        checks = self.health.check()
        ready = all(v == "ok" for v in checks.values())
        return Response(json.dumps({"status": "ready" if ready else "unready", "checks": checks}),
                        status=200 if ready else 503, mimetype="application/json")

    @http("GET", "/metrics")
    def metrics(self, request):
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                        headers={"Content-Type": CONTENT_TYPE_LATEST})
