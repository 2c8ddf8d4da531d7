"""Failed events: a poison message is retried a bounded number of times, then dead-lettered; a failure
of what the handler stands on (the database away) waits out the outage and spends none of them."""
from __future__ import annotations

import sys
from types import SimpleNamespace

import eventlet.semaphore
import psycopg
import pytest
from sqlalchemy import exc as sa_exc

from common.errors import ServiceUnavailable, ValidationFailed
from common.events import DeadLetterRouter, is_transient


class RecordingPublisher:
    def __init__(self):
        self.sent = []

    def publish(self, exchange, routing_key, body, headers, message_id, expiration=None):
        self.sent.append((routing_key, dict(headers), expiration))


def router(max_attempts=3):
    r = DeadLetterRouter()
    r.service_name, r.max_attempts, r.base_delay_ms = "tasks", max_attempts, 100
    r.publisher, r._publishing = RecordingPublisher(), eventlet.semaphore.Semaphore()
    return r


def fail(r, exc, headers=None):
    message = SimpleNamespace(headers=headers or {}, body=b'{"event_id": "e"}', properties={"message_id": "e"})
    try:
        raise exc
    except Exception:
        r.route_failure("evt-q", message, sys.exc_info())
    return r.publisher.sent[-1]


def unavailable():
    return ServiceUnavailable("the database is unavailable", code="DATABASE_UNAVAILABLE")


def wrapped(db_error):
    """As the service raises it: SQLAlchemy's error, then the 503 the transaction turns it into."""
    try:
        try:
            raise sa_exc.OperationalError("select 1", {}, db_error)
        except sa_exc.OperationalError as exc:
            raise ServiceUnavailable("the database is unavailable", code="DATABASE_UNAVAILABLE") from exc
    except ServiceUnavailable as err:
        return err


@pytest.mark.parametrize("exc,transient", [
    (unavailable(), True),
    (wrapped(psycopg.OperationalError("connection refused")), True),  # no SQLSTATE: never reached the server
    (psycopg.OperationalError("server closed the connection unexpectedly"), True),
    (wrapped(psycopg.errors.AdminShutdown()), True),
    (wrapped(psycopg.errors.DeadlockDetected()), True),
    (ServiceUnavailable("tasks did not answer", code="SERVICE_TIMEOUT"), True),
    (wrapped(psycopg.errors.QueryCanceled()), False),  # a statement timeout every time is the message's
    (wrapped(psycopg.errors.DiskFull()), False),
    (ValidationFailed("bad payload"), False),
    (KeyError("invoice"), False),
])
def test_X1_what_counts_as_an_outage_not_a_bad_message(exc, transient):
    assert is_transient(exc) is transient


def test_X1_a_bad_message_is_retried_with_backoff_then_dead_lettered_with_its_error():
    r = router(max_attempts=3)
    first = fail(r, KeyError("invoice"))
    second = fail(r, KeyError("invoice"), first[1])
    last = fail(r, KeyError("invoice"), second[1])
    assert [(q, h["x-attempts"], e) for q, h, e in (first, second)] == [("evt-q.retry", 1, 0.1), ("evt-q.retry", 2, 0.2)]
    assert last[0] == "evt-q.dlq" and last[1]["x-attempts"] == 3 and "KeyError" in last[1]["x-error"]


def test_X1_an_outage_however_long_never_dead_letters_and_leaves_the_attempts_for_real_failures():
    r = router(max_attempts=3)
    headers = {"x-attempts": 1}
    for _ in range(20):
        queue, headers, expiration = fail(r, unavailable(), headers)
        assert queue == "evt-q.retry" and headers["x-attempts"] == 1
    assert headers["x-outage-retries"] == 20 and expiration == 30.0  # backoff capped at 30 s
    assert fail(r, KeyError("invoice"), headers)[1]["x-attempts"] == 2  # back to counting real failures
