"""Sending due deliveries, a batch of one tenant's send timers at a time (E1, E3).

Two short transactions frame the provider calls of a whole batch: ``begin`` locks the deliveries,
marks them ``sending`` (committed before any provider call, so a crash leaves an unknown outcome
that is looked up, never blindly resent) and loads what the sends need; ``settle`` records every
outcome, announces the state changes and completes the timers. Per email that is a share of two
transactions instead of four of its own, which is what the throughput target rests on.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from common import metrics
from common.db import UnitOfWork
from common.timers import DueTimer
from notifications import domain, repository as repo
from notifications.flows import SEND_TIMER, change_many, tracked_html
from notifications.mail import Outcome

log = logging.getLogger(__name__)


@dataclass
class Attempt:
    timer: DueTimer
    delivery: dict
    message: dict
    recipients: list[dict]  # every (recipient, role) of the message: an email names its To and Cc
    html: str | None  # the email's HTML with its tracking links in place
    from_line: domain.FromLine | None  # an email's From and Reply-To (the tenant's sender identities)
    unknown: bool  # an earlier attempt's outcome is unknown: look it up before sending again


def begin(uow: UnitOfWork, timers: list[DueTimer], rate_limits, public_base: str,
          platform_from: str) -> list[Attempt]:
    rows = repo.deliveries_for_update(uow, [t.key for t in timers])
    ours = uow.hold_timers(timers)
    timers = [t for t in timers if t.id in ours]  # the rest were taken over (or moved): not ours to send
    finished, waiting = [], {}
    for timer in timers:
        d = rows.get(timer.key)
        if d is None or d["send_state"] in ("sent", "failed"):
            finished.append(timer)
        else:
            waiting.setdefault(d["provider"], []).append((timer, d))
    uow.complete_timers(finished)
    due, later = [], []
    # The batch's tokens in one take: its buckets (each provider's and the tenant's) are locked together in
    # key order, so two batches meeting providers in opposite orders never deadlock (a take per provider did).
    taken = rate_limits.take_many(uow, {provider: len(group) for provider, group in waiting.items()})
    for provider, group in waiting.items():
        granted, wait = taken[provider]
        due += group[:granted]
        # The rest in line, one token apart, rather than all back at once to be refused again.
        later += [(timer.key, uow.now + timedelta(seconds=wait + i / rate_limits.slowest()), timer.payload)
                  for i, (timer, _) in enumerate(group[granted:])]
    uow.schedule_many(SEND_TIMER, later)
    if not due:
        return []
    started = repo.start_attempts(uow, [d["id"] for _, d in due])
    messages = repo.messages_by_id(uow, [d["message_id"] for _, d in due])
    emails = [d for _, d in due if d["channel"] == "email"]
    recipients = repo.recipients_of(uow, [d["message_id"] for d in emails
                                          if messages[d["message_id"]]["channel"] == "email"]) if emails else {}
    with_html = [d["id"] for d in emails if messages[d["message_id"]]["content"].get("body_html")]
    links = repo.links_of(uow, with_html) if with_html else {}
    identities = repo.list_identities(uow) if emails else []
    attempts = []
    for timer, d in due:
        message = messages[d["message_id"]]
        email = d["channel"] == "email"
        html = message["content"].get("body_html") if email else None
        if html:
            html = tracked_html(links.get(timer.key, []), html, public_base)
        from_line = domain.from_line(message["kind"], message["sender"], identities, platform_from) if email else None
        # An email copy of an in-app notification (A4) names its one user, not the others notified.
        named = (recipients.get(d["message_id"], []) if message["channel"] == "email"
                 else [{"recipient": d["recipient"], "role": "to"}])
        attempts.append(Attempt(timer, started[timer.key], message, named, html,
                                from_line, unknown=d["send_state"] == "sending"))
    return attempts


def settle(uow: UnitOfWork, results: list[tuple[Attempt, Outcome]], policy: domain.RetryPolicy) -> None:
    rows = repo.deliveries_for_update(uow, [a.timer.key for a, _ in results])
    # Settling after our lease ran out (a paused process, a slow database), a replica may have taken a
    # send over and recorded its own outcome, or be sending now: ours would undo it ("pending" sends
    # again without a look-up). Our begin left the delivery "sending": whoever has it looks ours up.
    ours = uow.hold_timers([a.timer for a, _ in results])
    if len(ours) < len(results):
        log.warning("settling after a takeover: outcomes left to the replica that has them",
                    extra={"taken_over": len(results) - len(ours)})
    sent, failed, retry, untried, reports, finished = [], [], [], [], [], []
    for attempt, outcome in results:
        if attempt.timer.id not in ours:
            continue
        d = rows[attempt.timer.key]
        if not outcome.attempted:  # its turn never came: it keeps its attempts and goes again soon
            untried.append({"id": d["id"], "send_state": "sending" if attempt.unknown else "pending",
                            "attempts": d["attempts"] - 1,
                            "last_error": outcome.reason, "updated_at": uow.now})
            uow.schedule(SEND_TIMER, attempt.timer.key, uow.now + timedelta(seconds=policy.delay_s(1, random.random())),
                         attempt.timer.payload)
        elif outcome.accepted:
            sent.append({"id": d["id"], "send_state": "sent", "provider_ref": outcome.provider_ref,
                         "accepted_at": uow.now, "last_error": None, "updated_at": uow.now})
            reports.append((d, "sent", None))
            finished.append(attempt.timer)
        elif outcome.permanent or policy.gives_up_after(d["attempts"]):
            reason = outcome.reason if outcome.permanent else \
                f"gave up after {d['attempts']} attempts: {outcome.reason}"
            failed.append({"id": d["id"], "send_state": "failed", "last_error": reason, "updated_at": uow.now})
            bounced = outcome.permanent and d["channel"] == "email" and (outcome.reason or "").startswith("SMTP 5")
            reports.append((d, "bounced" if bounced else "failed", reason))
            finished.append(attempt.timer)
        else:
            # An outcome that is not known stays "sending": the next attempt looks it up before sending.
            retry.append({"id": d["id"], "send_state": "sending" if outcome.unknown else "pending",
                          "last_error": outcome.reason, "updated_at": uow.now})
            delay = policy.delay_s(d["attempts"], random.random())
            uow.schedule(SEND_TIMER, attempt.timer.key, uow.now + timedelta(seconds=delay), attempt.timer.payload)
            metrics.NOTIFICATION_RETRIES.labels(d["provider"]).inc()
    for batch in (sent, failed, retry, untried):
        repo.set_deliveries(uow, batch)
    change_many(uow, reports)
    uow.complete_timers(finished)
