"""Outbox relay: publishes committed outbox rows with publisher confirms.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so replicas split the work;
a row is marked published only after the broker confirmed it. A crash between
the confirm and the mark republishes the row: consumers dedupe on
``event_id`` (inbox), so the effect still happens once.
"""
from __future__ import annotations

import logging
import time

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


class ConfirmingPublisher:
    """A kombu connection with publisher confirms, reopened after any failure."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self._conn: Connection | None = None
        self._producer = None

    def _producer_or_connect(self):
        if self._producer is None:
            conn = Connection(self.amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=5)
            conn.ensure_connection(max_retries=1)
            self._conn = conn
            self._producer = conn.Producer(serializer=None)
        return self._producer

    def publish(self, exchange: str, routing_key: str, body: str, headers: dict, message_id: str,
                expiration: float | None = None) -> None:
        try:
            producer = self._producer_or_connect()
            producer.publish(
                body,
                exchange=exchange,
                routing_key=routing_key,
                headers=headers,
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=message_id,
                expiration=expiration,
                retry=False,
            )
        except Exception:
            self.close()
            raise

    def declare(self, *entities) -> None:
        self._producer_or_connect()
        for entity in entities:
            entity(self._conn.default_channel).declare()

    def close(self) -> None:
        conn, self._conn, self._producer = self._conn, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception:  # the socket is usually already gone
                pass


class OutboxRelay:
    def __init__(self, engine: Engine, amqp_uri: str, service_name: str, batch_size: int = 200,
                 retention_s: int = 3600):
        self.engine = engine
        self.publisher = ConfirmingPublisher(amqp_uri)
        self.service_name = service_name
        self.batch_size = batch_size
        self.retention_s = retention_s
        self._last_housekeeping = 0.0
        self._last_purge = 0.0
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
            for row in rows:
                self.publisher.publish(
                    row.exchange, row.routing_key, json_dumps(row.body), row.headers, str(row.event_id)
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
            if now - self._last_purge > 60:
                self._last_purge = now
                conn.execute(PURGE, {"secs": self.retention_s})
        metrics.OUTBOX_BACKLOG.labels(self.service_name).set(count)
        metrics.OUTBOX_OLDEST_AGE.labels(self.service_name).set(float(age or 0))

    def run_until_drained(self) -> int:
        total = 0
        while True:
            n = self.relay_once()
            total += n
            if n < self.batch_size:
                return total

    def close(self) -> None:
        self.publisher.close()
