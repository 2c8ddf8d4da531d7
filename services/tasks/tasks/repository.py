"""Reads and writes of the tasks schema, on a unit of work's connection (RLS scopes them to its tenant)."""
from __future__ import annotations

import functools
import uuid
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql import psycopg as pg_dialect
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from common.contracts import tasks as c
from common.db import Reader, UnitOfWork, unnest
from common.errors import NotFound
from common.pagination import decode_cursor, encode_cursor, identifier, integer, moment
from tasks import models as m
from tasks.domain import LIVE_ACTION_STATUSES, OPEN_PROMISE_STATUSES, TimelineEntry
from tasks.views import delivery_rows_by_action


def _row(result) -> dict | None:
    row = result.mappings().first()
    return dict(row) if row else None


def get_customer(uow: UnitOfWork, customer_id) -> dict | None:
    return _row(uow.execute(select(m.customers).where(m.customers.c.id == customer_id)))


def lock_customer(uow: UnitOfWork, customer_id) -> None:
    """Serialises what must see the customer's other writes (the duplicate check of B3). NO KEY: rows
    that merely reference the customer (its invoices, tasks) can still be written meanwhile."""
    uow.execute(select(m.customers.c.id).where(m.customers.c.id == customer_id).with_for_update(key_share=True))


def get_customer_by_external_id(uow: UnitOfWork, external_id: str) -> dict | None:
    return _row(uow.execute(select(m.customers).where(m.customers.c.external_id == external_id)
                            .with_for_update()))


def insert_row(uow: UnitOfWork, table, values: dict) -> dict:
    values = {"id": uuid.uuid4(), "tenant_id": uow.tenant_id, **values}
    return _row(uow.execute(insert(table).values(**values).returning(table)))


def update_row(uow: UnitOfWork, table, row_id, values: dict) -> dict:
    return _row(uow.execute(update(table).where(table.c.id == row_id).values(**values).returning(table)))


def main_contact(uow: UnitOfWork, customer_id) -> dict | None:
    """The customer's main contact (at most one: contacts_one_main), where an action naming no
    recipient of its own goes."""
    return _row(uow.execute(select(m.contacts).where(m.contacts.c.customer_id == customer_id, m.contacts.c.is_main)))


def contacts_of(uow: UnitOfWork, customer_id) -> list[dict]:
    rows = uow.execute(select(m.contacts).where(m.contacts.c.customer_id == customer_id)
                       .order_by(m.contacts.c.created_at))
    return [dict(r) for r in rows.mappings()]


def get_invoice_by_external_id(uow: UnitOfWork, external_id: str, lock: bool = False) -> dict | None:
    query = select(m.invoices).where(m.invoices.c.external_id == external_id)
    return _row(uow.execute(query.with_for_update() if lock else query))


def invoices_by_ids(uow: UnitOfWork, ids: list, lock: bool = False) -> list[dict]:
    if not ids:
        return []
    query = select(m.invoices).where(m.invoices.c.id.in_(ids))
    rows = {r["id"]: dict(r) for r in uow.execute(query.with_for_update() if lock else query).mappings()}
    return [rows[i] for i in ids if i in rows]


def get_task(uow: UnitOfWork, task_id, lock: bool = False) -> dict | None:
    query = select(m.tasks).where(m.tasks.c.id == task_id)
    return _row(uow.execute(query.with_for_update() if lock else query))


def actions_of(uow: UnitOfWork, task_id) -> list[dict]:
    rows = uow.execute(select(m.actions).where(m.actions.c.task_id == task_id)
                       .order_by(m.actions.c.created_at, m.actions.c.id))
    return [dict(r) for r in rows.mappings()]


def skip_actions(uow: UnitOfWork, action_ids: list, now: datetime) -> set:
    """Skips those of these actions still open; returns the ids it skipped. The status condition is
    re-checked on a row another transaction changed meanwhile (READ COMMITTED): an action a user
    completed while the task was closing stays completed instead of being overwritten."""
    a = m.actions
    if not action_ids:
        return set()
    rows = uow.execute(update(a).where(a.c.id.in_(action_ids), a.c.status.notin_(("completed", "skipped")))
                       .values(status="skipped", version=a.c.version + 1, updated_at=now).returning(a.c.id))
    return {r[0] for r in rows}


def add_timeline(uow: UnitOfWork, entry: TimelineEntry, occurred_at: datetime | None = None) -> dict:
    return insert_row(uow, m.timeline_entries, {
        "customer_id": entry.customer_id,
        "kind": entry.kind,
        "occurred_at": occurred_at or uow.now,
        "actor_user_id": entry.actor_user_id,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "summary": entry.summary,
        "data": entry.data,
    })


def timeline_page(uow: UnitOfWork, customer_id, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    t = m.timeline_entries
    query = select(t).where(t.c.customer_id == customer_id)
    after = decode_cursor(cursor, (moment, identifier))
    if after:
        query = query.where(tuple_(t.c.occurred_at, t.c.id) < tuple_(
            func.cast(after[0], t.c.occurred_at.type), func.cast(after[1], t.c.id.type)))
    rows = [dict(r) for r in uow.execute(
        query.order_by(t.c.occurred_at.desc(), t.c.id.desc()).limit(limit + 1)).mappings()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1]["occurred_at"].isoformat(), str(rows[-1]["id"])])
    return rows, next_cursor


def recent_timeline(uow: UnitOfWork, customer_id, limit: int = 50) -> list[dict]:
    return timeline_page(uow, customer_id, limit, None)[0]




DEFAULT_SETTINGS = {"ai_suggestions": True, "timezone": "UTC"}


def tenant_settings(uow: UnitOfWork, share: bool = False) -> dict:
    """The tenant's settings, defaults when it never changed them (B5: AI suggestions on). ``share``
    holds them until the transaction ends: what is made from the time zone waits for a change to it."""
    query = select(m.tenant_settings)
    row = _row(uow.execute(query.with_for_update(read=True) if share else query))
    return {**DEFAULT_SETTINGS, **({k: row[k] for k in DEFAULT_SETTINGS} if row else {})}


def lock_tenant_settings(uow: UnitOfWork, actor) -> dict:
    """The tenant's settings, their row locked (made with the defaults if need be): two changes at
    once take turns, so each sees what the other set."""
    uow.execute(pg_insert(m.tenant_settings).values(
        tenant_id=uow.tenant_id, updated_at=uow.now, updated_by_user_id=actor, **DEFAULT_SETTINGS,
    ).on_conflict_do_nothing(index_elements=["tenant_id"]))
    row = _row(uow.execute(select(m.tenant_settings).with_for_update()))
    return {k: row[k] for k in DEFAULT_SETTINGS}


def waiting_promises(uow: UnitOfWork) -> list[dict]:
    """The tenant's promises still waiting for their day, locked (a promise before its task)."""
    p = m.promises
    return [dict(r) for r in uow.execute(
        select(p).where(p.c.status == "waiting").order_by(p.c.id).with_for_update()).mappings()]


def set_promise_schedules(uow: UnitOfWork, schedules: list[dict]) -> None:
    """New Due Soon and Overdue times (``id``, ``task_id``, ``due_soon_at``, ``overdue_at``) for these
    promises, and their tasks' due dates (the Overdue time), in two statements."""
    if not schedules:
        return
    source, params = unnest(schedules, {"id": "uuid", "task_id": "uuid", "due_soon_at": "timestamptz",
                                        "overdue_at": "timestamptz"})
    uow.execute(text(f"update promises p set due_soon_at = r.due_soon_at, overdue_at = r.overdue_at,"
                     f" updated_at = :now from {source} where p.id = r.id"), {"now": uow.now, **params})
    uow.execute(text(f"update tasks t set due_at = r.overdue_at, updated_at = :now from {source}"
                     " where t.id = r.task_id"), {"now": uow.now, **params})


def get_action(uow: UnitOfWork, action_id, lock: bool = False) -> dict | None:
    query = select(m.actions).where(m.actions.c.id == action_id)
    return _row(uow.execute(query.with_for_update() if lock else query))


def require_customer_invoices(uow: UnitOfWork, customer_id, invoice_ids, lock: bool = False) -> tuple[dict, list]:
    """The customer and these invoices of theirs, or 404 (absent, another customer's or another tenant's)."""
    customer = get_customer(uow, customer_id)
    if customer is None:
        raise NotFound("customer not found", code="CUSTOMER_NOT_FOUND")
    invoices = invoices_by_ids(uow, invoice_ids, lock=lock)
    if len(invoices) != len(set(invoice_ids)) or any(i["customer_id"] != customer["id"] for i in invoices):
        raise NotFound("invoice not found", code="INVOICE_NOT_FOUND")
    return customer, invoices


def reassign_live_actions(uow: UnitOfWork, task_id, from_user, to_user) -> list[dict]:
    """A task handed over: its live actions assigned to the previous owner go to the new one."""
    a = m.actions
    rows = uow.execute(update(a).where(
        a.c.task_id == task_id, a.c.assignee_user_id == from_user, a.c.status.in_(LIVE_ACTION_STATUSES),
    ).values(assignee_user_id=to_user, version=a.c.version + 1, updated_at=uow.now).returning(*a.c))
    return [dict(r) for r in rows.mappings()]


def live_follow_up_of(uow: UnitOfWork, task_id, action_id) -> dict | None:
    """The live action raised for a failed send of this action, if any (locked)."""
    a = m.actions
    return _row(uow.execute(select(a).where(
        a.c.task_id == task_id, a.c.type == "generic", a.c.status.in_(LIVE_ACTION_STATUSES),
        a.c.payload["caused_by_action_id"].astext == str(action_id)).limit(1).with_for_update()))


def lock_task_of_action(uow: UnitOfWork, action_id) -> dict | None:
    """The action's task, row-locked; None when there is no such action (for this tenant)."""
    t, a = m.tasks, m.actions
    return _row(uow.execute(select(t).join(a, a.c.task_id == t.c.id).where(a.c.id == action_id)
                            .with_for_update(of=t)))


def require_task(uow: UnitOfWork, task_id, lock: bool = False) -> dict:
    """The task, or 404 (absent or another tenant's: RLS makes those the same)."""
    query = select(m.tasks).where(m.tasks.c.id == task_id)
    task = _row(uow.execute(query.with_for_update() if lock else query))
    if task is None:
        raise NotFound("task not found", code="TASK_NOT_FOUND")
    return task


def deliveries_of(uow: UnitOfWork, action_ids: list) -> dict:
    """Delivery states per action: ``{action_id: [{recipient, channel, state, occurred_at, reason}]}``."""
    if not action_ids:
        return {}
    d = m.action_deliveries
    rows = uow.execute(select(d).where(d.c.action_id.in_(action_ids)).order_by(d.c.occurred_at, d.c.state))
    return delivery_rows_by_action(rows.mappings())


def open_tasks_of_customer(uow: UnitOfWork, customer_id) -> list[dict]:
    rows = uow.execute(select(m.tasks).where(m.tasks.c.customer_id == customer_id, m.tasks.c.is_open)
                       .order_by(m.tasks.c.created_at))
    return [dict(r) for r in rows.mappings()]


def get_promise(uow: UnitOfWork, promise_id=None, task_id=None, lock: bool = False) -> dict | None:
    p = m.promises
    query = select(p).where(p.c.id == promise_id if promise_id is not None else p.c.task_id == task_id)
    return _row(uow.execute(query.with_for_update() if lock else query))


def open_promise_on_invoices(uow: UnitOfWork, invoice_ids: list) -> dict | None:
    """An open (waiting or overdue) promise on any of these invoices."""
    p = m.promises
    return _row(uow.execute(select(p).where(p.c.status.in_(OPEN_PROMISE_STATUSES),
                                            p.c.invoice_ids.overlap(list(invoice_ids))).limit(1)))


def open_promises_on_invoice(uow: UnitOfWork, invoice_id) -> list[dict]:
    """The open promises that name this invoice, locked in id order (after the invoice's own lock)."""
    p = m.promises
    return [dict(r) for r in uow.execute(select(p).where(
        p.c.status.in_(OPEN_PROMISE_STATUSES), p.c.invoice_ids.any(invoice_id)).order_by(p.c.id)
        .with_for_update()).mappings()]


def open_promises_of_customer(uow: UnitOfWork, customer_id) -> list[dict]:
    p = m.promises
    # Locked in id order, as a time-zone change locks every waiting promise: two locking the same rows
    # in different orders would deadlock.
    rows = uow.execute(select(p).where(p.c.customer_id == customer_id, p.c.status.in_(OPEN_PROMISE_STATUSES))
                       .order_by(p.c.id).with_for_update())
    return [dict(r) for r in rows.mappings()]


NO_DUE_DATE = "9999-12-31 00:00:00+00"  # sorts last; psycopg cannot load 'infinity'


QUEUE_ITEM_FIELDS = tuple(c.TaskView.model_fields)  # a queue item is a TaskView, column for field


@functools.lru_cache(maxsize=32)
def _queue_query(by_status: bool, by_customer: bool, by_category: bool, after: bool, limit: int) -> "CompiledQuery":
    """One compiled statement per filter combination: compiling costs more than running it. It selects
    the view's columns in the view's order, then the keyset's: rows become items by ``zip``, with no
    per-row mapping and none of the columns the queue does not show (each loaded value costs)."""
    t = m.tasks
    query = select(*(t.c[name] for name in QUEUE_ITEM_FIELDS), t.c.queue_rank, t.c.queue_due_at, t.c.sort_priority)
    query = query.where(t.c.owner_user_id == bindparam("owner"))
    query = query.where(t.c.status == bindparam("status")) if by_status else query.where(t.c.is_open)
    if by_customer:
        query = query.where(t.c.customer_id == bindparam("customer_id"))
    if by_category:
        query = query.where(t.c.category == bindparam("category"))
    if after:
        query = query.where(tuple_(t.c.queue_rank, t.c.queue_due_at, t.c.sort_priority, t.c.id) > tuple_(
            bindparam("after_rank", type_=t.c.queue_rank.type), bindparam("after_due", type_=t.c.queue_due_at.type),
            bindparam("after_priority", type_=t.c.sort_priority.type), bindparam("after_id", type_=t.c.id.type)))
    return CompiledQuery(query.order_by(t.c.queue_rank, t.c.queue_due_at, t.c.sort_priority, t.c.id)
                         .limit(limit + 1))


def task_queue_query(*, owner, status=None, customer_id=None, category=None, limit: int,
                     cursor: str | None) -> tuple["CompiledQuery", dict]:
    """C5: the SQL and parameters of one queue page (the bench runs them straight in PostgreSQL too)."""
    after = decode_cursor(cursor, (integer, moment, integer, identifier))
    params = {"owner": owner, "status": status, "customer_id": customer_id, "category": category}
    if after:
        params.update(zip(("after_rank", "after_due", "after_priority", "after_id"), after))
    query = _queue_query(status is not None, customer_id is not None, category is not None, bool(after), limit)
    return query, {**query.defaults, **{k: v for k, v in params.items() if k in query.param_names}}


def task_queue(reader: Reader, *, owner, status=None, customer_id=None, category=None, limit: int,
               cursor: str | None) -> tuple[list[dict], str | None]:
    """C5: overdue promises, then due date, then priority; keyset pages on the index ``tasks_queue``.
    Returns the page's items (TaskView dicts) and the next page's cursor."""
    query, params = task_queue_query(owner=owner, status=status, customer_id=customer_id, category=category,
                                     limit=limit, cursor=cursor)
    rows = reader.tuples(query.sql, params)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        rank, due_at, priority = rows[-1][-3:]
        next_cursor = encode_cursor([rank, due_at.isoformat(), priority, str(rows[-1][0])])
    return [dict(zip(QUEUE_ITEM_FIELDS, row)) for row in rows], next_cursor  # zip drops the keyset columns


def action_list(uow: UnitOfWork, *, viewer, status=None, action_type=None, due_before=None, task_id=None,
                trigger_event_id=None, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """The caller's actions (assigned to them, or their own drafts), by due date then id."""
    a = m.actions
    due_key = func.coalesce(a.c.due_at, func.cast(NO_DUE_DATE, a.c.due_at.type))
    # An action that never went live (no assignee: a draft, or a skipped one) is its creator's alone (A4).
    mine = (a.c.assignee_user_id == viewer) | ((a.c.created_by_user_id == viewer) & a.c.assignee_user_id.is_(None))
    query = select(a, due_key.label("due_key")).where(mine)
    if task_id or trigger_event_id:  # a task's or a timeline event's group: every live action + own drafts
        query = select(a, due_key.label("due_key")).where(
            a.c.assignee_user_id.is_not(None) | (a.c.created_by_user_id == viewer))
        if task_id:
            query = query.where(a.c.task_id == task_id)
        if trigger_event_id:
            query = query.where(a.c.trigger_event_id == trigger_event_id)
    if status:
        query = query.where(a.c.status == status)
    if action_type:
        query = query.where(a.c.type == action_type)
    if due_before:
        query = query.where(a.c.due_at < due_before)
    after = decode_cursor(cursor, (moment, identifier))
    if after:
        query = query.where(tuple_(due_key, a.c.id) > tuple_(
            func.cast(after[0], a.c.due_at.type), func.cast(after[1], a.c.id.type)))
    rows = [dict(r) for r in uow.execute(query.order_by(due_key, a.c.id).limit(limit + 1)).mappings()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1]["due_key"].isoformat(), str(rows[-1]["id"])])
    return rows, next_cursor


def _prefixed(table, prefix: str):
    return [col.label(f"{prefix}{col.name}") for col in table.columns]


def _unprefix(row: dict, prefix: str) -> dict | None:
    part = {k[len(prefix):]: v for k, v in row.items() if k.startswith(prefix)}
    return part if part.get("id") is not None else None


def case_file_head_query(task_id):
    """The task with its customer and promise, in one row."""
    t, cu, p = m.tasks, m.customers, m.promises
    return (select(t, *_prefixed(cu, "customer__"), *_prefixed(p, "promise__"))
            .select_from(t.join(cu, cu.c.id == t.c.customer_id).outerjoin(p, p.c.task_id == t.c.id))
            .where(t.c.id == task_id))


def case_file_actions_query(task_id):
    """The task's actions, one row per delivery state (or one without)."""
    a, d = m.actions, m.action_deliveries
    return (select(a, *_prefixed(d, "delivery__")).select_from(a.outerjoin(d, d.c.action_id == a.c.id))
            .where(a.c.task_id == task_id).order_by(a.c.created_at, a.c.id, d.c.occurred_at, d.c.state))


def split_case_file(head: dict, action_rows) -> dict:
    actions, deliveries = {}, []
    for row in action_rows:
        row = dict(row)
        actions.setdefault(row["id"], {k: v for k, v in row.items() if not k.startswith("delivery__")})
        delivery = _unprefix(row, "delivery__")
        if delivery:
            deliveries.append(delivery)
    return {"task": {k: v for k, v in head.items() if "__" not in k},
            "customer": _unprefix(head, "customer__"), "promise": _unprefix(head, "promise__"),
            "actions": list(actions.values()), "deliveries": delivery_rows_by_action(deliveries)}


class CompiledQuery:
    """A repository statement compiled once to psycopg SQL (``%(name)s`` placeholders).

    The case file is the hottest read; running its statements on the transaction's own
    psycopg connection skips SQLAlchemy's per-statement and per-row work (a third of the
    service's CPU per read, profiled). The bench baseline runs the very same SQL.
    """

    def __init__(self, statement):
        compiled = statement.compile(dialect=pg_dialect.dialect())
        self.sql = str(compiled)
        self.param_names = list(compiled.params)
        self.defaults = dict(compiled.params)  # literals such as the LIMIT travel with the statement

    def run(self, uow: UnitOfWork, *values, **params) -> list[dict]:
        return uow.rows(self.sql, {**self.defaults, **params} if params else dict(zip(self.param_names, values)))


_PROBE = uuid.UUID(int=0)
CASE_FILE_HEAD = CompiledQuery(case_file_head_query(_PROBE))
CASE_FILE_ACTIONS = CompiledQuery(case_file_actions_query(_PROBE))
INVOICES_BY_IDS = CompiledQuery(select(m.invoices).where(
    m.invoices.c.id == func.any(func.cast([_PROBE], ARRAY(UUID(as_uuid=True))))))
RECENT_TIMELINE = CompiledQuery(
    select(m.timeline_entries).where(m.timeline_entries.c.customer_id == _PROBE)
    .order_by(m.timeline_entries.c.occurred_at.desc(), m.timeline_entries.c.id.desc()).limit(50))


def case_file_rows(uow: UnitOfWork, task_id) -> dict | None:
    """Everything a case file shows, in four queries (round trips dominate a read's cost)."""
    heads = CASE_FILE_HEAD.run(uow, task_id)
    if not heads:
        return None
    head = heads[0]
    parts = split_case_file(head, CASE_FILE_ACTIONS.run(uow, head["id"]))
    task = parts["task"]
    invoices = []
    if task["invoice_ids"]:
        by_id = {r["id"]: r for r in INVOICES_BY_IDS.run(uow, list(task["invoice_ids"]))}
        invoices = [by_id[i] for i in task["invoice_ids"] if i in by_id]
    return {**parts, "invoices": invoices, "timeline": RECENT_TIMELINE.run(uow, task["customer_id"], 50)}
