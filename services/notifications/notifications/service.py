"""Entrypoints of the notifications service (E1-E5): accept requests, send them, track deliveries.

A request is recorded with one delivery per recipient and a durable timer per send, in the
transaction that records the event as consumed (inbox): the consumer never talks to a provider, so a
redelivered event sends nothing and a send survives a restart. The timer handler then moves the
delivery pending -> sending (committed before the provider call) -> sent; a delivery found in
``sending`` had an unknown outcome and is looked up at the provider before any new attempt.
"""
from __future__ import annotations

import logging
import time

import eventlet

from common import metrics
from common.context import CallerContext
from common.contracts.notifications import IN_APP_KINDS, NotificationSettings
from common.errors import Conflict, NotFound, ValidationFailed
from common.events import receive, reliable_event_handler
from common.group_commit import GroupCommit
from common.observability import PlatformEndpoints
from common.rpc import rpc
from common.store import DatabaseProvider
from common.timers import due_timer
from notifications import domain, flows, repository as repo, sending
from notifications.letters import render_pdf
from notifications.limits import RateLimits
from notifications.mail import Outcome, Smtp, compose, message_id_for
from notifications.providers import Providers
from notifications.settings import load as load_settings

log = logging.getLogger(__name__)
SETTINGS = load_settings()
POLICY = domain.RetryPolicy(SETTINGS.send_max_attempts, SETTINGS.send_retry_base_s, SETTINGS.send_retry_cap_s)


def _json(row: dict) -> dict:
    return {k: (str(v) if k.endswith("id") or k.endswith("_at") else v) for k, v in row.items()
            if v is not None or not k.endswith("_at")}


def _identity(row: dict) -> dict:
    return {**_json(row), "verified": row["verified_at"] is not None}


class NotificationsService(PlatformEndpoints):
    name = "notifications"

    db = DatabaseProvider()
    caller = CallerContext()
    smtp = Smtp()
    providers = Providers()
    limits = RateLimits()
    requests = GroupCommit(flows.accept_many)

    # ---- requests from other services (one consumer per producer, same code) -----------------------
    @reliable_event_handler("tasks", "notification_requested")
    def on_tasks_request(self, body):
        self._accept("tasks", body)

    @reliable_event_handler("workflows", "notification_requested")
    def on_workflows_request(self, body):
        self._accept("workflows", body)

    @reliable_event_handler("orders", "notification_requested")
    def on_orders_request(self, body):
        self._accept("orders", body)

    def _accept(self, producer: str, body: dict) -> None:
        # Keyed by the request's idempotency key, not the event id: a producer that retries
        # with a new event for the same request sends nothing either. Concurrent requests share
        # one transaction (group commit); this returns, and the event is acked, once it committed.
        _, req = receive(producer, body, self.caller)
        self.requests.submit(self.caller, req)

    # ---- sending (durable timers, a batch per worker) ---------------------------------------------------
    @due_timer(flows.SEND_TIMER, batch=SETTINGS.send_batch_size)
    def send_due(self, timers):
        if self._time_left(timers[0]) is None:
            return  # the batch waited for a worker until its lease left no time: taken again once it ends
        with self.db.transaction(self.caller) as uow:
            attempts = sending.begin(uow, timers, self.limits, SETTINGS.public_base_url, SETTINGS.default_from)
        if not attempts:
            return
        # Concurrent provider calls; the SMTP pool bounds how many are on the wire at once.
        outcomes = list(eventlet.GreenPool(SETTINGS.smtp_pool_size).imap(self._attempt, attempts))
        with self.db.transaction(self.caller) as uow:
            sending.settle(uow, list(zip(attempts, outcomes)), POLICY)

    def _time_left(self, timer) -> float | None:
        # The service clock, the one the poller claimed with (tests move it).
        return domain.send_time_left(self.db.clock(), timer.claimed_at, timer.claimed_until,
                                     batch_deadline_s=SETTINGS.send_batch_deadline_s,
                                     margin_share=SETTINGS.send_lease_margin_share)

    def _attempt(self, attempt: sending.Attempt) -> Outcome:
        d = attempt.delivery
        left = self._time_left(attempt.timer)
        if left is None:
            return Outcome(False, reason="not attempted: the batch ran past its deadline (provider slow)",
                           attempted=False)
        started = time.perf_counter()
        cut_off = eventlet.Timeout(left)
        try:
            ref = self._look_up(d) if attempt.unknown else None
            outcome = Outcome(True, provider_ref=ref) if ref is not None else self._send(attempt)
        except eventlet.Timeout as exc:
            if exc is not cut_off:
                raise
            # Past this point the timer may be taken over; the provider may have the request already.
            log.warning("send attempt cut off before its timer lease ends", extra={"delivery_id": str(d["id"])})
            outcome = Outcome(False, reason=f"cut off after {left:.1f} s, before the timer lease ends: "
                                            "outcome unknown", unknown=True)
        except domain.Refused as exc:
            outcome = Outcome(False, permanent=True, reason=f"{exc.code}: {exc.reason}")
        except Exception as exc:  # one delivery's surprise must not fail its batch: retried with backoff
            # Unknown, not a plain retry: a look-up that failed leaves the earlier outcome as unknown as it
            # was, and a surprise mid-send may come after the provider took the request. A plain retry
            # would send again without asking; asking costs one look-up.
            log.warning("send attempt failed", extra={"delivery_id": str(d["id"]), "error": repr(exc)})
            outcome = Outcome(False, reason=f"{type(exc).__name__}: {exc}"[:500], unknown=True)
        finally:
            cut_off.cancel()
        metrics.NOTIFICATION_SEND_LATENCY.labels(d["provider"], "accepted" if outcome.accepted else "refused") \
            .observe(time.perf_counter() - started)
        return outcome

    def _send(self, attempt: sending.Attempt) -> Outcome:
        d, message = attempt.delivery, attempt.message
        if d["channel"] == "email":
            return self.smtp.send(self._email(attempt), d["recipient"])
        if d["channel"] == "sms":
            return self.providers["sms"].send(str(d["id"]), self.caller.tenant_id,
                                              {"to": d["recipient"], "body": message["content"].get("body_text") or ""})
        return self.providers["letter"].send(str(d["id"]), self.caller.tenant_id, self._letter(message))

    def _email(self, attempt: sending.Attempt):
        d, message = attempt.delivery, attempt.message
        content, sent_from = message["content"], attempt.from_line
        data = domain.attachment_bytes([(a["filename"], a["content_base64"]) for a in content["attachments"]])
        return compose(
            delivery_id=str(d["id"]), tenant_id=self.caller.tenant_id, domain=SETTINGS.message_id_domain,
            from_addr=sent_from.address, from_name=sent_from.name, reply_to=sent_from.reply_to,
            to=[r["recipient"] for r in attempt.recipients if r["role"] == "to"],
            cc=[r["recipient"] for r in attempt.recipients if r["role"] == "cc"],
            subject=content.get("subject") or "", body_text=content.get("body_text"), body_html=attempt.html,
            attachments=[(a["filename"], a["content_type"], b) for a, b in zip(content["attachments"], data)],
            sent_at=message["created_at"])

    def _letter(self, message: dict) -> dict:
        content = message["content"]
        sender = message["sender"] or {}
        pdf = render_pdf(sender=sender.get("name") or sender.get("email") or "", address=content["postal_address"],
                         subject=content.get("subject"), body=content.get("body_text") or "",
                         date=message["created_at"].date().isoformat(), registered=message["registered"])
        return {"address": content["postal_address"], "pdf": pdf, "registered": message["registered"],
                "description": content.get("subject")}

    def _look_up(self, d: dict) -> str | None:
        """An attempt whose outcome is unknown (the process died mid-call): ask, do not resend blindly."""
        if d["channel"] == "email":
            mid = message_id_for(str(d["id"]), self.caller.tenant_id, SETTINGS.message_id_domain)
            accepted = self.smtp.was_accepted(mid)
            # No look-up configured: resend with the same Message-ID (receivers dedupe on it).
            return mid if accepted else None
        return self.providers[d["channel"]].lookup(str(d["id"]), self.caller.tenant_id, d["recipient"])

    # ---- templates (E4) -----------------------------------------------------------------------------
    @rpc
    def save_template(self, name: str, payload: dict) -> dict:
        channel = payload.get("channel")
        if channel not in ("email", "sms", "letter", "in_app", "any"):
            raise ValidationFailed("channel must be email, sms, letter, in_app or any", code="VALIDATION_ERROR")
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            raise ValidationFailed("variables maps each name to a sample value", code="VALIDATION_ERROR")
        parts = {p: payload.get(p) for p in domain.TEMPLATE_PARTS}
        if not any(parts.values()):
            raise ValidationFailed("a template needs a subject or a body", code="VALIDATION_ERROR")
        try:
            domain.check_template(parts, variables)
        except domain.TemplateInvalid as exc:
            raise ValidationFailed(str(exc), exc.details(), code="TEMPLATE_INVALID") from None
        with self.db.transaction(self.caller) as uow:
            return _json(repo.upsert_template(uow, name, {"channel": channel, **parts, "variables": variables}))

    @rpc
    def get_template(self, name: str) -> dict:
        with self.db.transaction(self.caller) as uow:
            row = repo.get_template(uow, name)
        if row is None:
            raise NotFound("template not found", code="TEMPLATE_NOT_FOUND")
        return _json(row)

    @rpc
    def list_templates(self) -> list[dict]:
        with self.db.transaction(self.caller) as uow:
            return [_json(r) for r in repo.list_templates(uow)]

    @rpc
    def delete_template(self, name: str) -> None:
        with self.db.transaction(self.caller) as uow:
            if not repo.delete_template(uow, name):
                raise NotFound("template not found", code="TEMPLATE_NOT_FOUND")

    # ---- sender identities ----------------------------------------------------------------------------
    @rpc
    def save_sender_identity(self, address: str, payload: dict) -> dict:
        """Declared, then used once the link mailed to it is confirmed (a verified one stays verified; a
        mailbox on a verified domain needs no link). Only a verified identity can be the default, or
        declaring one would take the working default away until its link is followed."""
        default = bool(payload.get("default"))
        try:
            address = domain.sender_identity(address, default)
            sent_to = domain.verification_address(address, payload.get("verify_via"))
            domain.check_display_name(payload.get("display_name"))
        except domain.Refused as exc:
            raise ValidationFailed(exc.reason, code=exc.code) from None
        with self.db.transaction(self.caller) as uow:
            identities = repo.list_identities(uow)
            existing = next((i for i in identities if i["address"] == address), None)
            proven = (existing is not None and existing["verified_at"] is not None) or \
                domain.mailbox_domain_verified(address, identities)
            if default and not proven:
                raise Conflict("verify this identity before making it the default: saving it without "
                               "\"default\" mails its link", code="IDENTITY_NOT_VERIFIED")
            identity = repo.upsert_identity(uow, address, payload.get("display_name"), default)
            if identity["verified_at"] is None and proven:
                identity = repo.mark_verified(uow, address)
            elif identity["verified_at"] is None and domain.mail_verification_again(existing, sent_to, uow.now):
                identity = flows.ask_to_verify(uow, self.caller, address, sent_to, SETTINGS.public_base_url,
                                               payload.get("requested_by") or {})
            return _identity(identity)

    @rpc
    def sender_identity_verification(self, token: str) -> dict:
        """What a verification link asks, shown before it is confirmed (mail scanners open links)."""
        with self.db.transaction(self.caller) as uow:
            pending = repo.pending_verification(uow, domain.token_digest(token))
        if pending is None:
            raise NotFound("unknown or expired verification link", code="VERIFICATION_LINK_NOT_FOUND")
        return {"address": pending["address"], "sent_to": pending["verification_sent_to"],
                "requested_by": pending["verification_requested_by"] or {},
                "expires_at": pending["verification_expires_at"].isoformat()}

    @rpc
    def verify_sender_identity(self, token: str) -> dict:
        """The link's confirmation was posted (no caller: the token names its tenant)."""
        with self.db.transaction(self.caller) as uow:
            identity = repo.verify_identity(uow, domain.token_digest(token))
        if identity is None:
            raise NotFound("unknown or expired verification link", code="VERIFICATION_LINK_NOT_FOUND")
        return _identity(identity)

    @rpc
    def list_sender_identities(self) -> list[dict]:
        with self.db.transaction(self.caller) as uow:
            return [_identity(r) for r in repo.list_identities(uow)]

    @rpc
    def delete_sender_identity(self, address: str) -> None:
        with self.db.transaction(self.caller) as uow:
            if not repo.delete_identity(uow, address.strip().lower()):
                raise NotFound("no such sender identity", code="SENDER_IDENTITY_NOT_FOUND")

    # ---- in-app inbox (E5) ----------------------------------------------------------------------------
    @rpc
    def inbox(self, after_seq: int = 0, before_seq: int | None = None, limit: int = 50,
              unread_only: bool = False, newest_first: bool = True) -> dict:
        user = self.caller.user_id
        limit = max(1, min(200, int(limit)))
        with self.db.transaction(self.caller) as uow:
            if newest_first:
                items = repo.inbox_latest(uow, user, before_seq, limit, unread_only)
            else:
                items = repo.inbox(uow, user, int(after_seq), limit, unread_only)
            unread = repo.unread_count(uow, user)
        return {"items": [_item(i) for i in items], "unread_count": unread}

    @rpc
    def mark_read(self, ids: list[str] | None = None) -> dict:
        with self.db.transaction(self.caller) as uow:
            marked = repo.mark_read(uow, self.caller.user_id, ids)
            return {"marked": marked, "unread_count": repo.unread_count(uow, self.caller.user_id)}

    # ---- the caller's own settings (A4, E5) -----------------------------------------------------------
    @rpc
    def notification_settings(self) -> dict:
        with self.db.transaction(self.caller) as uow:
            row = repo.user_settings(uow, self.caller.user_id)
        return _settings(row, self.caller.user_email)

    @rpc
    def save_notification_settings(self, payload: dict) -> dict:
        cmd = NotificationSettings.model_validate(payload)
        email = self.caller.user_email
        if cmd.email_kinds and not (email and domain.valid_email(email)):
            raise ValidationFailed("this user has no email address to send notifications to",
                                   code="NO_EMAIL_ADDRESS")
        with self.db.transaction(self.caller) as uow:
            row = repo.save_user_settings(uow, self.caller.user_id, email or "", cmd.email_kinds)
        return _settings(row, email)

    # ---- tracking and provider callbacks (E2) ----------------------------------------------------------
    @rpc
    def track(self, token: str, kind: str) -> str | None:
        """An open (pixel) or a click: returns the click's target, None for an unknown token."""
        with self.db.transaction(self.caller) as uow:
            link = repo.link(uow, token)
            if link is None or (kind == "click") == (link["url"] is None):
                return None
            d = repo.get_delivery(uow, link["delivery_id"], lock=True)
            flows.change(uow, d, "clicked" if kind == "click" else "opened")
            return domain.link_target(link["url"]) if link["url"] else None

    @rpc
    def provider_callback(self, provider: str, payload: dict) -> dict:
        try:
            cb = domain.read_callback(provider, payload)
        except ValueError:
            raise NotFound("unknown provider", code="UNKNOWN_PROVIDER") from None
        with self.db.transaction(self.caller) as uow:
            d = None
            if cb.delivery_id:
                d = repo.get_delivery(uow, cb.delivery_id, lock=True)
            elif cb.provider_ref:
                d = repo.delivery_by_ref(uow, provider, cb.provider_ref)
            if d is None:
                raise NotFound("no delivery for this callback", code="DELIVERY_NOT_FOUND")
            changed = flows.change(uow, d, cb.state, cb.reason) if cb.state else None
            return {"delivery_id": str(d["id"]), "state": (changed or d)["state"], "changed": changed is not None}

    @rpc
    def apply_dsn(self, report: str) -> dict:
        """A delivery status notification (RFC 3464) that came back to the bounce address (``report``:
        not ``raw``, which the gateway's RPC client takes for itself)."""
        report = domain.parse_dsn(report.encode("utf-8", "surrogateescape"))
        cb = domain.read_callback("smtp", {"message_id": report.original_message_id, "event": "bounce"})
        changed = []
        with self.db.transaction(self.caller) as uow:
            d = repo.get_delivery(uow, cb.delivery_id, lock=True) if cb.delivery_id else None
            if d is None:
                raise NotFound("no delivery for this DSN", code="DELIVERY_NOT_FOUND")
            for address, state, reason in report.recipients:
                if address.lower() == d["recipient"].lower() and flows.change(uow, d, state, reason):
                    changed.append(state)
        return {"delivery_id": str(d["id"]), "changed": changed}

    @rpc
    def deliveries(self, key: str) -> dict:
        """By the request's idempotency key (named ``key``: the gateway's call keyword is taken)."""
        with self.db.transaction(self.caller) as uow:
            message, deliveries = repo.deliveries_of_key(uow, key)
        if message is None:
            raise NotFound("no notification with this idempotency key", code="NOTIFICATION_NOT_FOUND")
        return {"id": str(message["id"]), "idempotency_key": key, "kind": message["kind"],
                "channel": message["channel"],
                # Per delivery too: an in-app notification's email copy (A4) is a delivery of the same message.
                "deliveries": [{"id": str(d["id"]), "channel": d["channel"], "recipient": d["recipient"], "role": d["role"],
                                "state": d["state"], "reason": d["reason"], "attempts": d["attempts"],
                                "updated_at": d["updated_at"].isoformat(),
                                "history": [{"state": h["state"], "reason": h["reason"],
                                             "at": h["occurred_at"].isoformat()} for h in d["history"]]}
                               for d in deliveries]}


def _settings(row: dict | None, email: str | None) -> dict:
    return {"email": email, "email_kinds": list(row["email_kinds"]) if row else [],
            "available_kinds": list(IN_APP_KINDS)}


def _item(row: dict) -> dict:
    return {"id": str(row["id"]), "seq": row["seq"], "kind": row["kind"], "title": row["title"],
            "body": row["body"], "subject_ref": row["subject_ref"], "created_at": row["created_at"].isoformat(),
            "read_at": row["read_at"].isoformat() if row["read_at"] else None}
