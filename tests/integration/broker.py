"""Direct broker access for platform tests (observing and injecting events), and waiting helpers."""
from __future__ import annotations

import json
import threading
import time

from kombu import Connection, Exchange, Queue


def observe(amqp_uri: str, source: str, routing_key: str = "#") -> Queue:
    """Bind a throwaway queue to ``source``'s events so a test can count what was published."""
    queue = Queue(f"test-observer-{time.monotonic_ns()}", Exchange(f"{source}.events", "topic", durable=True),
                  routing_key=routing_key, durable=True, auto_delete=False)
    with Connection(amqp_uri) as conn:
        queue(conn.default_channel).declare()
    return queue


def drain(amqp_uri: str, queue_name: str, settle_s: float = 1.0, timeout_s: float = 30.0, until=None) -> list:
    """Collect messages until ``until(messages)`` holds and nothing more came for ``settle_s``."""
    messages = []
    deadline = time.monotonic() + timeout_s
    quiet_since = time.monotonic()
    with Connection(amqp_uri) as conn:
        simple = conn.SimpleQueue(queue_name, no_ack=True)
        while time.monotonic() < deadline:
            try:
                msg = simple.get(timeout=0.2)
            except simple.Empty:
                if (until is None or until(messages)) and time.monotonic() - quiet_since > settle_s:
                    break
                continue
            messages.append((json.loads(msg.body), msg.headers))
            quiet_since = time.monotonic()
    return messages


def publish(amqp_uri: str, exchange: str, routing_key: str, body: dict, headers: dict) -> None:
    with Connection(amqp_uri) as conn:
        conn.Producer().publish(json.dumps(body), exchange=exchange, routing_key=routing_key, headers=headers,
                                content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                                retry=True)


def queue_depth(amqp_uri: str, queue_name: str) -> int:
    with Connection(amqp_uri) as conn:
        _, count, _ = conn.default_channel.queue_declare(queue_name, passive=True)
        return count


def wait_for(predicate, timeout_s: float = 30.0, interval_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s")


class Background:
    """``call()`` in a thread: ``done`` once it returned, ``result()`` waits for what it returned."""

    def __init__(self, call):
        self._out: list = []
        self._thread = threading.Thread(target=lambda: self._out.append(call()), daemon=True)
        self._thread.start()

    @property
    def done(self) -> bool:
        return bool(self._out)

    def result(self, timeout_s: float = 30.0):
        self._thread.join(timeout_s)
        assert self._out, f"still running after {timeout_s}s"
        return self._out[0]
