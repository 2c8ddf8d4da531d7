"""What the service does inside one transaction: accept a request, change a delivery's state.

Kept out of service.py so entrypoints stay "validate -> domain -> persist -> publish" and so
the same code serves every producer's request and every provider's callback.
"""
from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from common import metrics
from common.contracts.notifications import (Content, DeliveryStatusChanged, NotificationRequested, Recipient,
                                            SubjectRef)
from common.context import Principal
from common.db import UnitOfWork
from notifications import domain, repository as repo

SEND_TIMER = "notifications.send"
REQUESTS_CONSUMER = "notifications.requested"  # the inbox of requests, keyed by idempotency key
PROVIDER_OF = {"email": "smtp", "sms": "twilio", "letter": "lob", "in_app": "in_app"}


def tracking_token(tenant_id: str) -> str:
    """Unguessable (144 random bits) and carrying its tenant, for routes that have no caller."""
    return uuid.UUID(tenant_id).hex + secrets.token_urlsafe(18)


def tenant_of_token(token: str) -> str | None:
    try:
        return str(uuid.UUID(hex=token[:32]))
    except ValueError:
        return None


def ask_to_verify(uow: UnitOfWork, principal: Principal, address: str, sent_to: str, public_base: str,
                  requested_by: dict) -> dict:
    """Mail a link proving control of a sender identity, sent and retried like any email (from the
    platform, naming who asks); a new link replaces the one before."""
    token = tracking_token(uow.tenant_id)
    digest = domain.token_digest(token)
    link = f"{public_base.rstrip('/')}/v1/sender-identities/verify/{token}"
    identity = repo.start_verification(uow, address, sent_to, digest,
                                       uow.now + timedelta(days=domain.VERIFICATION_TTL_DAYS), requested_by)
    request = NotificationRequested(
        idempotency_key=f"sender-verification:{digest[:32]}", kind="sender_verification",
        channel="email", recipients=[Recipient(address=sent_to)],
        content=Content(**domain.verification_message(address, link, requested_by)))
    accept_many(uow, [(principal, request)])
    return identity


def resolve_content(uow: UnitOfWork, req: NotificationRequested) -> dict:
    """The content to send: the request's own, or its tenant template rendered with its variables.
    Its HTML is sanitised here, before it is stored: what is kept is what is sent."""
    content = _given_or_rendered(uow, req)
    if content.get("body_html"):
        content["body_html"] = domain.safe_html(content["body_html"])
    return content


def _given_or_rendered(uow: UnitOfWork, req: NotificationRequested) -> dict:
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


def accept_many(uow: UnitOfWork, requests: list[tuple[Principal, NotificationRequested]]) -> list[dict | None]:
    """Record each request's message and one delivery per recipient, and schedule the sends.

    Returns each request's message, None for a repeat of its idempotency key. Set-oriented: a
    batch (group commit of concurrent consumers) costs a handful of statements whatever its size.
    """
    keys = [f"{uow.tenant_id}:{req.idempotency_key}" for _, req in requests]
    fresh = uow.first_deliveries(REQUESTS_CONSUMER, keys)
    planned, results = [], [None] * len(requests)
    for i, ((principal, req), key) in enumerate(zip(requests, keys)):
        if key in fresh:
            fresh.discard(key)  # the same key twice in one batch: the second is a repeat
            planned.append((i, principal, req, *_content(uow, req)))
    messages = repo.insert_messages(uow, [(req, content) for _, _, req, content, _ in planned])
    emailed = repo.email_settings_of(uow, [r.user_id for _, _, req, _, refused in planned
                                           if req.channel == "in_app" and refused is None for r in req.recipients])
    deliveries, events, links, timers, inbox = [], [], [], [], []
    for i, principal, req, content, refused in planned:
        message = results[i] = messages.get(req.idempotency_key)
        if message is None:  # the same key from another producer or after the inbox was pruned
            continue
        for recipient in req.recipients:
            state, provider, reason = "queued", PROVIDER_OF[req.channel], None
            if refused is not None:
                state, provider, reason = "failed", None, f"{refused.code}: {refused.reason}"
            elif req.channel == "in_app":
                state = "sent"
            d = repo.new_delivery(uow, message["id"], req.channel, recipient, state, provider, reason)
            deliveries.append(d)
            events.append((d["id"], state, reason))
            if state == "sent":
                inbox.append((recipient.user_id, d["id"], req.kind, content.get("subject") or req.kind,
                              content.get("body_text"), message["subject_ref"]))
            elif state == "queued":
                if req.channel == "email" and content.get("body_html"):
                    links += tracking_links(uow, d["id"], content["body_html"])
                timers.append((str(d["id"]), uow.now, {"message_id": str(message["id"])}))
            announce(uow, message, d, state, reason, principal)
        if req.channel == "in_app" and refused is None:
            for user_id, address in domain.email_copies(req.kind, [r.user_id for r in req.recipients], emailed):
                # A4: "and email if the user wants it". Same message, its own delivery: sent,
                # retried and tracked as any email, and never twice (the request's key covers both).
                d = repo.new_delivery(uow, message["id"], "email", Recipient(address=address, user_id=user_id),
                                      "queued", PROVIDER_OF["email"])
                deliveries.append(d)
                events.append((d["id"], "queued", None))
                timers.append((str(d["id"]), uow.now, {"message_id": str(message["id"])}))
                announce(uow, message, d, "queued", None, principal)
    repo.insert_deliveries(uow, deliveries)  # first: the rest refer to them
    repo.add_events(uow, events)
    for item in sorted(inbox, key=lambda item: str(item[0])):  # by user: the order counters are locked in
        repo.add_inbox_item(uow, *item)
    repo.add_links(uow, links)
    uow.schedule_many(SEND_TIMER, timers)
    return results


def _content(uow: UnitOfWork, req: NotificationRequested) -> tuple[dict, domain.Refused | None]:
    """What will be sent, or why nothing will be (recorded as a failed delivery, not an error)."""
    refused = None
    try:
        content = resolve_content(uow, req)
        validate(req, content)
    except domain.Refused as exc:
        refused, content = exc, {}
    content["attachments"] = [a.model_dump() for a in req.attachments] if refused is None else []
    content["variables"] = req.variables
    content["postal_address"] = req.postal_address.model_dump() if req.postal_address else None
    return content, refused


def tracking_links(uow: UnitOfWork, delivery_id, html: str) -> list[tuple[str, object, str | None]]:
    """The open pixel's token, then one per distinct link of the HTML."""
    urls = [None] + sorted(set(m.group(3) for m in domain.HREF_RE.finditer(html)))
    return [(tracking_token(uow.tenant_id), delivery_id, url) for url in urls]


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
    changed = []  # (the delivery as it now is, the reason this report gave)
    for delivery, reported, reason in reports:
        new = domain.next_state(delivery["state"], reported)
        if new is not None:
            changed.append(({**delivery, "state": new, "reason": reason or delivery["reason"],
                             "updated_at": uow.now}, reason))
    if not changed:
        return []
    repo.set_deliveries(uow, [{"id": d["id"], "state": d["state"], "reason": d["reason"], "updated_at": uow.now}
                              for d, _ in changed])
    repo.add_events(uow, [(d["id"], d["state"], reason) for d, reason in changed])
    messages = repo.messages_by_id(uow, [d["message_id"] for d, _ in changed])
    for d, reason in changed:
        announce(uow, messages[d["message_id"]], d, d["state"], reason)
    return [d for d, _ in changed]


def announce(uow: UnitOfWork, message: dict, delivery: dict, state: str, reason: str | None,
             principal: Principal | None = None) -> None:
    metrics.NOTIFICATIONS.labels(delivery["channel"], state).inc()
    uow.publish(principal=principal, data=DeliveryStatusChanged(
        notification_id=message["id"], idempotency_key=message["idempotency_key"], kind=message["kind"],
        channel=delivery["channel"], recipient=delivery["recipient"], state=state, occurred_at=uow.now,
        reason=reason, subject_ref=SubjectRef(**message["subject_ref"]) if message["subject_ref"] else None,
        delivery_id=delivery["id"], role=delivery["role"]))
