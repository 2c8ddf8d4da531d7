"""Database access for nameko services: SQLAlchemy 2 Core over psycopg 3.

Three rules live here so no service can forget them:
- under eventlet psycopg must wait greenly (``common.green_waits``), or one slow
  query stalls every worker of the process (see DESIGN.md, measured facts);
- the tenant is set per transaction (``set_config(..., true)``), so a pooled
  connection never carries one request's tenant into the next;
- a state change and the events it causes commit together (outbox), and a
  consumed message is recorded in the same transaction as its effect (inbox).
"""
from __future__ import annotations

import functools
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import psycopg
from psycopg.rows import dict_row, tuple_row
from pydantic import BaseModel
from sqlalchemy import create_engine, exc as sa_exc, text
from sqlalchemy.engine import Connection, Engine

from common import serialization
from common.context import Principal
from common.contracts.envelope import EVENT_PRODUCERS, EventEnvelope
from common.errors import ServiceUnavailable


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, schema: str, pool_size: int, statement_timeout_ms: int = 30000) -> Engine:
    return create_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=5,
        # No ping on checkout (a round trip per transaction): Database.transaction retries its first
        # statement once on a fresh connection when a pooled socket died with a PostgreSQL restart.
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": 3,
            # TimeZone=UTC (not the server's Etc/UTC, the same offset): psycopg then loads timestamps
            # with the fixed datetime.timezone.utc instead of a ZoneInfo, half the cost per value.
            "options": f"-c search_path={schema} -c statement_timeout={statement_timeout_ms} -c TimeZone=UTC",
            "application_name": f"followup-{schema}",
        },
    )


DB_UNAVAILABLE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, DB_UNAVAILABLE_ERRORS + (psycopg.OperationalError,)):
        # psycopg files "program limit exceeded" (a key too large for its index, a statement too complex)
        # under OperationalError too: that is the request's fault, and a 503 would invite its retry.
        sqlstate = getattr(getattr(exc, "orig", exc), "sqlstate", None) or ""
        return not sqlstate.startswith("54")
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


def retry_on_key_race(method):
    """For an upsert by a natural key (an external system's id): two requests for a key neither has seen
    both insert, and the second's INSERT waits on the unique index, then fails. Run once more, the loser
    finds the winner's row and updates it, as if it had come second."""
    @functools.wraps(method)
    def upsert(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except sa_exc.IntegrityError as exc:
            if not isinstance(exc.orig, psycopg.errors.UniqueViolation):
                raise
            return method(*args, **kwargs)
    return upsert


def json_dumps(value: Any) -> str:
    return serialization.dumps(value)


def unnest(rows: list[dict], types: dict[str, str], alias: str = "r") -> tuple[str, dict]:
    """Rows as one array parameter per column: ``select ... from <fragment>`` writes a batch in one
    statement (executemany would send a Bind/Execute per row, which costs more than the row).
    ``<alias>.n`` numbers the rows in their given order."""
    columns = list(types)
    fragment = "unnest(" + ", ".join(f"cast(:{alias}_{c} as {types[c]}[])" for c in columns) + ")"
    params = {f"{alias}_{c}": [row[c] for row in rows] for c in columns}
    return f"{fragment} with ordinality as {alias}({', '.join(columns)}, n)", params


OUTBOX_COLUMNS = {"event_id": "uuid", "routing_key": "text", "body": "jsonb", "headers": "jsonb"}


SET_TENANT_SQL = "select set_config('app.tenant_id', %s, true)"


@contextmanager
def _unavailable_as_503() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if is_unavailable(exc):
            raise ServiceUnavailable("the database is unavailable", code="DATABASE_UNAVAILABLE") from exc
        raise


def _quietly(action) -> None:
    try:
        action()
    except Exception:  # the connection is already gone; the pool discards it
        pass


class TimerTakenOver(Exception):
    pass


class UnitOfWork:
    """One database transaction of one tenant, with its outbox, inbox and timers."""

    def __init__(self, conn: Connection, principal: Principal | None, producer: str, clock_now: datetime):
        self.conn = conn
        self.principal = principal
        self.producer = producer
        self.now = clock_now
        self.published: list[EventEnvelope] = []
        self._outbox_rows: list[dict] = []
        self._request: tuple[str, str] | None = None

    @property
    def tenant_id(self) -> str:
        assert self.principal is not None, "this transaction has no tenant"
        return self.principal.tenant_id

    def execute(self, statement, params: dict | list | None = None):
        return self.conn.execute(statement, params or {})

    def rows(self, sql: str, params: dict) -> list[dict]:
        """A statement already compiled to psycopg SQL, run on this transaction's connection
        without SQLAlchemy's per-statement and per-row work (the hottest reads)."""
        cursor = self.conn.connection.driver_connection.cursor(row_factory=dict_row)
        cursor.execute(sql, params)
        return cursor.fetchall()

    # ---- outbox ----------------------------------------------------------
    def publish(self, data: BaseModel, principal: Principal | None = None) -> EventEnvelope:
        """Queue an event on this service's exchange; it leaves with the commit or not at all.

        ``principal``: whose action the event reports, when the transaction serves several
        (group commit); by default the transaction's own."""
        if self.producer not in EVENT_PRODUCERS.get(data.event_type, ()):
            raise ValueError(f"{self.producer} is not a producer of {data.event_type}")
        envelope = EventEnvelope(
            event_type=data.event_type,
            producer=self.producer,
            tenant_id=uuid.UUID(self.tenant_id),
            occurred_at=self.now,
            data=data.model_dump(mode="json"),
        )
        principal = principal or self.principal
        headers = principal.as_headers() if principal else {}
        headers["nameko.tenant_id"] = self.tenant_id
        # Written in one round trip at commit (flush_outbox): a transaction announcing a
        # hundred deliveries would otherwise wait on a hundred inserts.
        self._outbox_rows.append({
            "event_id": envelope.event_id,
            "routing_key": data.event_type,
            "body": envelope.model_dump_json(),
            "headers": json_dumps(headers),
        })
        self.published.append(envelope)
        return envelope

    def flush_outbox(self) -> None:
        rows, self._outbox_rows = self._outbox_rows, []
        if rows:
            source, params = unnest(rows, OUTBOX_COLUMNS)
            self.conn.execute(
                text(
                    "insert into outbox (event_id, tenant_id, exchange, routing_key, body, headers)"
                    f" select r.event_id, cast(:tenant as uuid), cast(:exchange as text), r.routing_key, r.body,"
                    f" r.headers from {source} order by r.n"
                ),
                {"tenant": self.tenant_id, "exchange": f"{self.producer}.events", **params},
            )

    # ---- inbox -----------------------------------------------------------
    def first_delivery(self, consumer: str, message_id: str) -> bool:
        """Record ``message_id`` as applied by ``consumer``; False if it already was."""
        return message_id in self.first_deliveries(consumer, [message_id])

    def first_deliveries(self, consumer: str, message_ids: list[str]) -> set[str]:
        """``first_delivery`` for many in one statement: the ids not applied before."""
        rows = self.conn.execute(
            text(
                "insert into inbox (consumer, message_id, tenant_id)"
                " select cast(:c as text), m, cast(:t as uuid) from unnest(cast(:ms as text[])) m"
                " on conflict do nothing returning message_id"
            ),
            {"c": consumer, "ms": list(message_ids), "t": self.principal.tenant_id if self.principal else None},
        ).all()
        return {r[0] for r in rows}

    def begin_request(self, operation: str) -> tuple[bool, Any]:
        """Idempotent requests: claim the caller's idempotency key for ``operation``.

        Returns ``(True, result)`` when this key was already applied, so the
        caller replays ``result`` instead of acting twice (a client retrying
        after a timeout or a 503). A concurrent holder of the same key makes
        the insert wait for its commit, so the two never both act.
        """
        key = self.principal.idempotency_key if self.principal else None
        if not key:
            return False, None
        self._request = (f"rpc:{operation}", f"{self.tenant_id}:{key}")
        if self.first_delivery(*self._request):
            return False, None
        row = self.conn.execute(
            text("select result from inbox where consumer = :c and message_id = :m"),
            {"c": self._request[0], "m": self._request[1]},
        ).first()
        return True, row[0]

    def once(self, operation: str, work: Callable[[], Any]) -> Any:
        """``work()`` under the caller's idempotency key: the first call's result, replayed for a retry."""
        replayed, result = self.begin_request(operation)
        if replayed:
            return result
        result = work()
        self.finish_request(result)
        return result

    def finish_request(self, result: Any) -> None:
        request = self._request
        if request:
            self.conn.execute(
                text("update inbox set result = cast(:r as jsonb) where consumer = :c and message_id = :m"),
                {"r": json_dumps(result), "c": request[0], "m": request[1]},
            )

    # ---- durable timers ----------------------------------------------------
    def schedule(self, kind: str, key: str, due_at: datetime, payload: dict | None = None) -> None:
        """Create or move the timer ``(kind, key)`` of this tenant."""
        self.schedule_many(kind, [(key, due_at, payload)])

    def schedule_many(self, kind: str, timers: list[tuple[str, datetime, dict | None]]) -> None:
        """``schedule`` for many ``(key, due_at, payload)`` in one round trip."""
        latest = {key: (due_at, payload) for key, due_at, payload in timers}  # one row may change once
        if not latest:
            return
        source, params = unnest(
            [{"key": key, "due_at": due, "payload": json_dumps(payload or {})} for key, (due, payload) in latest.items()],
            {"key": "text", "due_at": "timestamptz", "payload": "jsonb"},
        )
        self.conn.execute(
            text(
                "insert into timers (tenant_id, kind, key, due_at, payload)"
                f" select cast(:t as uuid), cast(:k as text), r.key, r.due_at, r.payload from {source}"
                " on conflict (tenant_id, kind, key) do update set due_at = excluded.due_at,"
                " payload = excluded.payload, done_at = null, dead = false, attempts = 0,"
                " claimed_until = null, claimed_by = null, last_error = null"
            ),
            {"t": self.tenant_id, "k": kind, **params},
        )

    def move_pending(self, kind: str, timers: list[tuple[str, datetime]]) -> None:
        """Move the timers ``(kind, key)`` that have not fired to new times; one that fired stays done
        (``schedule`` would arm it again)."""
        if not timers:
            return
        source, params = unnest([{"key": key, "due_at": due} for key, due in timers],
                                {"key": "text", "due_at": "timestamptz"})
        # A claim is dropped too, as ``schedule`` does: a handler running on the old time then finds its
        # timer taken over at completion, and rolls its effect back; the timer fires at its new time.
        self.conn.execute(
            text(f"update timers t set due_at = r.due_at, claimed_by = null, claimed_until = null from {source}"
                 " where t.tenant_id = :t and t.kind = :k and t.key = r.key and t.done_at is null"),
            {"t": self.tenant_id, "k": kind, **params},
        )

    def cancel(self, kind: str, key: str) -> None:
        self.conn.execute(
            text("delete from timers where tenant_id = :t and kind = :k and key = :key and done_at is null"),
            {"t": self.tenant_id, "k": kind, "key": key},
        )

    def complete_timer(self, timer_id: int, claimed_by: str) -> bool:
        """Mark a claimed timer done in the same transaction as its effect.

        False means another replica took it over after our lease ran out: the
        caller must roll back so the effect happens once.
        """
        return timer_id in self._complete_timers([timer_id], claimed_by)

    def complete_timers(self, timers) -> set[int]:
        """``complete_timer`` for a batch; returns the ids still ours (the others were taken over)."""
        return self._complete_timers([t.id for t in timers], timers[0].claimed_by) if timers else set()

    def hold_timers(self, timers) -> set[int]:
        """The ids of ``timers`` still ours (claimed by us, not done), locked until this transaction ends.

        For a handler that records its outcome before it completes its timers: a replica whose lease ran
        out must not write over the outcome of the one that took its timers over, nor re-arm a timer
        moved or completed since. The lock keeps them ours while it records (a claim skips locked rows).
        Lock the handler's own rows before these, as every handler of the kind does."""
        if not timers:
            return set()
        rows = self.conn.execute(
            text("select id from timers where id = any(:ids) and done_at is null and claimed_by = :by"
                 " order by id for update"),
            {"ids": [t.id for t in timers], "by": timers[0].claimed_by},
        ).all()
        return {r[0] for r in rows}

    def _complete_timers(self, ids: list[int], claimed_by: str) -> set[int]:
        rows = self.conn.execute(
            text(
                "update timers set done_at = :now, claimed_until = null where id = any(:ids)"
                " and done_at is null and claimed_by = :by returning id"
            ),
            {"ids": ids, "by": claimed_by, "now": self.now},
        ).all()
        return {r[0] for r in rows}


class Database:
    """A service's schema, reached through its own (non-owner, non-BYPASSRLS) role."""

    def __init__(self, engine: Engine, producer: str, clock=None):
        self.engine = engine
        self.producer = producer
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.on_commit = None  # called after a commit that wrote outbox rows

    @contextmanager
    def transaction(self, principal: Principal | None) -> Iterator[UnitOfWork]:
        with _unavailable_as_503():
            conn = self._begin(principal)
            try:
                uow = UnitOfWork(conn, principal, self.producer, self.clock())
                yield uow
                uow.flush_outbox()
                conn.commit()
            except BaseException:
                _quietly(conn.rollback)
                raise
            finally:
                _quietly(conn.close)
        if uow.published and self.on_commit is not None:
            self.on_commit()

    def _begin(self, principal: Principal | None) -> Connection:
        """A connection in a transaction with its tenant set: BEGIN and the tenant go in one round trip
        (psycopg's pipeline). A socket that died with a PostgreSQL restart fails here, before anything
        happened, so it is retried once on a fresh connection (and SQLAlchemy renews the rest of the pool)."""
        tenant = principal.tenant_id if principal else ""
        for attempt in (1, 2):
            conn = self.engine.connect()
            raw = None
            try:
                conn.begin()
                raw = conn.connection.driver_connection
                with raw.pipeline():
                    raw.execute(SET_TENANT_SQL, (tenant,))
                return conn
            except psycopg.OperationalError:
                stale = raw is not None and raw.broken
                if stale:
                    _quietly(conn.invalidate)
                _quietly(conn.close)
                if not stale or attempt == 2:
                    raise
            except BaseException:
                _quietly(conn.close)
                raise
        raise AssertionError("unreachable")

    def read(self, principal: Principal, sql: str, params: dict, row_factory=dict_row) -> list:
        """One statement, already compiled to psycopg SQL, in one round trip and one snapshot.

        The tenant and the statement go in one pipeline with no BEGIN: PostgreSQL runs what comes
        before a Sync as one implicit transaction, so the tenant (``set_config(..., true)``) holds for
        the statement and ends with it, as in ``transaction``. A stale pooled socket is retried once."""
        with _unavailable_as_503():
            for attempt in (1, 2):
                pooled = self.engine.raw_connection()
                raw = pooled.driver_connection
                try:
                    raw.autocommit = True
                    raw._pipeline = _OneWritePipeline(raw)
                    with raw.pipeline():
                        raw.execute(SET_TENANT_SQL, (principal.tenant_id,))
                        # Binary results: timestamps, uuids and numbers load without parsing text.
                        cursor = raw.cursor(row_factory=row_factory, binary=True)
                        cursor.execute(sql, params)
                    return cursor.fetchall()
                except psycopg.OperationalError:
                    if not raw.broken or attempt == 2:
                        raise
                    _quietly(pooled.invalidate)
                finally:
                    if not raw.closed:
                        _quietly(lambda: setattr(raw, "autocommit", False))
                    _quietly(pooled.close)
        raise AssertionError("unreachable")

    def reader(self, principal: Principal) -> "Reader":
        return Reader(self, principal)

    @contextmanager
    def timer_transaction(self, principal: Principal, timer) -> Iterator[UnitOfWork]:
        """A due timer's effect and its completion in one transaction.

        If another replica took the timer over after our lease ran out, everything
        rolls back, so the effect happens exactly once (by that replica).
        """
        with self.transaction(principal) as uow:
            yield uow
            if not uow.complete_timer(timer.id, timer.claimed_by):
                raise TimerTakenOver(f"timer {timer.id} was taken over by another replica")


class _OneWritePipeline(psycopg.Pipeline):
    """A pipeline whose statements and Sync leave in one write, when the block ends.

    psycopg writes each statement as it is executed and the Sync when the block ends, by which time
    PostgreSQL has run the query and sent what fills its 8 KB buffer: the rest of the rows wait for
    the Sync, a second round trip. Held, the statements stay in libpq's buffer (in pipeline mode
    libpq writes when told to). Anything that needs results before the end (a sync) ends the hold
    first, so nothing can wait on a statement that was never sent. psycopg internals, pinned by the
    lock file; the green tests check the behaviour."""

    _holding = True

    def _communicate_gen(self):
        if self._holding:
            return
        while self.command_queue:  # into libpq's buffer; the Sync at the end writes them all
            self.command_queue.popleft()()
        yield from super()._communicate_gen()

    def _sync_gen(self):
        self._holding = False
        yield from super()._sync_gen()

    def _exit_gen(self):
        self._holding = False
        yield from super()._exit_gen()


class Reader:
    """A tenant's one-statement reads (``Database.read``), rows as tuples in the statement's column
    order. Each statement is its own snapshot; reads that must agree with each other belong in one
    ``Database.transaction``."""

    def __init__(self, database: Database, principal: Principal):
        self.database, self.principal = database, principal

    def tuples(self, sql: str, params: dict) -> list[tuple]:
        return self.database.read(self.principal, sql, params, tuple_row)
