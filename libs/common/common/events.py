"""Consuming events reliably: bounded retries with backoff, then a dead-letter queue.

Nameko acks (and so drops) a message whose handler raised, and
``requeue_on_error`` loops on it forever. Here a failed delivery is
republished to ``<queue>.retry``, whose TTL dead-letters it back to
``<queue>`` after a backoff; after ``dlq_max_attempts`` it goes to
``<queue>.dlq`` with the error in its headers. The original is acked only
once the retry or dead letter is confirmed by the broker, so nothing
vanishes; a failure to route it requeues it instead.
"""
from __future__ import annotations

import logging
import traceback
from datetime import datetime, timezone

import eventlet
from kombu import Queue
from nameko.events import EventHandler
from nameko.extensions import SharedExtension
from pydantic import BaseModel

from common import metrics
from common.context import Principal
from common.contracts.envelope import EventEnvelope, parse_event
from common.errors import ValidationFailed
from common.outbox import BrokerLink, ConfirmingPublisher
from common.store import settings_of

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-attempts"


def retry_queue_name(queue: str) -> str:
    return f"{queue}.retry"


def dead_letter_queue_name(queue: str) -> str:
    return f"{queue}.dlq"


def side_queues(queue: str) -> list[Queue]:
    """The retry and dead-letter queues that belong to an event queue (routed by the default exchange)."""
    return [
        Queue(
            retry_queue_name(queue),
            durable=True,
            queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue},
        ),
        Queue(dead_letter_queue_name(queue), durable=True),
    ]


def backoff_ms(attempt: int, base_ms: int, cap_ms: int = 60_000) -> int:
    return min(cap_ms, base_ms * 2 ** max(0, attempt - 1))


class DeadLetterRouter(SharedExtension):
    def __init__(self):
        super().__init__()
        self.queues: set[str] = set()  # filled by handlers' setup, which may run before ours

    def setup(self):
        settings = settings_of(self.container)
        self.service_name = settings.service_name
        self.max_attempts = settings.dlq_max_attempts
        self.base_delay_ms = settings.retry_base_delay_ms
        self.amqp_uri = settings.amqp_uri
        self.depth_interval_s = settings.dlq_depth_interval_s
        self.publisher = ConfirmingPublisher(settings.amqp_uri)
        self._running = False

    def register(self, queue: str) -> None:
        self.queues.add(queue)

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._watch_depths, identifier="dlq_depth")

    def stop(self):
        self._running = False
        self.publisher.close()

    kill = stop

    def _watch_depths(self):
        """Export how many messages wait in each dead-letter queue (alerts fire on it). The link stays
        open between checks: a new AMQP connection every few seconds costs the broker far more than
        the check itself."""
        link = BrokerLink(self.amqp_uri, lambda conn: conn.channel())
        try:
            while self._running:
                try:
                    with link.channel() as channel:
                        for queue in sorted(self.queues):
                            dlq = dead_letter_queue_name(queue)
                            _, depth, _ = channel.queue_declare(dlq, passive=True)
                            metrics.DLQ_DEPTH.labels(self.service_name, dlq).set(depth)
                except Exception as exc:  # broker down or queue not declared yet: try again later
                    log.debug("dlq depth check failed", extra={"error": repr(exc)})
                eventlet.sleep(self.depth_interval_s)
        finally:
            link.close()

    def route_failure(self, queue: str, message, exc_info) -> None:
        headers = dict(message.headers or {})
        attempt = int(headers.get(ATTEMPTS_HEADER, 0)) + 1
        headers[ATTEMPTS_HEADER] = attempt
        headers.pop("x-death", None)  # grows with every hop; the attempt count says enough
        body = message.body if isinstance(message.body, str) else message.body.decode("utf-8")
        message_id = message.properties.get("message_id") or ""
        if attempt < self.max_attempts:
            self.publisher.publish(
                "", retry_queue_name(queue), body, headers, message_id,
                expiration=backoff_ms(attempt, self.base_delay_ms) / 1000.0,
            )
            metrics.RETRIED.labels(self.service_name, queue).inc()
            return
        exc_type, exc, tb = exc_info
        headers.update({
            "x-error": f"{exc_type.__name__}: {exc}"[:4000],
            "x-traceback": "".join(traceback.format_exception(exc_type, exc, tb))[-8000:],
            "x-failed-at": datetime.now(timezone.utc).isoformat(),
            "x-original-queue": queue,
        })
        self.publisher.publish("", dead_letter_queue_name(queue), body, headers, message_id)
        metrics.DEAD_LETTERED.labels(self.service_name, queue).inc()
        log.error("event dead-lettered", extra={"queue": queue, "attempts": attempt, "error": headers["x-error"]})


class ReliableEventHandler(EventHandler):
    dead_letters = DeadLetterRouter()

    def __init__(self, source_service, event_type, **kwargs):
        super().__init__(source_service, event_type, reliable_delivery=True, requeue_on_error=False, **kwargs)

    def setup(self):
        super().setup()
        self.dead_letters.register(self.queue.name)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        try:
            self._settle(message, exc_info)
        except Exception:
            # Broker gone mid-settle: the unacked message returns to its queue by itself.
            # Raising here would make nameko kill the whole container.
            log.warning("could not settle a message on %s", self.queue.name, exc_info=True)
        return result, exc_info

    def _settle(self, message, exc_info) -> None:
        if exc_info is not None:
            try:
                self.dead_letters.route_failure(self.queue.name, message, exc_info)
            except Exception:
                log.exception("could not route a failed event; requeueing it")
                self.queue_consumer.requeue_message(message)
                return
        self.queue_consumer.ack_message(message)


reliable_event_handler = ReliableEventHandler.decorator


def receive(producer: str, body: dict, caller: Principal) -> tuple[EventEnvelope, BaseModel]:
    """Validate an incoming event; its tenant must be the one its headers carry."""
    envelope, data = parse_event(producer, body)
    if str(envelope.tenant_id) != caller.tenant_id:
        raise ValidationFailed("event tenant does not match its context", code="TENANT_MISMATCH")
    return envelope, data
