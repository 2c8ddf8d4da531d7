"""Outbox relay: publishes committed outbox rows with publisher confirms.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so replicas split the work;
a row is marked published only after the broker confirmed it. A crash between
the confirm and the mark republishes the row: consumers dedupe on
``event_id`` (inbox), so the effect still happens once.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager

import amqp
from kombu import Connection, Exchange
from sqlalchemy import text
from sqlalchemy.engine import Engine

from common import metrics
from common.db import json_dumps

log = logging.getLogger(__name__)

CLAIM = text(
    "select id, event_id, exchange, routing_key, body, headers from outbox"
    " where published_at is null order by id limit :n for update skip locked"
)
MARK = text("update outbox set published_at = now() where id = any(:ids)")
BACKLOG = text(
    "select count(*), extract(epoch from now() - min(created_at)) from outbox where published_at is null"
)
PURGE = text("delete from outbox where published_at < now() - make_interval(secs => :secs)")
# In batches, each its own transaction, replicas skipping each other's rows: the first purge after an
# upgrade may face every row the inbox ever recorded.
PURGE_INBOX = text(
    "delete from inbox where ctid = any(array(select ctid from inbox"
    " where processed_at < now() - make_interval(secs => :secs) limit :n for update skip locked))"
)
INBOX_PURGE_BATCH = 5000


class BrokerLink:
    """One AMQP connection and a channel on it, opened on first use and dropped after any failure
    (the next use opens fresh ones): the way every direct publisher here talks to the broker."""

    def __init__(self, amqp_uri: str, open_channel):
        self.amqp_uri, self.open_channel = amqp_uri, open_channel
        self.connection: Connection | None = None
        self._channel = None

    @contextmanager
    def channel(self):
        try:
            if self._channel is None:
                conn = Connection(self.amqp_uri, connect_timeout=5)
                conn.ensure_connection(max_retries=1)
                self.connection, self._channel = conn, self.open_channel(conn)
            yield self._channel
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        conn, self.connection, self._channel = self.connection, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception:  # the socket is usually already gone
                pass


class ConfirmingPublisher:
    """Publishes with publisher confirms over one connection, reopened after any failure."""

    def __init__(self, amqp_uri: str, confirm_timeout_s: float = 30.0):
        self.confirm_timeout_s = confirm_timeout_s
        self.link = BrokerLink(amqp_uri, lambda conn: _ConfirmedChannel(conn.default_channel))

    def publish(self, exchange: str, routing_key: str, body: str, headers: dict, message_id: str,
                expiration: float | None = None) -> None:
        self.publish_many([(exchange, routing_key, body, headers, message_id)], expiration)

    def publish_many(self, messages: list[tuple[str, str, str, dict, str]], expiration: float | None = None) -> None:
        """(exchange, routing_key, body, headers, message_id) each; returns once the broker confirmed
        them all. One wait for the lot: confirming one by one costs a round trip per message."""
        with self.link.channel() as channel:
            channel.publish_all(messages, self.link.connection.connection, self.confirm_timeout_s, expiration)

    def declare(self, *entities) -> None:
        with self.link.channel() as channel:
            for entity in entities:
                entity(channel.channel).declare()

    def close(self) -> None:
        self.link.close()


class _ConfirmedChannel:
    """An AMQP channel in confirm mode that tracks which of its delivery tags the broker confirmed."""

    def __init__(self, channel):
        self.channel = channel
        self.channel.confirm_select()
        self.published = 0  # delivery tags are 1, 2, ... per channel
        self.unconfirmed: set[int] = set()
        self.refused = False
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)

    def _settle(self, tag: int, multiple: bool) -> None:
        if multiple:
            self.unconfirmed = {t for t in self.unconfirmed if t > tag}
        else:
            self.unconfirmed.discard(tag)

    def _on_ack(self, tag, multiple):
        self._settle(tag, multiple)

    def _on_nack(self, tag, multiple):
        self.refused = True
        self._settle(tag, multiple)

    def publish_all(self, messages, connection, timeout_s: float, expiration: float | None = None) -> None:
        properties = {"expiration": str(int(expiration * 1000))} if expiration is not None else {}
        for exchange, routing_key, body, headers, message_id in messages:
            self.channel.basic_publish(
                amqp.Message(body, content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                             message_id=message_id, application_headers=headers, **properties),
                exchange=exchange, routing_key=routing_key,
            )
            self.published += 1
            self.unconfirmed.add(self.published)
        deadline = time.monotonic() + timeout_s
        while self.unconfirmed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(self.unconfirmed)} messages not confirmed in {timeout_s} s")
            connection.drain_events(timeout=remaining)
        if self.refused:
            raise RuntimeError("the broker refused (nacked) a message")


class OutboxRelay:
    def __init__(self, engine: Engine, amqp_uri: str, service_name: str, batch_size: int = 200,
                 retention_s: int = 3600, inbox_retention_s: float = 30 * 86400):
        self.engine = engine
        self.publisher = ConfirmingPublisher(amqp_uri)
        self.service_name = service_name
        self.batch_size = batch_size
        self.retention_s = retention_s
        self.inbox_retention_s = inbox_retention_s
        self._last_housekeeping = 0.0
        self._last_purge = 0.0
        self._inbox_behind = False
        self._exchange_declared = False

    def relay_once(self) -> int:
        """Publish one batch; returns how many rows it published."""
        if not self._exchange_declared:
            self.publisher.declare(Exchange(f"{self.service_name}.events", type="topic", durable=True))
            self._exchange_declared = True
        with self.engine.begin() as conn:
            rows = conn.execute(CLAIM, {"n": self.batch_size}).all()
            if not rows:
                return 0
            self.publisher.publish_many(
                [(row.exchange, row.routing_key, json_dumps(row.body), row.headers, str(row.event_id)) for row in rows]
            )
            conn.execute(MARK, {"ids": [r.id for r in rows]})
        metrics.OUTBOX_PUBLISHED.labels(self.service_name).inc(len(rows))
        return len(rows)

    def housekeeping(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_housekeeping < 5:
            return
        self._last_housekeeping = now
        with self.engine.begin() as conn:
            count, age = conn.execute(BACKLOG).one()
            purge = now - self._last_purge > 60
            if purge:
                self._last_purge = now
                conn.execute(PURGE, {"secs": self.retention_s})
        metrics.OUTBOX_BACKLOG.labels(self.service_name).set(count)
        metrics.OUTBOX_OLDEST_AGE.labels(self.service_name).set(float(age or 0))
        if purge or self._inbox_behind:
            self._inbox_behind = self.purge_inbox() == INBOX_PURGE_BATCH

    def purge_inbox(self) -> int:
        """Forget applied messages and idempotency keys older than the retention (``INBOX_RETENTION_DAYS``).
        Duplicates come within minutes (a relay republishing after a crash, a retry's backoff) and the
        gateway keeps a key for a day, so the retention only bounds how late a dead letter may be
        replayed and still be recognised as applied. One batch per housekeeping pass (every 5 s while
        behind, else every minute): the relay's publishing never waits behind a long delete."""
        with self.engine.begin() as conn:
            purged = conn.execute(PURGE_INBOX, {"secs": self.inbox_retention_s, "n": INBOX_PURGE_BATCH}).rowcount
        if purged:
            metrics.INBOX_PURGED.labels(self.service_name).inc(purged)
        return purged

    def run_until_drained(self) -> int:
        total = 0
        while True:
            n = self.relay_once()
            total += n
            if n < self.batch_size:
                return total

    def close(self) -> None:
        self.publisher.close()
