"""Helpers shared by the route modules."""
from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from common.errors import ValidationFailed
from gateway.deps import Caller
from gateway.idempotency import Replay, run_idempotent
from gateway.responses import JSONResponse


async def ensure_users(request: Request, tenant_id: str, user_ids) -> None:
    """Owners and assignees must be users of the caller's tenant (the gateway owns identity)."""
    wanted = {uuid.UUID(str(u)) for u in user_ids if u is not None}
    if not wanted:
        return
    async with request.app.state.db.transaction(tenant_id) as conn:
        rows = await (await conn.execute("select id from users where id = any(%s)", (list(wanted),))).fetchall()
    missing = wanted - {r["id"] for r in rows}
    if missing:
        raise ValidationFailed("unknown user(s) in this tenant", {"user_ids": sorted(map(str, missing))},
                               code="UNKNOWN_USER")


async def idempotent_post(who: Caller, handler) -> JSONResponse:
    """Runs ``handler(idempotency_key) -> (status, body)`` under the Idempotency-Key rules (a POST's, and a
    PATCH's whose retry after a lost reply must not read as a conflict with itself)."""
    state = who.request.app.state
    try:
        status, body = await run_idempotent(who.request, state.db, who.tenant_id,
                                            state.settings.idempotency_ttl_s, handler)
    except Replay as replay:
        return Response(replay.body, status_code=replay.status, media_type="application/json",
                        headers={"Idempotent-Replayed": "true"})
    return JSONResponse(body, status_code=status)
