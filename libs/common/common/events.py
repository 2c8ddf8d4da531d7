"""Consuming events reliably: bounded retries with backoff, then a dead-letter queue.

Nameko acks (and so drops) a message whose handler raised, and
``requeue_on_error`` loops on it forever. Here a failed delivery is
republished to ``<queue>.retry``, whose TTL dead-letters it back to
``<queue>`` after a backoff; after ``dlq_max_attempts`` it goes to
``<queue>.dlq`` with the error in its headers. A failure that is not the
message's (the database away, a deadlock: ``is_transient``) is retried with
backoff for as long as it lasts and spends none of those attempts. The original is acked only
once the retry or dead letter is confirmed by the broker, so nothing
vanishes; a failure to route it requeues it instead.
"""
from __future__ import annotations

import logging
import traceback
from datetime import datetime, timezone

import eventlet
import eventlet.semaphore
import psycopg
from kombu import Queue
from nameko.events import EventHandler
from nameko.extensions import SharedExtension
from pydantic import BaseModel

from common import metrics
from common.context import Principal
from common.contracts.envelope import EventEnvelope, parse_event
from common.db import is_unavailable
from common.errors import AppError, ValidationFailed
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


OUTAGE_HEADER = "x-outage-retries"
OUTAGE_BACKOFF_CAP_MS = 30_000
TRANSIENT_CODES = frozenset({"DATABASE_UNAVAILABLE", "SERVICE_UNAVAILABLE", "SERVICE_TIMEOUT"})


# Connection exceptions (class 08), the server shutting down or starting (57P01-57P03), too many
# connections, a deadlock or serialization failure: the database, not the message. A statement timeout
# or a full disk is not among them: a message that meets one every time must reach its dead letter.
TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "40P01", "40001"})


def _database_error(exc: BaseException | None) -> psycopg.Error | None:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, psycopg.Error):
            return exc
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return None


def is_transient(exc: BaseException | None) -> bool:
    """A failure of what the handler stands on (the database away or restarting, a deadlock, another
    service not answering), not of the message: retried until it passes, never dead-lettered for it.
    A database restart used to spend the whole retry budget in seconds and park good events."""
    if exc is None:
        return False
    database = _database_error(exc)
    if database is not None:
        state = database.sqlstate
        # No SQLSTATE: the connection failed or broke before the server could say anything.
        return state is None or state.startswith("08") or state in TRANSIENT_SQLSTATES
    return (isinstance(exc, AppError) and exc.code in TRANSIENT_CODES) or is_unavailable(exc)


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
        self._publishing = eventlet.semaphore.Semaphore()
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

    def _publish(self, queue: str, body: str, headers: dict, message_id: str, expiration: float | None = None):
        # One publisher (one channel, one set of pending confirms) for every worker of the container:
        # two failing at once must take turns, or their confirm waits read the same socket.
        with self._publishing:
            self.publisher.publish("", queue, body, headers, message_id, expiration=expiration)

    def route_failure(self, queue: str, message, exc_info) -> None:
        headers = dict(message.headers or {})
        headers.pop("x-death", None)  # grows with every hop; the attempt count says enough
        body = message.body if isinstance(message.body, str) else message.body.decode("utf-8")
        message_id = message.properties.get("message_id") or ""
        exc_type, exc, tb = exc_info
        if is_transient(exc):
            # Not the message's fault: it waits out the outage, however long, and keeps its attempts.
            outage = int(headers.get(OUTAGE_HEADER, 0)) + 1
            headers[OUTAGE_HEADER] = outage
            self._publish(retry_queue_name(queue), body, headers, message_id,
                          backoff_ms(outage, self.base_delay_ms, OUTAGE_BACKOFF_CAP_MS) / 1000.0)
            metrics.RETRIED.labels(self.service_name, queue).inc()
            return
        attempt = int(headers.get(ATTEMPTS_HEADER, 0)) + 1
        headers[ATTEMPTS_HEADER] = attempt
        if attempt < self.max_attempts:
            self._publish(retry_queue_name(queue), body, headers, message_id,
                          backoff_ms(attempt, self.base_delay_ms) / 1000.0)
            metrics.RETRIED.labels(self.service_name, queue).inc()
            return
        headers.update({
            "x-error": f"{exc_type.__name__}: {exc}"[:4000],
            "x-traceback": "".join(traceback.format_exception(exc_type, exc, tb))[-8000:],
            "x-failed-at": datetime.now(timezone.utc).isoformat(),
            "x-original-queue": queue,
        })
        self._publish(dead_letter_queue_name(queue), body, headers, message_id)
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
