"""The gateway application: ``create_app(settings)``."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from common.errors import AppError, is_nul_refusal, nul_character
from common.gc_tuning import tune_gc
from gateway.auth import Authenticator
from gateway import openapi
from gateway.db import GatewayDatabase
from gateway.idempotency import purge_loop
from gateway.middleware import GatewayMiddleware
from gateway.ratelimit import TokenBuckets
from gateway.responses import JSONResponse, error_response
from gateway.routes import inbound as inbound_routes, notifications as notifications_routes, tasks as tasks_routes, users as users_routes
from gateway.rpc_client import RpcClient
from gateway.settings import GatewaySettings

log = logging.getLogger("gateway")

HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 401: "UNAUTHENTICATED", 403: "FORBIDDEN",
              413: "PAYLOAD_TOO_LARGE"}


def _validation_details(exc: RequestValidationError) -> list[dict]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()]


def create_app(settings: GatewaySettings) -> FastAPI:
    db = GatewayDatabase(settings.database_url, settings.db_pool_size)
    rpc = RpcClient(settings.amqp_uri, settings.rpc_timeout_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await db.open()
        await rpc.start()
        purging = asyncio.create_task(
            purge_loop(db, settings.idempotency_ttl_s, settings.idempotency_purge_interval_s))
        tune_gc()
        yield
        purging.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purging
        await rpc.close()
        await db.close()

    app = FastAPI(
        title="Follow-up back office API",
        version="1.0.0",
        description="The one HTTP entry for external systems. Errors are "
                    '`{"error": {"code", "message", "details"}}`; see API.md.',
        lifespan=lifespan,
        default_response_class=JSONResponse,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.rpc = rpc
    app.state.authenticator = Authenticator(db, settings.api_key_pepper, settings.auth_cache_ttl_s)
    app.state.rate_limits = TokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst)

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError):
        if exc.code in ("INTERNAL",):
            log.error("internal error", exc_info=exc)
        return error_response(exc)  # GatewayMiddleware adds the X-Request-ID on the way out

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        details = _validation_details(exc)
        if any(d["type"] == "json_invalid" for d in details):
            return error_response(AppError("the body is not valid JSON", details, code="MALFORMED_JSON"))
        return error_response(AppError("request validation failed", details, code="VALIDATION_ERROR"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        err = AppError(str(exc.detail), code=HTTP_CODES.get(exc.status_code, "BAD_REQUEST"))
        err.status = exc.status_code
        return JSONResponse(err.to_body(), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(psycopg.DataError)
    async def data_refused(request: Request, exc: psycopg.DataError):
        if is_nul_refusal(exc):  # the gateway's own tables (users, keys, idempotency records)
            return error_response(nul_character())
        return await unexpected(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.error("unhandled error", exc_info=exc)
        # Starlette sends this one from outside every middleware: the request id goes on here.
        return error_response(AppError("internal error"), request.scope.get("state", {}).get("request_id"))

    @app.get("/healthz", tags=["health"])
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz():
        checks = {"database": "ok" if await db.ping() else "error", "broker": "ok" if rpc.ready else "error"}
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "unready", "checks": checks},
                            status_code=200 if ready else 503)

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics_endpoint():
        return Response(generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.include_router(users_routes.router)
    app.include_router(tasks_routes.router)
    app.include_router(notifications_routes.router)
    app.include_router(inbound_routes.router)
    app.add_middleware(GatewayMiddleware, max_body_bytes=settings.max_body_bytes,
                       inbound_max_body_bytes=settings.inbound_max_body_bytes)
    openapi.install(app)
    return app
