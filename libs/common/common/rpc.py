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

import logging

import eventlet
from nameko import rpc as nameko_rpc
from pydantic import ValidationError

from common.db import is_unavailable
from common.errors import AppError, ServiceUnavailable, ValidationFailed

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
    if is_unavailable(exc) or isinstance(exc, (ConnectionError, eventlet.Timeout)):
        return ServiceUnavailable("a dependency is unavailable", code="DATABASE_UNAVAILABLE"
                                  if is_unavailable(exc) else "SERVICE_UNAVAILABLE")
    return AppError("internal error")


class _ReplyPublisher(nameko_rpc.Publisher):
    # A reply is transient (non-persistent, to an exclusive queue): waiting for the broker's
    # confirm of each one cost a round trip per call and bought nothing, since a lost reply
    # already ends in the caller's timeout and an idempotent retry.
    use_confirms = False


nameko_rpc.Responder.publisher_cls = _ReplyPublisher


class Rpc(nameko_rpc.Rpc):
    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None:
            err = as_app_error(exc_info[1])
            if err.code == "INTERNAL":
                log.error("unhandled error in %s", self.method_name, exc_info=exc_info)
            exc_info = (type(err), err, exc_info[2])
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except Exception:
            # The reply could not be published (broker gone). Nameko would let this
            # kill the whole container; the caller has timed out with a 503 anyway,
            # and a retry with its Idempotency-Key replays the committed result.
            log.warning("could not send the reply of %s", self.method_name, exc_info=True)
            return result, exc_info


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


