"""ASGI middleware: request ids, metrics, structured access logs and the body size limit."""
from __future__ import annotations

import logging
import time
import uuid

import structlog

from starlette.exceptions import HTTPException

from common import metrics
from common.errors import PayloadTooLarge
from gateway.responses import error_response

log = logging.getLogger("gateway.access")
INBOUND_PREFIX = "/v1/inbound/"


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so FastAPI's body
    parsing lets it through as a 413 instead of turning it into a 400."""

    def __init__(self, limit: int):
        super().__init__(413, f"request bodies are limited to {limit} bytes")


class GatewayMiddleware:
    def __init__(self, app, max_body_bytes: int, inbound_max_body_bytes: int | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes
        # A provider forwards an email with its attachments (SendGrid: up to 30 MB) and cannot be asked
        # to send less; it would retry a 413 for days and then drop the message.
        self.inbound_max_body_bytes = inbound_max_body_bytes or max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        request_id = (headers.get(b"x-request-id") or b"").decode()[:100] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        limit = self.inbound_max_body_bytes if scope["path"].startswith(INBOUND_PREFIX) else self.max_body_bytes

        def too_large():  # built only when needed: most requests never are; send_wrapper adds the id
            return error_response(PayloadTooLarge(f"request bodies are limited to {limit} bytes"))

        declared = headers.get(b"content-length")
        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await too_large()(scope, receive, send_wrapper)
                return
            received = 0

            async def receive_limited():
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise BodyTooLarge(limit)
                return message

            await self.app(scope, receive_limited, send_wrapper)
        except BodyTooLarge:
            if not status_holder["started"]:
                await too_large()(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            metrics.HTTP_REQUESTS.labels(path, scope["method"], str(status_holder["status"])).inc()
            metrics.HTTP_LATENCY.labels(path, scope["method"]).observe(elapsed)
            if status_holder["status"] >= 500 or path not in ("/healthz", "/readyz", "/metrics"):
                log.info("request", extra={"method": scope["method"], "route": path,
                                           "status": status_holder["status"], "ms": round(elapsed * 1000, 1)})
            structlog.contextvars.clear_contextvars()
