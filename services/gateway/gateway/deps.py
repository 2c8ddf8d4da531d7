"""Request dependencies: who is calling, and a handle to call the services as them."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from common.context import Principal
from gateway.auth import Identity


@dataclass
class Caller:
    identity: Identity
    request: Request

    @property
    def tenant_id(self) -> str:
        return self.identity.tenant_id

    def principal(self, idempotency_key: str | None = None) -> Principal:
        return self.identity.principal(self.request.scope["state"].get("request_id"), idempotency_key)

    async def call(self, service: str, method: str, idempotency_key: str | None = None, **kwargs):
        rpc = self.request.app.state.rpc
        return await rpc.call(service, method, self.principal(idempotency_key), **kwargs)

    async def read(self, service: str, method: str, **kwargs) -> Response:
        """A read whose JSON result goes to the client as the service wrote it."""
        body = await self.request.app.state.rpc.call(service, method, self.principal(), raw=True, **kwargs)
        return Response(body, media_type="application/json")


async def caller(request: Request) -> Caller:
    state = request.app.state
    identity = await state.authenticator.identify(request.headers.get("authorization"))
    state.rate_limits.take(identity.tenant_id)
    return Caller(identity, request)


STAFF = ("admin", "member", "integration")


async def staff(request: Request) -> Caller:
    """A caller with a staff role. One dependency, not one on top of ``caller``: each level costs
    FastAPI a resolution pass on every request. Async, as every dependency here: a sync one runs in
    the thread pool, a thread hop per request."""
    who = await caller(request)
    who.identity.require_role(*STAFF)
    return who
