"""Users of a tenant and their API keys."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from psycopg.errors import UniqueViolation
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from common.errors import Conflict
from gateway.auth import create_user
from gateway.deps import Caller, caller
from gateway.routes._util import idempotent_post

router = APIRouter(prefix="/v1", tags=["users"])


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    role: Literal["admin", "member", "client", "integration"]


@router.post("/users", status_code=201)
async def post_user(body: UserCreate, who: Caller = Depends(caller)):
    """An admin creates a user; the response holds its API key, shown this once."""
    who.identity.require_role("admin")
    state = who.request.app.state

    async def handler(_key):
        try:
            async with state.db.transaction(who.tenant_id) as conn:
                user, api_key = await create_user(conn, who.tenant_id, body.email, body.name, body.role,
                                                  state.settings.api_key_pepper)
        except UniqueViolation:
            raise Conflict("a user with this email exists in this tenant", code="USER_EXISTS") from None
        return 201, {"user": {k: str(v) if k in ("id", "tenant_id", "created_at") else v
                              for k, v in user.items()}, "api_key": api_key}

    return await idempotent_post(who, handler)
