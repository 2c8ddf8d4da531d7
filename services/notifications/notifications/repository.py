"""SQL of the notifications schema (every query runs inside a tenant's transaction: RLS filters)."""
from __future__ import annotations

import uuid

from sqlalchemy import text

from common.db import UnitOfWork, json_dumps, unnest


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


# ---- sender identities --------------------------------------------------------------------------------

IDENTITY_COLUMNS = ("address, display_name, is_default, updated_at, verified_at, verification_sent_to,"
                    " verification_expires_at")


def list_identities(uow: UnitOfWork) -> list[dict]:
    return all_(uow, f"select {IDENTITY_COLUMNS} from sender_identities order by address")


def upsert_identity(uow: UnitOfWork, address: str, display_name: str | None, is_default: bool) -> dict:
    if is_default:  # one default per tenant: the new one replaces the old
        uow.execute(text("update sender_identities set is_default = false where is_default and address <> :a"),
                    {"a": address})
    return one(uow, f"""
        insert into sender_identities (tenant_id, address, display_name, is_default, updated_at)
        values (:t, :a, :n, :d, :now)
        on conflict (tenant_id, address) do update set display_name = excluded.display_name,
            is_default = excluded.is_default, updated_at = excluded.updated_at
        returning {IDENTITY_COLUMNS}""",
               t=uow.tenant_id, a=address, n=display_name, d=is_default, now=uow.now)


def mark_verified(uow: UnitOfWork, address: str) -> dict:
    return one(uow, f"""
        update sender_identities set verified_at = :now, verification_token_hash = null,
            verification_expires_at = null where address = :a
        returning {IDENTITY_COLUMNS}""", a=address, now=uow.now)


def start_verification(uow: UnitOfWork, address: str, sent_to: str, token_hash: str, expires_at,
                       requested_by: dict) -> dict:
    """A new link replaces the one before: only the latest mailed link verifies."""
    return one(uow, f"""
        update sender_identities set verification_sent_to = :to, verification_token_hash = :h,
            verification_expires_at = :exp, verification_requested_by = cast(:by as jsonb) where address = :a
        returning {IDENTITY_COLUMNS}""", a=address, to=sent_to, h=token_hash, exp=expires_at,
               by=json_dumps(requested_by))


def pending_verification(uow: UnitOfWork, token_hash: str) -> dict | None:
    """What a live link asks, for the page that confirms it (nothing changes)."""
    return one(uow, """
        select address, verification_sent_to, verification_requested_by, verification_expires_at
        from sender_identities where verification_token_hash = :h and verification_expires_at > :now""",
               h=token_hash, now=uow.now)


def verify_identity(uow: UnitOfWork, token_hash: str) -> dict | None:
    """The identity whose live link this is, now verified; None for an unknown or expired link."""
    return one(uow, f"""
        update sender_identities set verified_at = :now, verification_token_hash = null,
            verification_expires_at = null
        where verification_token_hash = :h and verification_expires_at > :now
        returning {IDENTITY_COLUMNS}""", h=token_hash, now=uow.now)


def delete_identity(uow: UnitOfWork, address: str) -> bool:
    return one(uow, "delete from sender_identities where address = :a returning 1", a=address) is not None


# ---- messages and deliveries -------------------------------------------------------------------------

MESSAGE_COLUMNS = {"id": "uuid", "idempotency_key": "text", "kind": "text", "channel": "text", "sender": "jsonb",
                   "content": "jsonb", "subject_ref": "jsonb", "registered": "boolean"}
DELIVERY_COLUMNS = {"id": "uuid", "message_id": "uuid", "channel": "text", "recipient": "text", "role": "text",
                    "user_id": "uuid", "state": "text", "reason": "text", "provider": "text", "send_state": "text"}
# Columns that senders and callbacks change (set_deliveries), with their types.
DELIVERY_UPDATES = {"state": "text", "reason": "text", "updated_at": "timestamptz", "send_state": "text",
                    "provider_ref": "text", "accepted_at": "timestamptz", "last_error": "text", "attempts": "int"}


def insert_messages(uow: UnitOfWork, items: list[tuple]) -> dict:
    """One row per (request, content); returns the inserted ones by idempotency key (a key already
    there, from another producer or after the inbox was pruned, inserts nothing)."""
    if not items:
        return {}
    rows = [{"id": uuid.uuid4(), "tenant_id": uow.tenant_id, "idempotency_key": req.idempotency_key,
             "kind": req.kind, "channel": req.channel, "sender": req.sender.model_dump(mode="json") if req.sender
             else None, "content": content, "registered": req.registered, "created_at": uow.now,
             "subject_ref": req.subject_ref.model_dump(mode="json") if req.subject_ref else None}
            for req, content in items]
    source, params = unnest([{**r, "sender": _json_or_null(r["sender"]), "content": json_dumps(r["content"]),
                              "subject_ref": _json_or_null(r["subject_ref"])} for r in rows], MESSAGE_COLUMNS)
    inserted = uow.execute(text(f"""
        insert into messages (id, tenant_id, idempotency_key, kind, channel, sender, content, subject_ref,
                              registered, created_at)
        select r.id, cast(:t as uuid), r.idempotency_key, r.kind, r.channel, r.sender, r.content, r.subject_ref, r.registered, :now
        from {source}
        on conflict (tenant_id, idempotency_key) do nothing
        returning id"""), {"t": uow.tenant_id, "now": uow.now, **params}).scalars().all()
    ids = set(inserted)
    return {r["idempotency_key"]: r for r in rows if r["id"] in ids}


def _json_or_null(value) -> str | None:
    return None if value is None else json_dumps(value)


def new_delivery(uow: UnitOfWork, message_id, channel: str, recipient, state: str, provider: str | None,
                 reason: str | None = None) -> dict:
    """A delivery row as ``insert_deliveries`` writes it (send_state follows the E2 state)."""
    return {"id": uuid.uuid4(), "tenant_id": uow.tenant_id, "message_id": message_id, "channel": channel,
            "recipient": recipient.address, "role": recipient.role, "user_id": recipient.user_id, "state": state,
            "reason": reason, "updated_at": uow.now, "provider": provider, "attempts": 0,
            "send_state": {"queued": "pending", "failed": "failed"}.get(state, "sent")}


def insert_deliveries(uow: UnitOfWork, rows: list[dict]) -> None:
    if rows:
        source, params = unnest(rows, DELIVERY_COLUMNS)
        uow.execute(text(f"""
            insert into deliveries (id, tenant_id, message_id, channel, recipient, role, user_id, state, reason,
                                    updated_at, provider, send_state)
            select r.id, cast(:t as uuid), r.message_id, r.channel, r.recipient, r.role, r.user_id, r.state, r.reason, :now,
                   r.provider, r.send_state
            from {source}"""), {"t": uow.tenant_id, "now": uow.now, **params})


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
    """The same columns set on many deliveries in one statement; each dict has ``id`` and the values."""
    if rows:
        columns = [k for k in rows[0] if k != "id"]
        source, params = unnest(rows, {"id": "uuid", **{k: DELIVERY_UPDATES[k] for k in columns}}, alias="v")
        sets = ", ".join(f"{k} = v.{k}" for k in columns)
        uow.execute(text(f"update deliveries d set {sets} from {source} where d.id = v.id"), params)


def add_events(uow: UnitOfWork, events: list[tuple]) -> None:
    """(delivery id, state, reason) each, in the order they happened."""
    if events:
        source, params = unnest([{"d": d, "s": s, "r": r} for d, s, r in events],
                                {"d": "uuid", "s": "text", "r": "text"}, alias="e")
        uow.execute(text("insert into delivery_events (tenant_id, delivery_id, state, reason, occurred_at)"
                         f" select cast(:t as uuid), e.d, e.s, e.r, :now from {source} order by e.n"),
                    {"t": uow.tenant_id, "now": uow.now, **params})


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

def add_links(uow: UnitOfWork, links: list[tuple]) -> None:
    if links:
        source, params = unnest([{"k": token, "d": d, "u": url} for token, d, url in links],
                                {"k": "text", "d": "uuid", "u": "text"}, alias="l")
        uow.execute(text(f"insert into tracking_links (token, tenant_id, delivery_id, url) select l.k, cast(:t as uuid), l.d, l.u"
                         f" from {source}"), {"t": uow.tenant_id, **params})


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
    # The table's trigger numbers the item from the user's counter, locked until this transaction ends:
    # an item numbered after another cannot commit before it, so a stream that moved past a number has
    # seen everything below it. Callers adding several take them in user order (no two batches wait on
    # each other).
    uow.execute(text(
        "insert into inbox_items (id, tenant_id, user_id, delivery_id, kind, title, body, subject_ref, created_at)"
        " values (:id, :t, :u, :d, :kind, :title, :body, cast(:ref as jsonb), :now)"),
        {"id": uuid.uuid4(), "t": uow.tenant_id, "u": user_id, "d": delivery_id, "kind": kind, "title": title,
         "body": body, "ref": json_dumps(subject_ref), "now": uow.now})


def inbox(uow: UnitOfWork, user_id, after_seq: int, limit: int, unread_only: bool) -> list[dict]:
    return all_(uow, "select * from inbox_items where user_id = :u and seq > :after"
                     + (" and read_at is null" if unread_only else "") + " order by seq limit :n",
                u=user_id, after=after_seq, n=limit)


def inbox_latest(uow: UnitOfWork, user_id, before_seq: int | None, limit: int, unread_only: bool) -> list[dict]:
    return all_(uow, "select * from inbox_items where user_id = :u and (cast(:b as bigint) is null or seq < cast(:b as bigint))"
                     + (" and read_at is null" if unread_only else "") + " order by seq desc limit :n",
                u=user_id, b=before_seq, n=limit)


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


# ---- per-user settings (A4, E5) -------------------------------------------------------------------------

def user_settings(uow: UnitOfWork, user_id) -> dict | None:
    return one(uow, "select * from user_settings where user_id = :u", u=user_id)


def save_user_settings(uow: UnitOfWork, user_id, email: str, email_kinds: list[str]) -> dict:
    return one(uow, """
        insert into user_settings (tenant_id, user_id, email, email_kinds, updated_at)
        values (:t, :u, :e, :k, :now)
        on conflict (tenant_id, user_id) do update set email = excluded.email, email_kinds = excluded.email_kinds,
                                                       updated_at = excluded.updated_at
        returning *""", t=uow.tenant_id, u=user_id, e=email, k=email_kinds, now=uow.now)


def email_settings_of(uow: UnitOfWork, user_ids) -> dict:
    """The users' settings that have any kind emailed, by user id (as a string)."""
    if not user_ids:
        return {}
    rows = all_(uow, "select user_id, email, email_kinds from user_settings"
                     " where user_id = any(cast(:ids as uuid[])) and cardinality(email_kinds) > 0",
                ids=sorted({str(u) for u in user_ids}))
    return {str(r["user_id"]): r for r in rows}
