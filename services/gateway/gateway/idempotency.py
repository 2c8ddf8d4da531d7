"""``Idempotency-Key`` on POST (API.md) and on the PATCHes of tasks, actions and promises, scoped to the tenant.

The first request with a key runs; the same key and body within the TTL
replays its response (errors included) without running again; another body
is 422 ``IDEMPOTENCY_KEY_REUSED``; a repeat while the first still runs is
409 ``IDEMPOTENCY_IN_PROGRESS``. A 5xx is not kept: the request may not have
happened, so a retry of it runs again (another body is still 422); the key also travels to the service, which
applies it at most once (``UnitOfWork.begin_request``), so a retry after a
lost reply cannot act twice. It travels with the request's fingerprint: the
same key for another request is another request there as well.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable

import orjson
from starlette.requests import Request

from common.errors import AppError, Conflict, ValidationFailed, status_for

log = logging.getLogger(__name__)

LOCK_S = 60
PURGE_BATCH = 5000
Handler = Callable[[str | None], Awaitable[tuple[int, object]]]


def request_fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    digest.update(body)
    return digest.hexdigest()


class Replay(Exception):
    def __init__(self, status: int, body):
        self.status, self.body = status, body


async def run_idempotent(request: Request, db, tenant_id: str, ttl_s: int, handler: Handler) -> tuple[int, object]:
    key = request.headers.get("idempotency-key")
    if key is None:
        return await handler(None)
    if not 1 <= len(key) <= 200:
        raise ValidationFailed("Idempotency-Key must be 1 to 200 characters", code="VALIDATION_ERROR")
    fingerprint = request_fingerprint(request, await request.body())
    now = datetime.now(timezone.utc)
    async with db.transaction(tenant_id) as conn:
        inserted = await (await conn.execute(
            "insert into idempotency_records (tenant_id, key, method, path, request_hash, state, locked_until)"
            " values (%s, %s, %s, %s, %s, 'in_progress', %s) on conflict do nothing returning 1",
            (tenant_id, key, request.method, request.url.path, fingerprint, now + timedelta(seconds=LOCK_S)),
        )).fetchone()
        if not inserted:
            row = await (await conn.execute(
                "select * from idempotency_records where tenant_id = %s and key = %s for update",
                (tenant_id, key))).fetchone()
            expired = row["created_at"] < now - timedelta(seconds=ttl_s)
            if not expired:
                if row["request_hash"] != fingerprint:
                    raise ValidationFailed("this Idempotency-Key was used with another request",
                                           code="IDEMPOTENCY_KEY_REUSED")
                if row["state"] == "done":
                    raise Replay(row["response_status"], row["response_body"])
                if row["locked_until"] > now:
                    raise Conflict("a request with this Idempotency-Key is still running",
                                   code="IDEMPOTENCY_IN_PROGRESS")
            # Expired, or its first holder died mid-request: take the key over.
            await conn.execute(
                "update idempotency_records set request_hash = %s, state = 'in_progress', locked_until = %s,"
                " created_at = %s, method = %s, path = %s where tenant_id = %s and key = %s",
                (fingerprint, now + timedelta(seconds=LOCK_S), now, request.method, request.url.path,
                 tenant_id, key))
    try:
        # The service applies a key at most once, and remembers it longer than this TTL: the request's
        # fingerprint goes with it, so a key reused for another request after the TTL (or after a 5xx)
        # is a new request there too, not a replay of the old one.
        status, body = await handler(f"{key}:{fingerprint}")
    except AppError as err:
        status = status_for(err.code, err.status)
        if status >= 500:
            await _release(db, tenant_id, key)
            raise
        await _store(db, tenant_id, key, status, err.to_body())
        raise
    except BaseException:
        await _release(db, tenant_id, key)
        raise
    await _store(db, tenant_id, key, status, body)
    return status, body


async def _store(db, tenant_id: str, key: str, status: int, body) -> None:
    async with db.transaction(tenant_id) as conn:
        await conn.execute(
            "update idempotency_records set state = 'done', response_status = %s, response_body = %s"
            " where tenant_id = %s and key = %s",
            (status, orjson.dumps(body).decode(), tenant_id, key))


async def _release(db, tenant_id: str, key: str) -> None:
    """After a 5xx: the key is free for a retry at once, but only for the same request. The record stays
    (with its fingerprint) so another body is still 422, not a second request the service would take
    for new because its fingerprint differs, while the first may have been done."""
    try:
        async with db.transaction(tenant_id) as conn:
            await conn.execute("update idempotency_records set locked_until = now() where tenant_id = %s"
                               " and key = %s and state = 'in_progress'", (tenant_id, key))
    except AppError:
        pass  # the database is down; the lock expires by itself


async def purge_expired(db, ttl_s: int) -> int:
    """Delete the records past their TTL, in batches (each its own transaction). An expired record only
    ever served to be taken over by its key's next request, which now finds none and inserts one."""
    purged = 0
    while True:
        async with db.transaction() as conn:
            row = await (await conn.execute("select purge_idempotency_records(%s, %s) as purged",
                                            (ttl_s, PURGE_BATCH))).fetchone()
        purged += row["purged"]
        if row["purged"] < PURGE_BATCH:
            return purged


async def purge_loop(db, ttl_s: int, interval_s: float) -> None:
    """Every gateway replica purges now and then; they skip each other's rows."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            purged = await purge_expired(db, ttl_s)
        except Exception as exc:  # the database away or slow: the next round catches up
            log.warning("idempotency purge failed", extra={"error": repr(exc)})
            continue
        if purged:
            log.info("expired idempotency records purged", extra={"purged": purged})
