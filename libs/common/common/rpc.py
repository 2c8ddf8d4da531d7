"""RPC between services and from the gateway.

- ``rpc`` is nameko's entrypoint with one addition: any exception leaves as an
  :class:`~common.errors.AppError`, so callers always get a code from the
  registry (an unreachable database becomes ``DATABASE_UNAVAILABLE``, a
  pydantic error becomes ``VALIDATION_ERROR`` with its details, a bug becomes
  ``INTERNAL`` without leaking its text).
- ``TimedRpcProxy`` bounds every service-to-service call: nameko 2.14's proxy
  waits forever for a reply that may never come.
"""
from __future__ import annotations

import inspect
import logging
import sys

import amqp
import eventlet
from nameko import rpc as nameko_rpc
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import IncorrectSignature, UnserializableValueError, serialize
from nameko.extensions import SharedExtension
from pydantic import ValidationError

from common.context import DIRECT_REPLY_TO
from common.db import is_unavailable
from common.errors import (CLIENT_ERRORS, AppError, ServiceUnavailable, ValidationFailed, is_nul_refusal,
                           nul_character)
from common.outbox import BrokerLink
from common.serialization import dumps_bytes

log = logging.getLogger(__name__)


def validation_details(exc: ValidationError) -> list[dict]:
    return [
        {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def as_app_error(exc: BaseException) -> AppError:
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, ValidationError):
        return ValidationFailed("request validation failed", validation_details(exc))
    if is_nul_refusal(exc):
        return nul_character()
    if is_unavailable(exc) or isinstance(exc, (ConnectionError, eventlet.Timeout)):
        return ServiceUnavailable("a dependency is unavailable", code="DATABASE_UNAVAILABLE"
                                  if is_unavailable(exc) else "SERVICE_UNAVAILABLE")
    return AppError("internal error")


class ReplySender(SharedExtension):
    """Sends the replies of a service's RPC workers on one connection of its own, each a plain
    transient publish to the caller's reply queue. nameko's Responder encodes every reply twice
    and goes through kombu's producer pool and retry wrapper: a sixth of a small call's CPU.

    A reply is transient (non-persistent, to an exclusive queue) and sent without a publisher
    confirm: a lost reply already ends in the caller's timeout and an idempotent retry. A caller
    that asked for RabbitMQ's direct reply-to (the gateway) gets it through the default exchange;
    nameko's own proxies have a reply queue bound to the RPC exchange."""

    def setup(self):
        self.exchange = nameko_rpc.get_rpc_exchange(self.container.config).name
        self.link = BrokerLink(self.container.config[AMQP_URI_CONFIG_KEY], lambda conn: conn.channel())
        self._lock = eventlet.semaphore.Semaphore()  # one writer at a time on the socket

    def send(self, reply_to: str, correlation_id: str | None, content_type: str, body: bytes) -> None:
        exchange = "" if reply_to.startswith(DIRECT_REPLY_TO) else self.exchange
        with self._lock, self.link.channel() as channel:
            channel.basic_publish(
                amqp.Message(body, content_type=content_type, content_encoding="utf-8",
                             correlation_id=correlation_id, delivery_mode=1),
                exchange=exchange, routing_key=reply_to)

    def stop(self):
        self.link.close()

    kill = stop


class RpcConsumer(nameko_rpc.RpcConsumer):
    """nameko's RPC consumer, answering through ``ReplySender``: its workers' results, and its own
    refusals (an unknown method, a malformed request), which nameko would send with its Responder
    to the RPC exchange, where a direct reply-to address does not route."""

    replies = ReplySender()

    def handle_result(self, message, result, exc_info):
        error = serialize(exc_info[1]) if exc_info is not None else None
        try:
            body = dumps_bytes({"result": result, "error": error})
        except Exception:  # as nameko does: the caller gets an error, the worker's result is dropped
            exc_info = sys.exc_info()
            result, body = None, dumps_bytes({"result": None, "error": serialize(UnserializableValueError(result))})
        try:
            self.replies.send(message.properties["reply_to"], message.properties.get("correlation_id"),
                              message.properties.get("content_type") or "application/json", body)
        except Exception:
            # The reply could not be published (its link went stale with a broker restart). The work is
            # done and committed: the request is acked all the same, or it would hold one of the
            # consumer's prefetch slots for good, and run again, long after its caller left, once the
            # connection resets. The caller times out with a 503; a retry with its Idempotency-Key
            # replays the committed result. Raising would make nameko kill the whole container.
            log.warning("could not send the reply to %s", message.delivery_info.get("routing_key"), exc_info=True)
        try:
            self.queue_consumer.ack_message(message)
        except Exception:  # the consumer's own connection is gone: the request returns with it
            log.warning("could not ack a request on %s", message.delivery_info.get("routing_key"), exc_info=True)
        return result, exc_info


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()

    def __init__(self, expected_exceptions=CLIENT_ERRORS, **kwargs):
        # A refusal (404, 409, 422...) is an answer, not a failure: nameko logs it as "expected",
        # which common.logs turns into one INFO line.
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def setup(self):
        super().setup()
        self._signature = inspect.signature(getattr(self.container.service_cls, self.method_name))

    def check_signature(self, args, kwargs):
        # nameko runs inspect.getcallargs on every call: a signature bound once checks the same in a quarter of the time
        try:
            self._signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None:
            err = as_app_error(exc_info[1])
            if err.code == "INTERNAL":
                log.error("unhandled error in %s", self.method_name, exc_info=exc_info)
            exc_info = (type(err), err, exc_info[2])
        return self.rpc_consumer.handle_result(message, result, exc_info)


rpc = Rpc.decorator


class RpcTimeout(ServiceUnavailable):
    code = "SERVICE_TIMEOUT"


class _TimedMethod:
    def __init__(self, method_proxy, timeout: float, target: str):
        self._method_proxy = method_proxy
        self._timeout = timeout
        self._target = target

    def __call__(self, *args, **kwargs):
        with eventlet.Timeout(self._timeout, RpcTimeout(f"{self._target} did not answer in {self._timeout}s")):
            return self._method_proxy(*args, **kwargs)


class _TimedServiceProxy:
    def __init__(self, service_proxy, timeout: float, service_name: str):
        self._service_proxy = service_proxy
        self._timeout = timeout
        self._service_name = service_name

    def __getattr__(self, name):
        return _TimedMethod(getattr(self._service_proxy, name), self._timeout, f"{self._service_name}.{name}")


class TimedRpcProxy(nameko_rpc.RpcProxy):
    def __init__(self, target_service: str, timeout: float | None = None, **options):
        self.timeout = timeout
        super().__init__(target_service, **options)

    def get_dependency(self, worker_ctx):
        timeout = self.timeout or self.container.config.get("RPC_TIMEOUT_S", 10.0)
        return _TimedServiceProxy(super().get_dependency(worker_ctx), timeout, self.target_service)


