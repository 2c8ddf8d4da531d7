"""What the service does inside one transaction: accept a request, change a delivery's state.

Kept out of service.py so entrypoints stay "validate -> domain -> persist -> publish" and so
the same code serves every producer's request and every provider's callback.
"""
from __future__ import annotations

import secrets
import uuid

from common import metrics
from common.contracts.notifications import DeliveryStatusChanged, NotificationRequested, SubjectRef
from common.db import UnitOfWork
from notifications import domain, repository as repo

SEND_TIMER = "notifications.send"
PROVIDER_OF = {"email": "smtp", "sms": "twilio", "letter": "lob", "in_app": "in_app"}


def tracking_token(tenant_id: str) -> str:
    """Unguessable (144 random bits) and carrying its tenant, for routes that have no caller."""
    return uuid.UUID(tenant_id).hex + secrets.token_urlsafe(18)


def tenant_of_token(token: str) -> str | None:
    try:
        return str(uuid.UUID(hex=token[:32]))
    except ValueError:
        return None


def resolve_content(uow: UnitOfWork, req: NotificationRequested) -> dict:
    """The content to send: the request's own, or its tenant template rendered with its variables."""
    if req.content is not None:
        return req.content.model_dump()
    template = repo.get_template(uow, req.template)
    if template is None:
        raise domain.Refused("UNKNOWN_TEMPLATE", f"no template named {req.template!r}")
    if template["channel"] not in (req.channel, "any"):
        raise domain.Refused("TEMPLATE_CHANNEL_MISMATCH",
                             f"template {req.template!r} is for {template['channel']}, not {req.channel}")
    domain.check_variables(template["variables"], req.variables)
    return domain.render({p: template[p] for p in domain.TEMPLATE_PARTS}, req.variables)


def validate(req: NotificationRequested, content: dict) -> None:
    for r in req.recipients:
        domain.check_address(req.channel, r.address)
        if req.channel == "in_app" and r.user_id is None:
            raise domain.Refused("INVALID_ADDRESS", f"an in-app recipient needs a user_id ({r.address!r})")
    domain.attachment_bytes([(a.filename, a.content_base64) for a in req.attachments])
    if req.channel == "email" and not (content.get("body_text") or content.get("body_html")):
        raise domain.Refused("EMPTY_MESSAGE", "an email needs a body")
    if req.channel == "sms" and len(content.get("body_text") or "") > domain.MAX_SMS_CHARS:
        raise domain.Refused("SMS_TOO_LONG", f"an SMS body is at most {domain.MAX_SMS_CHARS} characters")


def accept(uow: UnitOfWork, req: NotificationRequested) -> dict | None:
    """Record the message and one delivery per recipient; schedule the sends. None if a repeat."""
    refused = None
    try:
        content = resolve_content(uow, req)
        validate(req, content)
    except domain.Refused as exc:
        refused, content = exc, {}
    content["attachments"] = [a.model_dump() for a in req.attachments] if refused is None else []
    content["variables"] = req.variables
    content["postal_address"] = req.postal_address.model_dump() if req.postal_address else None
    message = repo.insert_message(uow, req, content)
    if message is None:  # the same key from another producer or after the inbox was pruned
        return None
    for recipient in req.recipients:
        if refused is not None:
            reason = f"{refused.code}: {refused.reason}"
            d = repo.insert_delivery(uow, message["id"], req.channel, recipient, "failed", None, reason)
            announce(uow, message, d, "failed", reason)
            continue
        provider = PROVIDER_OF[req.channel]
        if req.channel == "in_app":
            d = repo.insert_delivery(uow, message["id"], req.channel, recipient, "sent", provider)
            repo.add_inbox_item(uow, recipient.user_id, d["id"], req.kind, content.get("subject") or req.kind,
                                content.get("body_text"), message["subject_ref"])
            announce(uow, message, d, "sent", None)
            continue
        d = repo.insert_delivery(uow, message["id"], req.channel, recipient, "queued", provider)
        if req.channel == "email" and content.get("body_html"):
            add_tracking(uow, d["id"], content["body_html"])
        announce(uow, message, d, "queued", None)
        uow.schedule(SEND_TIMER, str(d["id"]), uow.now, {"message_id": str(message["id"])})
    return message


def add_tracking(uow: UnitOfWork, delivery_id, html: str) -> None:
    repo.add_link(uow, tracking_token(uow.tenant_id), delivery_id, None)  # the open pixel
    for url in sorted(set(m.group(3) for m in domain.HREF_RE.finditer(html))):
        repo.add_link(uow, tracking_token(uow.tenant_id), delivery_id, url)


def tracked_html(links: list[dict], html: str, public_base: str) -> str:
    by_url = {l["url"]: l["token"] for l in links if l["url"]}
    pixel = next((l["token"] for l in links if l["url"] is None), None)
    base = public_base.rstrip("/")
    html = domain.rewrite_links(html, lambda url: f"{base}/v1/t/c/{by_url[url]}" if url in by_url else url)
    return domain.add_pixel(html, f"{base}/v1/t/o/{pixel}.gif") if pixel else html


def change(uow: UnitOfWork, delivery: dict, reported: str, reason: str | None = None) -> dict | None:
    """Apply a reported state to a (locked) delivery; publishes the change. None when it changes nothing."""
    changed = change_many(uow, [(delivery, reported, reason)])
    return changed[0] if changed else None


def change_many(uow: UnitOfWork, reports: list[tuple[dict, str, str | None]]) -> list[dict]:
    """``change`` for many (locked) deliveries in a few round trips; returns the ones that changed."""
    changed = []
    for delivery, reported, reason in reports:
        new = domain.next_state(delivery["state"], reported)
        if new is not None:
            changed.append({**delivery, "state": new, "reason": reason or delivery["reason"],
                            "updated_at": uow.now, "_reason": reason})
    if not changed:
        return []
    repo.set_deliveries(uow, [{"id": d["id"], "state": d["state"], "reason": d["reason"], "updated_at": uow.now}
                              for d in changed])
    repo.add_events(uow, [(d["id"], d["state"], d["_reason"]) for d in changed])
    messages = repo.messages_by_id(uow, [d["message_id"] for d in changed])
    for d in changed:
        announce(uow, messages[d["message_id"]], d, d["state"], d.pop("_reason"))
    return changed


def announce(uow: UnitOfWork, message: dict, delivery: dict, state: str, reason: str | None) -> None:
    metrics.NOTIFICATIONS.labels(delivery["channel"], state).inc()
    uow.publish(DeliveryStatusChanged(
        notification_id=message["id"], idempotency_key=message["idempotency_key"], kind=message["kind"],
        channel=delivery["channel"], recipient=delivery["recipient"], state=state, occurred_at=uow.now,
        reason=reason, subject_ref=SubjectRef(**message["subject_ref"]) if message["subject_ref"] else None,
        delivery_id=delivery["id"], role=delivery["role"]))
