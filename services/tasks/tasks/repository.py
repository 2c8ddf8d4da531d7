"""Reads and writes of the tasks schema, on a unit of work's connection (RLS scopes them to its tenant)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, insert, select, tuple_, update

from common.db import UnitOfWork
from common.pagination import decode_cursor, encode_cursor
from tasks import models as m
from tasks.domain import TimelineEntry


def _row(result) -> dict | None:
    row = result.mappings().first()
    return dict(row) if row else None


def get_customer(uow: UnitOfWork, customer_id) -> dict | None:
    return _row(uow.execute(select(m.customers).where(m.customers.c.id == customer_id)))


def get_customer_by_external_id(uow: UnitOfWork, external_id: str) -> dict | None:
    return _row(uow.execute(select(m.customers).where(m.customers.c.external_id == external_id)
                            .with_for_update()))


def insert_row(uow: UnitOfWork, table, values: dict) -> dict:
    values = {"id": uuid.uuid4(), "tenant_id": uow.tenant_id, **values}
    return _row(uow.execute(insert(table).values(**values).returning(table)))


def update_row(uow: UnitOfWork, table, row_id, values: dict) -> dict:
    return _row(uow.execute(update(table).where(table.c.id == row_id).values(**values).returning(table)))


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


def get_task(uow: UnitOfWork, task_id) -> dict | None:
    return _row(uow.execute(select(m.tasks).where(m.tasks.c.id == task_id)))


def actions_of(uow: UnitOfWork, task_id) -> list[dict]:
    rows = uow.execute(select(m.actions).where(m.actions.c.task_id == task_id)
                       .order_by(m.actions.c.created_at, m.actions.c.id))
    return [dict(r) for r in rows.mappings()]


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
    after = decode_cursor(cursor, 2)
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


def tenant_settings(uow: UnitOfWork) -> dict:
    """The tenant's settings, defaults when it never changed them (B5: AI suggestions on)."""
    row = _row(uow.execute(select(m.tenant_settings)))
    return {**DEFAULT_SETTINGS, **({k: row[k] for k in DEFAULT_SETTINGS} if row else {})}
