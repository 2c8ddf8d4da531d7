"""Nameko RPC from asyncio, over pika's asyncio adapter.

One AMQP connection, futures keyed by correlation id: the wire protocol nameko's
own proxies speak (request on ``nameko-rpc`` with routing key
``<service>.<method>``, body ``{"args", "kwargs"}``, context data as
``nameko.*`` headers; reply ``{"result", "error"}`` to ``reply_to``). Replies
come by RabbitMQ's direct reply-to: no reply queue, so the broker hands each
reply straight to this connection instead of passing it through a queue.
Requests are non-persistent and expire with their timeout, so a request the
gateway gave up on is not worked on later. Publishing is ``mandatory``: a
service whose queue does not exist answers 503 at once instead of timing out.
The connection reopens by itself after the broker comes back.
"""
from __future__ import annotations

import asyncio
import logging
import uuid

import orjson
import pika
from pika.adapters.asyncio_connection import AsyncioConnection
from pika.adapters.utils.io_services_utils import _AsyncPlaintextTransport

from common.context import DIRECT_REPLY_TO, Principal
from common.errors import AppError, ServiceUnavailable, from_remote, outcome_of
from common import metrics

log = logging.getLogger(__name__)
EXCHANGE = "nameko-rpc"
RESULT_PREFIX, RESULT_SUFFIX = b'{"result":', b',"error":null}'


# pika reads its socket 4 KiB at a time: a 23 KB reply (a queue page) took six recv() calls, each
# followed by a frame-decoding pass over the growing buffer. One read takes what the socket holds.
_AsyncPlaintextTransport._MAX_RECV_BYTES = 65536


class _Connection(AsyncioConnection):
    """pika's asyncio connection, sending each request in one ``send()`` as it is published.

    pika writes a message's method, header and body frames one at a time, and its transport never
    sends at once: it watches the socket for writability and sends on the next loop iteration
    (a writer added and removed, two epoll changes and a loop round per request). Here the frames
    go out together, straight away when nothing is queued before them; whatever the socket does
    not take goes to pika's own buffer and writability watcher, as before."""

    def _output_marshaled_frames(self, marshaled_frames) -> None:
        data = b"".join(marshaled_frames)
        self.bytes_sent += len(data)
        self.frames_sent += len(marshaled_frames)
        transport = self._transport
        if (isinstance(transport, _AsyncPlaintextTransport) and transport.get_write_buffer_size() == 0
                and transport._state == transport._STATE_ACTIVE):
            try:
                data = data[transport._sock.send(data):]
            except OSError:  # would block, or broken: pika's own write path retries or closes properly
                pass
            if not data:
                return
        self._adapter_emit_data(data)


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(asyncio.TimeoutError())


class RpcClient:
    def __init__(self, amqp_uri: str, timeout: float = 10.0):
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self._pending: dict[str, asyncio.Future] = {}
        self._ready = asyncio.Event()
        self._closing = False
        self._conn: AsyncioConnection | None = None
        self._channel = None
        self._retry_delay = 0.2

    # ---- connection life cycle ------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._connect()

    async def close(self) -> None:
        self._closing = True
        if self._conn is not None and not (self._conn.is_closed or self._conn.is_closing):
            self._conn.close()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def _connect(self) -> None:
        params = pika.URLParameters(self.amqp_uri)
        params.heartbeat = 30
        params.connection_attempts = 1
        params.socket_timeout = 5
        params.blocked_connection_timeout = 10
        self._conn = _Connection(
            params,
            on_open_callback=self._on_open,
            on_open_error_callback=self._on_open_error,
            on_close_callback=self._on_closed,
            custom_ioloop=self._loop,
        )

    def _schedule_reconnect(self) -> None:
        if self._closing:
            return
        delay, self._retry_delay = self._retry_delay, min(5.0, self._retry_delay * 2)
        self._loop.call_later(delay, self._connect)

    def _on_open(self, conn) -> None:
        conn.channel(on_open_callback=self._on_channel)

    def _on_open_error(self, conn, error) -> None:
        log.warning("broker connection failed", extra={"error": str(error)})
        self._schedule_reconnect()

    def _on_closed(self, conn, reason) -> None:
        self._ready.clear()
        self._channel = None
        self._fail_pending(ServiceUnavailable("the message broker connection was lost"))
        if not self._closing:
            log.warning("broker connection closed", extra={"reason": str(reason)})
            self._schedule_reconnect()

    def _on_channel(self, channel) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True, callback=self._on_exchange)

    def _on_exchange(self, _frame) -> None:
        # Direct reply-to: consumed with auto-ack on the channel that publishes the requests.
        self._channel.basic_consume(DIRECT_REPLY_TO, self._on_reply, auto_ack=True, callback=self._on_consuming)

    def _on_consuming(self, _frame) -> None:
        self._retry_delay = 0.2
        self._ready.set()
        log.info("rpc client ready")

    def _on_channel_closed(self, channel, reason) -> None:
        self._ready.clear()
        if self._conn is not None and self._conn.is_open:
            self._conn.close()

    def _fail_pending(self, exc: Exception) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(exc)

    # ---- messages ------------------------------------------------------------------
    def _on_reply(self, channel, method, properties, body) -> None:
        future = self._pending.pop(properties.correlation_id, None)
        if future is not None and not future.done():
            future.set_result(body)

    def _on_return(self, channel, method, properties, body) -> None:
        future = self._pending.pop(properties.correlation_id, None)
        if future is not None and not future.done():
            future.set_exception(ServiceUnavailable(f"no service is consuming {method.routing_key}"))

    async def call(self, service: str, method: str, principal: Principal, timeout: float | None = None,
                   raw: bool = False, **kwargs):
        """Call ``service.method(**kwargs)`` as ``principal``; with ``raw`` the result's JSON bytes."""
        timeout = timeout or self.timeout
        if not self._ready.is_set():
            try:
                await asyncio.wait_for(self._ready.wait(), timeout=min(2.0, timeout))
            except asyncio.TimeoutError:
                metrics.RPC_CALLS.labels(service, method, "unavailable").inc()
                raise ServiceUnavailable("the message broker is unavailable") from None
        # Encoded before anything is pending: arguments that cannot be sent are the caller's bug (a
        # 500), not a broker outage (a 503 that would page someone about RabbitMQ).
        body = orjson.dumps({"args": [], "kwargs": kwargs})
        correlation_id = uuid.uuid4().hex
        future = self._loop.create_future()
        self._pending[correlation_id] = future
        # The timeout fails the future itself: asyncio.wait_for would put a second future and a
        # callback between the reply and this coroutine, one more loop iteration per call.
        expiry = self._loop.call_later(timeout, _expire, future)
        headers = principal.as_headers()
        headers["nameko.call_id_stack"] = [f"gateway.{service}.{method}.{correlation_id}"]
        try:
            self._channel.basic_publish(
                EXCHANGE, f"{service}.{method}", body,
                pika.BasicProperties(
                    content_type="application/json", content_encoding="utf-8", reply_to=DIRECT_REPLY_TO,
                    correlation_id=correlation_id, headers=headers, delivery_mode=1,
                    expiration=str(int(timeout * 1000)),
                ),
                mandatory=True,
            )
            body = await future
        except asyncio.TimeoutError:
            metrics.RPC_CALLS.labels(service, method, "timeout").inc()
            raise ServiceUnavailable(f"{service} did not answer in {timeout}s", code="SERVICE_TIMEOUT") from None
        except AppError:
            metrics.RPC_CALLS.labels(service, method, "unavailable").inc()
            raise
        except Exception as exc:  # the channel closed under us
            metrics.RPC_CALLS.labels(service, method, "unavailable").inc()
            raise ServiceUnavailable("the message broker is unavailable") from exc
        finally:
            expiry.cancel()
            self._pending.pop(correlation_id, None)
        if raw and body.startswith(RESULT_PREFIX) and body.endswith(RESULT_SUFFIX):
            # The services write replies with orjson in a fixed shape: the result's bytes can
            # go to the client as they are, with no parse and re-encode on the hot read path.
            metrics.RPC_CALLS.labels(service, method, "ok").inc()
            return body[len(RESULT_PREFIX):-len(RESULT_SUFFIX)]
        reply = orjson.loads(body)
        error = reply.get("error")
        if error:
            err = from_remote(error.get("exc_type", ""), error.get("exc_args") or [])
            metrics.RPC_CALLS.labels(service, method, outcome_of(err)).inc()
            raise err
        metrics.RPC_CALLS.labels(service, method, "ok").inc()
        result = reply.get("result")
        return orjson.dumps(result) if raw else result
