"""Sending under a slow SMTP server: what counts as an attempt (E3)."""
from __future__ import annotations

import time
import uuid

from .broker import wait_for
from .notify import Sink, deliveries, request_notification, states


def test_E3_an_email_cut_off_before_it_reached_the_smtp_server_keeps_its_attempts_and_is_sent_once(fresh_stack):
    """One SMTP connection for the process, a server that takes 4 s to answer, a send lease of 8 s (each
    attempt cut off 6.4 s after the claim), four emails in two batches of two running at once. One is
    sent; the next to get the connection is cut off after the server took it (unknown: looked up, found,
    not sent again); the other batch's second is cut off still waiting for the connection, and the last
    never starts (its batch ran past its deadline). The one cut off waiting never reached the server, so
    it is no attempt: it used to be counted as one with an unknown outcome (looked up, then sent by a
    second attempt), and with a slow server could fail after its attempts without ever being sent."""
    system = fresh_stack(start=("smtp-sink", "notifications", "gateway"),
                         env={"SMTP_POOL_SIZE": "1", "SEND_BATCH_SIZE": "2"})
    api, sink = system.api(), Sink(system)
    sink.control(stall_next=2, stall_s=4)
    key = uuid.uuid4().hex
    rcpts = [f"slow-{n}-{uuid.uuid4().hex[:6]}@dupont.example" for n in range(4)]
    request_notification(system, api.tenant_id, idempotency_key=key, kind="action_email", channel="email",
                         sender={"email": "ann@acme.example", "name": "Ann"},
                         recipients=[{"address": r, "role": "to"} for r in rcpts],
                         content={"subject": "Reminder", "body_text": "Please pay."})
    wait_for(lambda: set(states(api, key).values()) == {"sent"}, 60)
    time.sleep(1)  # a resend, if any, would arrive now
    assert {r: len(sink.messages(rcpt=r)) for r in rcpts} == {r: 1 for r in rcpts}
    found = deliveries(api, key)["deliveries"]
    # Sent at once; taken by the server before its answer was lost, then found by the look-up (2); cut off
    # waiting for the connection, then sent; never started in its batch, then sent.
    assert sorted(d["attempts"] for d in found) == [1, 1, 1, 2], found
