"""Tenant and principal context.

The gateway authenticates a request and sends who is calling as nameko context
data (AMQP headers ``nameko.<key>``). Nameko carries context data through RPC
and events, so every worker knows its tenant without trusting any payload
field a caller could forge.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from common.errors import Unauthenticated

TENANT_ID = "tenant_id"
USER_ID = "user_id"
ROLE = "role"
CORRELATION_ID = "correlation_id"
IDEMPOTENCY_KEY = "idempotency_key"
USER_EMAIL = "user_email"
CONTEXT_KEYS = (TENANT_ID, USER_ID, ROLE, CORRELATION_ID, IDEMPOTENCY_KEY, USER_EMAIL)
HEADER_PREFIX = "nameko."
# RabbitMQ's pseudo-queue for RPC replies, which the gateway asks for: a reply to it skips queues
# altogether, and is published to the default exchange (``common.rpc.ReplySender``).
DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    user_id: str | None
    role: str | None
    correlation_id: str | None = None
    idempotency_key: str | None = None
    user_email: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def as_context_data(self) -> dict:
        data = {
            TENANT_ID: self.tenant_id,
            USER_ID: self.user_id,
            ROLE: self.role,
            CORRELATION_ID: self.correlation_id,
            IDEMPOTENCY_KEY: self.idempotency_key,
            USER_EMAIL: self.user_email,
        }
        return {k: v for k, v in data.items() if v is not None}

    def as_headers(self) -> dict:
        return {HEADER_PREFIX + k: v for k, v in self.as_context_data().items()}


def principal_from_context(context_data: dict) -> Principal:
    tenant_id = context_data.get(TENANT_ID)
    if not tenant_id:
        raise Unauthenticated("no tenant in the call context")
    try:
        tenant_id = str(uuid.UUID(str(tenant_id)))
    except ValueError as exc:
        raise Unauthenticated("malformed tenant in the call context") from exc
    return Principal(
        tenant_id=tenant_id,
        user_id=context_data.get(USER_ID),
        role=context_data.get(ROLE),
        correlation_id=context_data.get(CORRELATION_ID),
        idempotency_key=context_data.get(IDEMPOTENCY_KEY),
        user_email=context_data.get(USER_EMAIL),
    )


class _NoPrincipal:
    """Stands in for the caller of a call that carried no tenant (health checks, a forged message):
    touching it raises, so nothing runs unscoped."""

    def __init__(self, reason: Unauthenticated):
        self._reason = reason

    def __getattr__(self, name):
        raise self._reason


class CallerContext(DependencyProvider):
    """Injects the caller's :class:`Principal`, taken from nameko context data only."""

    def get_dependency(self, worker_ctx):
        try:
            return principal_from_context(worker_ctx.context_data)
        except Unauthenticated as exc:
            return _NoPrincipal(exc)
