"""SQL of the notifications schema (every query runs inside a tenant's transaction: RLS filters)."""
from __future__ import annotations

import uuid

from sqlalchemy import text

from common.db import UnitOfWork, json_dumps


def one(uow: UnitOfWork, sql: str, **params) -> dict | None:
    row = uow.execute(text(sql), params).mappings().first()
    return dict(row) if row else None


def all_(uow: UnitOfWork, sql: str, **params) -> list[dict]:
    return [dict(r) for r in uow.execute(text(sql), params).mappings().all()]


# ---- templates -----------------------------------------------------------------------------------

def upsert_template(uow: UnitOfWork, name: str, values: dict) -> dict:
    return one(uow, """
        insert into templates (tenant_id, name, channel, subject, body_text, body_html, variables, updated_at)
        values (:t, :name, :channel, :subject, :body_text, :body_html, cast(:variables as jsonb), :now)
        on conflict (tenant_id, name) do update set channel = excluded.channel, subject = excluded.subject,
            body_text = excluded.body_text, body_html = excluded.body_html, variables = excluded.variables,
            updated_at = excluded.updated_at
        returning *""", t=uow.tenant_id, name=name, now=uow.now, **{**values,
                                                                   "variables": json_dumps(values["variables"])})


def get_template(uow: UnitOfWork, name: str) -> dict | None:
    return one(uow, "select * from templates where name = :n", n=name)


def list_templates(uow: UnitOfWork) -> list[dict]:
    return all_(uow, "select * from templates order by name")


def delete_template(uow: UnitOfWork, name: str) -> bool:
    return one(uow, "delete from templates where name = :n returning 1", n=name) is not None


# ---- messages and deliveries -------------------------------------------------------------------------

def insert_message(uow: UnitOfWork, req, content: dict) -> dict:
    return one(uow, """
        insert into messages (id, tenant_id, idempotency_key, kind, channel, sender, content, subject_ref,
                              registered, created_at)
        values (:id, :t, :key, :kind, :channel, cast(:sender as jsonb), cast(:content as jsonb),
                cast(:subject_ref as jsonb), :registered, :now)
        on conflict (tenant_id, idempotency_key) do nothing
        returning *""", id=uuid.uuid4(), t=uow.tenant_id, key=req.idempotency_key, kind=req.kind,
               channel=req.channel, sender=json_dumps(req.sender.model_dump(mode="json") if req.sender else None),
               content=json_dumps(content), registered=req.registered, now=uow.now,
               subject_ref=json_dumps(req.subject_ref.model_dump(mode="json") if req.subject_ref else None))


def insert_delivery(uow: UnitOfWork, message_id, channel: str, recipient, state: str, provider: str | None,
                    reason: str | None = None) -> dict:
    row = one(uow, """
        insert into deliveries (id, tenant_id, message_id, channel, recipient, role, user_id, state, reason,
                                updated_at, provider, send_state)
        values (:id, :t, :m, :channel, :recipient, :role, :user_id, :state, :reason, :now, :provider,
                case when :state = 'queued' then 'pending' when :state = 'failed' then 'failed' else 'sent' end)
        returning *""", id=uuid.uuid4(), t=uow.tenant_id, m=message_id, channel=channel,
              recipient=recipient.address, role=recipient.role, user_id=recipient.user_id, state=state,
              reason=reason, now=uow.now, provider=provider)
    add_event(uow, row["id"], state, reason)
    return row


def add_event(uow: UnitOfWork, delivery_id, state: str, reason: str | None) -> None:
    add_events(uow, [(delivery_id, state, reason)])


def get_delivery(uow: UnitOfWork, delivery_id, lock: bool = False) -> dict | None:
    return one(uow, "select * from deliveries where id = :id" + (" for update" if lock else ""), id=delivery_id)


def delivery_by_ref(uow: UnitOfWork, provider: str, ref: str) -> dict | None:
    return one(uow, "select * from deliveries where provider = :p and provider_ref = :r for update",
               p=provider, r=ref)


def deliveries_for_update(uow: UnitOfWork, ids: list) -> dict:
    """Rows by id, locked; in id order so two batches never deadlock on each other."""
    rows = all_(uow, "select * from deliveries where id = any(cast(:ids as uuid[])) order by id for update",
                ids=[str(i) for i in ids])
    return {str(r["id"]): r for r in rows}


def messages_by_id(uow: UnitOfWork, ids) -> dict:
    rows = all_(uow, "select * from messages where id = any(cast(:ids as uuid[]))", ids=[str(i) for i in set(ids)])
    return {r["id"]: r for r in rows}


def recipients_of(uow: UnitOfWork, message_ids) -> dict:
    """Every delivery's (recipient, role) by message: an email names all its To and Cc."""
    out: dict = {}
    for r in all_(uow, "select message_id, recipient, role from deliveries where message_id = any(cast(:ids as uuid[]))"
                       " order by recipient", ids=[str(i) for i in set(message_ids)]):
        out.setdefault(r["message_id"], []).append(r)
    return out


def start_attempts(uow: UnitOfWork, ids: list) -> dict:
    rows = all_(uow, "update deliveries set send_state = 'sending', attempts = attempts + 1, updated_at = :now"
                     " where id = any(cast(:ids as uuid[])) returning *", ids=[str(i) for i in ids], now=uow.now)
    return {str(r["id"]): r for r in rows}


def set_deliveries(uow: UnitOfWork, rows: list[dict]) -> None:
    """The same columns set on many deliveries (one round trip); each dict has ``id`` and the values."""
    if rows:
        sets = ", ".join(f"{k} = :{k}" for k in rows[0] if k != "id")
        uow.execute(text(f"update deliveries set {sets} where id = :id"), rows)


def add_events(uow: UnitOfWork, events: list[tuple]) -> None:
    uow.execute(text("insert into delivery_events (tenant_id, delivery_id, state, reason, occurred_at)"
                     " values (:t, :d, :s, :r, :now)"),
                [{"t": uow.tenant_id, "d": d, "s": s, "r": r, "now": uow.now} for d, s, r in events])


def get_message(uow: UnitOfWork, message_id) -> dict | None:
    return one(uow, "select * from messages where id = :id", id=message_id)


def set_delivery(uow: UnitOfWork, delivery_id, **values) -> dict:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    return one(uow, f"update deliveries set {sets} where id = :id returning *", id=delivery_id, **values)


def deliveries_of_key(uow: UnitOfWork, key: str) -> tuple[dict | None, list[dict]]:
    message = one(uow, "select * from messages where idempotency_key = :k", k=key)
    if message is None:
        return None, []
    deliveries = all_(uow, "select * from deliveries where message_id = :m order by role, recipient",
                      m=message["id"])
    for d in deliveries:
        d["history"] = all_(uow, "select state, reason, occurred_at from delivery_events"
                                 " where delivery_id = :d order by id", d=d["id"])
    return message, deliveries


# ---- tracking -----------------------------------------------------------------------------------------

def add_link(uow: UnitOfWork, token: str, delivery_id, url: str | None) -> None:
    uow.execute(text("insert into tracking_links (token, tenant_id, delivery_id, url) values (:k, :t, :d, :u)"),
                {"k": token, "t": uow.tenant_id, "d": delivery_id, "u": url})


def links_of(uow: UnitOfWork, delivery_ids: list) -> dict:
    out: dict = {}
    for r in all_(uow, "select delivery_id, token, url from tracking_links where delivery_id = any(cast(:ids as uuid[]))",
                  ids=[str(i) for i in delivery_ids]):
        out.setdefault(str(r["delivery_id"]), []).append(r)
    return out


def link(uow: UnitOfWork, token: str) -> dict | None:
    return one(uow, "select * from tracking_links where token = :k", k=token)


# ---- in-app inbox ---------------------------------------------------------------------------------------

def add_inbox_item(uow: UnitOfWork, user_id, delivery_id, kind: str, title: str, body: str | None,
                   subject_ref) -> None:
    uow.execute(text(
        "insert into inbox_items (id, tenant_id, user_id, delivery_id, kind, title, body, subject_ref, created_at)"
        " values (:id, :t, :u, :d, :kind, :title, :body, cast(:ref as jsonb), :now)"),
        {"id": uuid.uuid4(), "t": uow.tenant_id, "u": user_id, "d": delivery_id, "kind": kind, "title": title,
         "body": body, "ref": json_dumps(subject_ref), "now": uow.now})


def inbox(uow: UnitOfWork, user_id, after_seq: int, limit: int, unread_only: bool) -> list[dict]:
    return all_(uow, "select * from inbox_items where user_id = :u and seq > :after"
                     + (" and read_at is null" if unread_only else "") + " order by seq limit :n",
                u=user_id, after=after_seq, n=limit)


def inbox_latest(uow: UnitOfWork, user_id, before_seq: int | None, limit: int) -> list[dict]:
    return all_(uow, "select * from inbox_items where user_id = :u and (cast(:b as bigint) is null or seq < cast(:b as bigint))"
                     " order by seq desc limit :n", u=user_id, b=before_seq, n=limit)


def unread_count(uow: UnitOfWork, user_id) -> int:
    return uow.execute(text("select count(*) from inbox_items where user_id = :u and read_at is null"),
                       {"u": user_id}).scalar()


def mark_read(uow: UnitOfWork, user_id, ids: list[str] | None) -> int:
    sql = "update inbox_items set read_at = :now where user_id = :u and read_at is null"
    params = {"now": uow.now, "u": user_id}
    if ids is not None:
        sql += " and id = any(cast(:ids as uuid[]))"
        params["ids"] = ids
    return uow.execute(text(sql), params).rowcount
