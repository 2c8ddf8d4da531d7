"""Baseline of the gateway scenario: ``GET /v1/tasks/{id}`` as one in-process FastAPI endpoint.

It does the database work of the tasks service's ``get_task`` (the same four
queries, in one transaction scoped by ``set_config('app.tenant_id', ..., true)``,
as the same ``followup_tasks`` role under row-level security) and builds the
same JSON with the same contracts and rules, so the gap to the gateway is
what the architecture adds: authentication, the AMQP round trip, the
eventlet worker and SQLAlchemy. No authentication: the tenant and viewer
come from the environment (BASELINE_TENANT_ID, BASELINE_USER_ID).

Run: ``python -m bench.baseline_app`` with DATABASE_URL (the followup_tasks
role's URL) and BASELINE_PORT; served like the gateway (see gateway/__main__.py).
"""
from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from starlette.responses import Response

from common.logs import configure_logging
from common.serialization import dumps_bytes
from tasks import repository as repo
from tasks.views import case_file

# The tasks service's max_workers default: the most get_task queries it runs at once.
POOL_SIZE = 10


async def run(conn, query: "repo.CompiledQuery", *values) -> list[dict]:
    """One of the tasks repository's compiled case-file queries: the service runs the very same SQL."""
    return await (await conn.execute(query.sql, dict(zip(query.param_names, values)))).fetchall()


def create_app(database_url: str, tenant_id: str, user_id: str) -> FastAPI:
    pool = AsyncConnectionPool(
        database_url, min_size=2, max_size=POOL_SIZE, open=False, timeout=5,
        kwargs={"options": "-c search_path=tasks -c statement_timeout=30000 -c TimeZone=UTC", "connect_timeout": 3,
                "row_factory": dict_row, "application_name": "followup-bench-baseline"},
        # A liveness check per checkout, as the gateway's pool and the service's pool_pre_ping do.
        check=AsyncConnectionPool.check_connection,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await pool.open(wait=True, timeout=10)
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def readyz():
        async with pool.connection() as conn:
            await conn.execute("select 1")
        return Response(b'{"status":"ready"}', media_type="application/json")

    @app.get("/v1/tasks/{task_id}")
    async def get_task(task_id: uuid.UUID):
        async with pool.connection() as conn, conn.transaction():
            await conn.execute("select set_config('app.tenant_id', %s, true)", (tenant_id,))
            heads = await run(conn, repo.CASE_FILE_HEAD, task_id)
            if not heads:
                return Response(b'{"error":{"code":"TASK_NOT_FOUND"}}', 404, media_type="application/json")
            head = heads[0]
            parts = repo.split_case_file(head, await run(conn, repo.CASE_FILE_ACTIONS, head["id"]))
            invoices = []
            if head["invoice_ids"]:
                by_id = {r["id"]: r for r in await run(conn, repo.INVOICES_BY_IDS, list(head["invoice_ids"]))}
                invoices = [by_id[i] for i in head["invoice_ids"] if i in by_id]
            timeline = await run(conn, repo.RECENT_TIMELINE, head["customer_id"], 50)
        # The same pure assembly the service runs (tasks.views.case_file), serialised as the service does.
        body = case_file(**parts, invoices=invoices, timeline=timeline, viewer=user_id)
        return Response(dumps_bytes(body), media_type="application/json")

    return app


def main() -> None:
    configure_logging("bench-baseline", os.environ.get("LOG_LEVEL", "WARNING"))
    app = create_app(os.environ["DATABASE_URL"], os.environ["BASELINE_TENANT_ID"], os.environ["BASELINE_USER_ID"])
    # The gateway's uvicorn settings (gateway/__main__.py): one process, uvloop, httptools, no access log.
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["BASELINE_PORT"]), log_config=None,
                access_log=False, timeout_graceful_shutdown=20, loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
