"""Notifications end to end (E1-E5, D5/D6/D8 tracking): requests published as the tasks service would,
mail received by a real SMTP server process, SMS and letters by the provider stub, states read back
through the gateway."""
from __future__ import annotations

import base64
import json
import re
import time
import uuid
from contextlib import contextmanager

import httpx
import pytest

from common.webhook_signing import HEADER, sign_header

from .broker import drain, observe, wait_for
from .notify import (Sink, Stub, declare_sender_identity, deliveries, request_in_app, request_notification, states,
                     verification_link)


def _email(api, key=None, **kw):
    return {"idempotency_key": key or uuid.uuid4().hex, "kind": "action_email", "channel": "email",
            "sender": {"user_id": api.user_id, "email": "ann.owner@acme.example", "name": "Ann Owner"},
            "recipients": [{"address": "client@dupont.example", "role": "to"}],
            "content": {"subject": "Your invoice", "body_text": "Please pay."}, **kw}


def test_D5_E2_email_from_the_user_with_cc_bcc_opened_clicked_then_bounce_reported(system):
    api = system.api()  # a tenant of its own: it declares its sender domain
    declare_sender_identity(system, api, "acme.example")
    sink = Sink(system)
    observer = observe(system.infra.amqp_uri, "notifications", "delivery_status_changed")
    key = uuid.uuid4().hex
    customer_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    request_notification(system, api.tenant_id, **_email(
        api, key,
        recipients=[{"address": "client@dupont.example", "role": "to"},
                    {"address": "accounting@dupont.example", "role": "cc"},
                    {"address": "boss@acme.example", "role": "bcc"}],
        content={"subject": "Invoice F-12", "body_text": "Please pay F-12.",
                 "body_html": '<html><body><p>Please pay</p><a href="https://pay.example.com/F-12">Pay</a></body></html>'},
        attachments=[{"filename": "F-12.txt", "content_type": "text/plain",
                      "content_base64": base64.b64encode(b"invoice F-12").decode()}],
        subject_ref={"type": "action", "id": str(uuid.uuid4()), "customer_id": customer_id, "task_id": task_id}))

    wait_for(lambda: len(sink.messages(rcpt="boss@acme.example")) == 1 and len(sink.messages(rcpt="client@dupont.example")) == 1
             and len(sink.messages(rcpt="accounting@dupont.example")) == 1)
    to_copy = sink.messages(rcpt="client@dupont.example")[0]
    bcc_copy = sink.messages(rcpt="boss@acme.example")[0]
    assert to_copy["from"] == "Ann Owner <ann.owner@acme.example>"
    assert to_copy["to"] == "client@dupont.example" and to_copy["cc"] == "accounting@dupont.example"
    assert to_copy["subject"] == "Invoice F-12" and "Please pay F-12." in to_copy["body_text"]
    assert to_copy["attachments"] == [{"filename": "F-12.txt", "size": 12}]
    assert bcc_copy["bcc"] is None and "boss@acme.example" not in json.dumps({k: bcc_copy[k] for k in ("to", "cc")})
    assert to_copy["message_id"] != bcc_copy["message_id"]  # one Message-ID kept per recipient
    wait_for(lambda: set(states(api, key).values()) == {"sent"})

    # The recipient's mail client loads the pixel and follows the link (no API key: the token is enough).
    html = to_copy["body_html"]
    pixel = re.search(r'src="[^"]*(/v1/t/o/[^"]+\.gif)"', html).group(1)
    link = re.search(r'href="[^"]*(/v1/t/c/[^"]+)"', html).group(1)
    anonymous = httpx.Client(base_url=system.base_url)
    resp = anonymous.get(pixel)
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/gif"
    assert states(api, key)["client@dupont.example"] == "opened"
    resp = anonymous.get(link, follow_redirects=False)
    assert resp.status_code == 302 and resp.headers["location"] == "https://pay.example.com/F-12"
    assert anonymous.get(link[:-3] + "AAA", follow_redirects=False).status_code == 404  # unguessable
    assert states(api, key)["client@dupont.example"] == "clicked"

    # The provider reports a bounce for the cc recipient (signed callback).
    cc_copy = sink.messages(rcpt="accounting@dupont.example")[0]
    body = json.dumps({"message_id": cc_copy["message_id"], "event": "bounce",
                       "reason": "550 5.1.1 mailbox unknown"}).encode()
    path = "/v1/webhooks/providers/smtp"
    resp = anonymous.post(path, content=body, headers={
        HEADER: sign_header(system.stack.config.webhook_signing_secret, "smtp", path, body)})
    assert resp.status_code == 200, resp.text
    found = deliveries(api, key)
    cc = next(d for d in found["deliveries"] if d["role"] == "cc")
    assert cc["state"] == "bounced" and cc["reason"] == "550 5.1.1 mailbox unknown"
    assert [h["state"] for h in cc["history"]] == ["queued", "sent", "bounced"]

    # Every change left as an event the tasks service puts on the customer timeline.
    events = drain(system.infra.amqp_uri, observer.name, until=lambda m: len(m) >= 10)
    seen = {(m["data"]["recipient"], m["data"]["state"]) for m, _ in events}
    assert ("accounting@dupont.example", "bounced") in seen and ("client@dupont.example", "clicked") in seen
    bounce = next(m for m, _ in events if m["data"]["state"] == "bounced")
    assert bounce["data"]["subject_ref"]["customer_id"] == customer_id
    assert bounce["data"]["idempotency_key"] == key and bounce["data"]["reason"] == "550 5.1.1 mailbox unknown"


DSN = """From: MAILER-DAEMON@mx.dupont.example
To: bounces@followup.local
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

This is the mail system at host mx.dupont.example. I'm sorry to have to inform you that your message
could not be delivered to one or more recipients.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.dupont.example

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown

--b1
Content-Type: text/rfc822-headers

Message-ID: {message_id}
From: Ann Owner <ann.owner@acme.example>
To: {rcpt}
Subject: Your invoice

--b1--
"""


def test_E2_a_dsn_from_the_bounce_mailbox_marks_the_delivery_bounced(system, api):
    sink = Sink(system)
    key, rcpt = uuid.uuid4().hex, f"gone-{uuid.uuid4().hex[:6]}@dupont.example"
    request_notification(system, api.tenant_id, **_email(api, key, recipients=[{"address": rcpt, "role": "to"}]))
    sent = wait_for(lambda: sink.messages(rcpt=rcpt))[0]
    wait_for(lambda: states(api, key) == {rcpt: "sent"})
    report = DSN.format(rcpt=rcpt, message_id=sent["message_id"]).replace("\n", "\r\n").encode()
    path = "/v1/webhooks/providers/dsn"
    anonymous = httpx.Client(base_url=system.base_url)
    assert anonymous.post(path, content=report).status_code == 401  # unsigned: refused, nothing changes
    assert states(api, key) == {rcpt: "sent"}
    secret = system.stack.config.webhook_signing_secret
    resp = anonymous.post(path, content=report, headers={HEADER: sign_header(secret, "dsn", path, report)})
    assert resp.status_code == 200 and resp.json()["changed"] == ["bounced"], resp.text
    found = deliveries(api, key)["deliveries"][0]
    assert found["state"] == "bounced" and "5.1.1" in found["reason"] and "User unknown" in found["reason"]
    # The same report again (the MTA retrying its delivery to us) changes nothing.
    resp = anonymous.post(path, content=report, headers={HEADER: sign_header(secret, "dsn", path, report)})
    assert resp.status_code == 200 and resp.json()["changed"] == []


def test_E1_sender_identities_from_line_reply_to_and_bad_input(system):
    api = system.api()
    sink = Sink(system)
    for address, body, code in [("not a domain", {}, "INVALID_ADDRESS"),
                                 ("acme.example", {"default": True}, "DEFAULT_NEEDS_MAILBOX"),
                                 ("acme.example", {"default": "yes please"}, "VALIDATION_ERROR")]:
        resp = api.put(f"/v1/sender-identities/{address}", json=body)
        assert resp.status_code == 422 and resp.json()["error"]["code"] == code, resp.text
    member = api.user("member")
    assert member.put("/v1/sender-identities/acme.example", json={}).status_code == 403
    assert api.get("/v1/sender-identities").json()["items"] == []  # refused requests saved nothing

    declare_sender_identity(system, api, "Acme.Example")
    saved = declare_sender_identity(system, api, "billing@collect.example", display_name="Acme Collections",
                                    default=True)
    assert saved["is_default"] is True
    assert [(i["address"], i["is_default"], i["verified"]) for i in api.get("/v1/sender-identities").json()["items"]] \
        == [("acme.example", False, True), ("billing@collect.example", True, True)]

    def send(sender, rcpt):
        request_notification(system, api.tenant_id, **_email(api, sender=sender,
                                                             recipients=[{"address": rcpt, "role": "to"}]))
        return wait_for(lambda: sink.messages(rcpt=rcpt))[0]

    own = send({"user_id": api.user_id, "email": "ann.owner@acme.example", "name": "Ann Owner"},
               f"{uuid.uuid4().hex[:8]}@dupont.example")
    assert own["from"] == "Ann Owner <ann.owner@acme.example>" and own["reply_to"] is None
    outside = send({"user_id": api.user_id, "email": "bob@freemail.example", "name": "Bob Field"},
                   f"{uuid.uuid4().hex[:8]}@dupont.example")
    assert outside["from"] == "Bob Field <billing@collect.example>" and outside["reply_to"] == "bob@freemail.example"
    system_mail = send(None, f"{uuid.uuid4().hex[:8]}@dupont.example")
    assert system_mail["from"] == "Acme Collections <billing@collect.example>" and system_mail["reply_to"] is None

    assert api.delete("/v1/sender-identities/acme.example").status_code == 204
    assert api.delete("/v1/sender-identities/acme.example").status_code == 404
    after = send({"user_id": api.user_id, "email": "ann.owner@acme.example", "name": "Ann Owner"},
                 f"{uuid.uuid4().hex[:8]}@dupont.example")
    assert after["from"] == "Ann Owner <billing@collect.example>" and after["reply_to"] == "ann.owner@acme.example"


def test_E1_a_tenant_cannot_send_as_a_domain_it_has_not_proved_its_own(system):
    """Tenant A declares tenant B's domain: until B's hostmaster confirms the link mailed to them, A's mail
    leaves from the platform's address (Reply-To A's user), never from B's domain. Opening the link (as a
    mail scanner does) only shows what is asked, and by whom; the confirmation is a POST from that page."""
    sink = Sink(system)
    intruder = system.api()
    for address, body, code in [("tenantb.example", {"verify_via": "ann"}, "INVALID_VERIFY_VIA"),
                                ("billing@tenantb.example", {"verify_via": "postmaster"}, "VERIFY_VIA_DOMAIN_ONLY"),
                                ("billing@tenantb.example", {"display_name": "B\r\nBcc: x@y"}, "INVALID_DISPLAY_NAME")]:
        resp = intruder.put(f"/v1/sender-identities/{address}", json=body)
        assert resp.status_code == 422 and resp.json()["error"]["code"] == code, resp.text
    resp = intruder.put("/v1/sender-identities/billing@tenantb.example", json={"default": True})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "IDENTITY_NOT_VERIFIED", resp.text
    assert intruder.get("/v1/sender-identities").json()["items"] == []

    declared = intruder.put("/v1/sender-identities/tenantb.example", json={"verify_via": "hostmaster"})
    assert declared.status_code == 200, declared.text
    assert declared.json()["verified"] is False
    assert declared.json()["verification_sent_to"] == "hostmaster@tenantb.example"
    rcpt = f"{uuid.uuid4().hex[:8]}@dupont.example"
    request_notification(system, intruder.tenant_id, **_email(
        intruder, sender={"user_id": intruder.user_id, "email": "ceo@tenantb.example", "name": "B's CEO"},
        recipients=[{"address": rcpt, "role": "to"}]))
    mail = wait_for(lambda: sink.messages(rcpt=rcpt))[0]
    assert "tenantb.example" not in mail["from"] and mail["reply_to"] == "ceo@tenantb.example"

    # The link reached B's hostmaster only, from the platform, saying who asks.
    link = verification_link(sink, "hostmaster@tenantb.example", intruder.tenant_id)
    asking = next(m for m in sink.messages(rcpt="hostmaster@tenantb.example") if link in (m["body_text"] or ""))
    tenant_name = system.sql("select name from gateway.tenants where id = %s", (intruder.tenant_id,))[0][0]
    assert asking["from"].endswith("<no-reply@followup.local>") and tenant_name in asking["subject"]
    anonymous = httpx.Client(base_url=system.base_url)
    page = anonymous.get(link)  # what a scanner or the hostmaster opens: a question, nothing changes
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert tenant_name in page.text and "tenantb.example" in page.text and "<form" in page.text
    assert intruder.get("/v1/sender-identities").json()["items"][0]["verified"] is False
    for bad in (link[:-4] + "AAAA", link.replace(intruder.tenant_id.replace("-", ""), uuid.uuid4().hex), link + "x"):
        assert anonymous.get(bad).status_code == 404 and anonymous.post(bad).status_code == 404
    # Saving it again at once mails nothing more to the same mailbox (no mailing an address at will)...
    assert intruder.put("/v1/sender-identities/tenantb.example", json={"verify_via": "hostmaster"}).status_code == 200
    # ...but another of its mailboxes gets a new link at once, and the old one no longer verifies.
    assert intruder.put("/v1/sender-identities/tenantb.example", json={"verify_via": "webmaster"}).status_code == 200
    fresh = verification_link(sink, "webmaster@tenantb.example", intruder.tenant_id)
    assert anonymous.post(link).status_code == 404
    asked = [m for m in sink.messages(rcpt="hostmaster@tenantb.example") if intruder.tenant_id.replace("-", "")
             in (m["body_text"] or "")]
    assert len(asked) == 1
    assert anonymous.post(fresh).json()["verified"] is True  # B's hostmaster agreed: now it may
    assert anonymous.post(fresh).status_code == 404  # a link verifies once
    # A mailbox on the verified domain needs no link of its own, and can be the default at once.
    billing = intruder.put("/v1/sender-identities/billing@tenantb.example", json={"default": True})
    assert billing.status_code == 200 and billing.json()["verified"] is True, billing.text


def test_D6_D8_sms_and_letter_through_the_stub_provider_with_delivered_failed_returned(system, api):
    stub = Stub(system)
    sms_key, letter_key = uuid.uuid4().hex, uuid.uuid4().hex
    request_notification(system, api.tenant_id, idempotency_key=sms_key, kind="action_sms", channel="sms",
                         recipients=[{"address": "+33612345678"}, {"address": "+33698765432"}],
                         content={"body_text": "Your payment is due"})
    request_notification(system, api.tenant_id, idempotency_key=letter_key, kind="action_letter",
                         channel="letter", registered=True, recipients=[{"address": "Dupont SARL"}],
                         postal_address={"name": "Dupont SARL", "lines": ["1 rue de la Paix"],
                                         "postal_code": "75002", "city": "Paris", "country": "FR"},
                         content={"subject": "Formal notice", "body_text": "Please pay invoice F-12."})
    # The stub answers every send with an automatic "delivered" callback.
    wait_for(lambda: set(states(api, sms_key).values()) == {"delivered"})
    wait_for(lambda: set(states(api, letter_key).values()) == {"delivered"})
    sent = stub.requests()
    sms = [m for m in sent["sms"] if m["to"] in ("+33612345678", "+33698765432")]
    assert sorted(m["to"] for m in sms) == ["+33612345678", "+33698765432"]
    assert all(m["body"] == "Your payment is due" for m in sms)
    letter = next(l for l in sent["letters"] if l["to"]["address_city"] == "Paris")
    assert letter["extra_service"] == "registered" and letter["file_is_pdf"]

    # A letter returned to sender, and a second SMS report that says it failed after all.
    stub.callback(letter["id"], "returned")
    assert states(api, letter_key) == {"Dupont SARL": "returned"}
    failed_sms = next(m for m in sms if m["to"] == "+33698765432")
    stub.callback(failed_sms["sid"], "failed")
    # delivered -> failed is not a forward move: the first final report stands
    assert states(api, sms_key)["+33698765432"] == "delivered"

    # A provider that fails the SMS after a first 503 (retried): failed, with the provider's reason.
    fail_key = uuid.uuid4().hex
    stub.control(auto_status="failed", fail_next=1)
    try:
        request_notification(system, api.tenant_id, idempotency_key=fail_key, kind="action_sms", channel="sms",
                             recipients=[{"address": "+33611111111"}], content={"body_text": "x"})
        wait_for(lambda: states(api, fail_key) == {"+33611111111": "failed"})
    finally:
        stub.control(auto_status="delivered", fail_next=0)
    found = deliveries(api, fail_key)["deliveries"][0]
    assert found["reason"] == "twilio error 30005" and found["attempts"] == 2
    assert [h["state"] for h in found["history"]] == ["queued", "sent", "failed"]


def test_E3_a_request_delivered_three_times_sends_once(system, api):
    sink = Sink(system)
    rcpt = f"{uuid.uuid4().hex[:8]}@dupont.example"
    data = _email(api, recipients=[{"address": rcpt}])
    first = request_notification(system, api.tenant_id, **data)
    request_notification(system, api.tenant_id, event_id=first["event_id"], **data)  # broker redelivery
    request_notification(system, api.tenant_id, **data)  # the producer retried with a new event
    wait_for(lambda: states(api, data["idempotency_key"]) == {rcpt: "sent"})
    import time
    time.sleep(2)
    assert len(sink.messages(rcpt=rcpt)) == 1


def test_E3_smtp_refusing_for_a_while_then_accepting_delivers_after_retries(system, api):
    sink = Sink(system)
    rcpt = f"{uuid.uuid4().hex[:8]}@dupont.example"
    sink.control(refuse_next=2)
    data = _email(api, recipients=[{"address": rcpt}])
    request_notification(system, api.tenant_id, **data)
    wait_for(lambda: states(api, data["idempotency_key"]) == {rcpt: "sent"})
    found = deliveries(api, data["idempotency_key"])["deliveries"][0]
    assert found["attempts"] == 3
    assert len(sink.messages(rcpt=rcpt)) == 1


def test_E3_smtp_never_accepting_fails_after_bounded_attempts_with_the_reason(system, api):
    sink = Sink(system)
    rcpt = f"{uuid.uuid4().hex[:8]}@dupont.example"
    sink.control(refuse_all=True)
    try:
        data = _email(api, recipients=[{"address": rcpt}])
        request_notification(system, api.tenant_id, **data)
        wait_for(lambda: states(api, data["idempotency_key"]) == {rcpt: "failed"}, timeout_s=60)
    finally:
        sink.control(refuse_all=False, refuse_next=0)
    found = deliveries(api, data["idempotency_key"])["deliveries"][0]
    assert found["attempts"] == 4  # SEND_MAX_ATTEMPTS in the test environment
    assert found["reason"].startswith("gave up after 4 attempts: SMTP 451")
    assert sink.messages(rcpt=rcpt) == []


def test_E1_E4_a_templates_html_is_sent_sanitised_with_its_layout_kept(system, api):
    """A tenant's template (or a producer's HTML) is sanitised before it is stored and sent: what would
    run or submit in a mail client is gone, the table layout and inline styles email relies on stay."""
    sink = Sink(system)
    saved = api.put("/v1/notification-templates/styled", json={
        "channel": "email", "subject": "Invoice {{ number }}", "variables": {"number": "F-1"},
        "body_html": '<table width="600" cellpadding="4"><tr><td style="color:#333333;position:fixed">'
                     'Invoice {{ number }} <a href="https://pay.acme.example/{{ number }}" onclick="steal()">Pay</a>'
                     '</td></tr></table><script>steal(document.cookie)</script>'
                     '<form action="https://evil.example/card"><input name="card"></form>'})
    assert saved.status_code == 200, saved.text
    key = uuid.uuid4().hex
    request_notification(system, api.tenant_id, **_email(api, key, content=None, template="styled",
                                                          variables={"number": "F-7"}))
    wait_for(lambda: len(sink.messages(rcpt="client@dupont.example", brief=False)) > 0
             and any("F-7" in (m["body_html"] or "") for m in sink.messages(rcpt="client@dupont.example")))
    html = next(m["body_html"] for m in sink.messages(rcpt="client@dupont.example") if "F-7" in (m["body_html"] or ""))
    assert "<script" not in html and "steal" not in html and "<form" not in html and "position" not in html
    assert '<table width="600" cellpadding="4">' in html and 'style="color:#333333"' in html
    link = re.search(r'href="[^"]*(/v1/t/c/[^"]+)"', html).group(1)
    resp = httpx.Client(base_url=system.base_url).get(link, follow_redirects=False)
    assert resp.status_code == 302 and resp.headers["location"] == "https://pay.acme.example/F-7"


def test_bad_input_is_refused_with_a_clear_reason_and_sends_nothing(system, api):
    sink = Sink(system)
    ok = api.put("/v1/notification-templates/reminder", json={
        "channel": "email", "subject": "Reminder {{ number }}", "body_text": "Dear {{ name }}",
        "variables": {"number": "F-1", "name": "Ann"}})
    assert ok.status_code == 200, ok.text
    cases = {
        "UNKNOWN_TEMPLATE_VARIABLE": _email(api, content=None, template="reminder",
                                            variables={"number": "F-2", "name": "Bob", "amuont": 3}),
        "INVALID_ADDRESS": _email(api, recipients=[{"address": "not-an-address"}]),
        "ATTACHMENT_TOO_LARGE": _email(api, attachments=[{
            "filename": "big.bin", "content_type": "application/octet-stream",
            "content_base64": base64.b64encode(b"0" * (11 * 1024 * 1024)).decode()}]),
    }
    before = sink.stats()["count"]
    for data in cases.values():
        request_notification(system, api.tenant_id, **data)
    for code, data in cases.items():
        wait_for(lambda: set(states(api, data["idempotency_key"]).values()) == {"failed"})
        reason = deliveries(api, data["idempotency_key"])["deliveries"][0]["reason"]
        assert reason.startswith(code), reason
    assert sink.stats()["count"] == before

    # An unsigned or wrongly signed callback is refused before anything is read.
    body = b'{"message_id": "<x>", "event": "bounce"}'
    anonymous = httpx.Client(base_url=system.base_url)
    resp = anonymous.post("/v1/webhooks/providers/smtp", content=body)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "INVALID_SIGNATURE"
    resp = anonymous.post("/v1/webhooks/providers/smtp", content=body,
                          headers={HEADER: sign_header("another-secret-xxxxxxxx", "smtp", "/v1/webhooks/providers/smtp", body)})
    assert resp.status_code == 401


def test_E4_a_broken_template_is_refused_at_save_with_the_line_at_fault(api):
    resp = api.put("/v1/notification-templates/broken", json={
        "channel": "email", "subject": "Hi", "body_text": "Dear {{ name }},\n{% if late %}\nyou are late",
        "variables": {"name": "Ann", "late": True}})
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["code"] == "TEMPLATE_INVALID" and str(err["details"]["line"]) == "2" and err["details"]["part"] == "body_text"
    resp = api.put("/v1/notification-templates/undeclared", json={
        "channel": "email", "body_text": "Dear {{ name }},\nyou owe {{ amount }}", "variables": {"name": "Ann"}})
    assert resp.status_code == 422 and str(resp.json()["error"]["details"]["line"]) == "2"
    assert api.get("/v1/notification-templates/broken").status_code == 404


def test_E1_E5_in_app_inbox_unread_count_mark_read_and_live_stream(system, api):
    item_key = uuid.uuid4().hex
    with httpx.Client(base_url=system.base_url, headers={"Authorization": f"Bearer {api.key}"}, timeout=30) as c:
        with c.stream("GET", "/v1/notifications/stream") as stream:
            request_in_app(system, api.tenant_id, api.user_id, item_key, "action_assigned",
                           "Action assigned to you", "Call Dupont")
            buffer = ""
            for chunk in stream.iter_text():
                buffer += chunk
                if "event: unread" in buffer:
                    break
    event = next(b for b in buffer.split("\n\n") if "event: notification" in b)
    data = json.loads(event.split("data: ", 1)[1])
    assert data["title"] == "Action assigned to you" and data["kind"] == "action_assigned"

    page = api.get("/v1/notifications").json()
    assert page["items"][0]["title"] == "Action assigned to you" and page["unread_count"] >= 1
    resp = api.post("/v1/notifications/read", json={"ids": [page["items"][0]["id"]]})
    assert resp.status_code == 200
    assert resp.json()["unread_count"] == page["unread_count"] - 1
    assert api.get("/v1/notifications").json()["items"][0]["read_at"] is not None
    assert states(api, item_key) == {"me": "sent"}


def test_E5_unread_only_pages_hold_the_unread_items_however_many_newer_ones_were_read(system, api):
    user = api.user()
    keys = [uuid.uuid4().hex for _ in range(4)]
    for n, key in enumerate(keys):
        request_in_app(system, api.tenant_id, user.user_id, key, "promise_due_soon", f"Notice {n}",
                       "A promise is due tomorrow")
        wait_for(lambda: len(user.get("/v1/notifications").json()["items"]) == n + 1)
    newest = user.get("/v1/notifications", params={"limit": 2}).json()["items"]
    user.post("/v1/notifications/read", json={"ids": [i["id"] for i in newest]})
    page = user.get("/v1/notifications", params={"unread": "true", "limit": 1}).json()
    assert [i["title"] for i in page["items"]] == ["Notice 1"] and page["unread_count"] == 2
    older = user.get("/v1/notifications", params={"unread": "true", "before": page["items"][0]["seq"]}).json()
    assert [i["title"] for i in older["items"]] == ["Notice 0"]


def test_E3_sigkill_with_500_emails_in_flight_then_restart_delivers_each_exactly_once(system, api):
    sink = Sink(system)
    batch = uuid.uuid4().hex[:8]
    keys = []
    for i in range(500):
        data = _email(api, recipients=[{"address": f"{batch}-{i}@dupont.example"}])
        keys.append(data["idempotency_key"])
        request_notification(system, api.tenant_id, **data)

    def received() -> int:
        return len([1 for m in sink.http.get("/messages").json()["items"] if m["rcpt_tos"][0].startswith(batch)])

    wait_for(lambda: received() >= 50, timeout_s=60, interval_s=0.05)
    system.stack.kill("notifications")  # SIGKILL mid-flight: consumed, sending and pending all at once
    in_flight = 500 - received()
    assert in_flight > 0
    system.stack.start("notifications")
    wait_for(lambda: received() >= 500, timeout_s=180, interval_s=1)
    import time
    time.sleep(3)
    copies = [m for m in sink.http.get("/messages").json()["items"] if m["rcpt_tos"][0].startswith(batch)]
    per_rcpt = {}
    for m in copies:
        per_rcpt[m["rcpt_tos"][0]] = per_rcpt.get(m["rcpt_tos"][0], 0) + 1
    assert len(per_rcpt) == 500 and set(per_rcpt.values()) == {1}, {k: v for k, v in per_rcpt.items() if v != 1}


def test_E3_rate_limits_hold_across_replicas_and_pace_the_sends(system, fresh_stack):
    """Two replicas' limiters draw on the same buckets (PostgreSQL rows), so together they never
    exceed the rate; and the running service paces a burst to it instead of refusing it."""
    import threading
    from datetime import datetime, timedelta, timezone

    from common.context import Principal
    from common.db import Database, make_engine
    from common.migrate import service_database_url
    from notifications.limits import Limits

    tenant = system.api().tenant_id
    url = service_database_url(system.infra.admin_url, "notifications")
    replicas = [Database(make_engine(url, schema="notifications", pool_size=2), "notifications") for _ in range(2)]
    start = datetime.now(timezone.utc)
    for db in replicas:
        db.clock = lambda: start  # the same instant for both: no refill while they race
    granted, barrier = [], threading.Barrier(2)

    def take(db):
        barrier.wait()
        for _ in range(10):
            with db.transaction(Principal(tenant, None, "system")) as uow:
                granted.append(Limits(tenant_rate=5, provider_rate=1000).take_many(uow, {"smtp": 1})["smtp"][0])

    threads = [threading.Thread(target=take, args=(db,)) for db in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted) == 5 and len(granted) == 20  # one bucket of 5 tokens between them, not 5 each
    later = replicas[0]
    later.clock = lambda: start + timedelta(seconds=1)
    with later.transaction(Principal(tenant, None, "system")) as uow:
        assert Limits(tenant_rate=5, provider_rate=1000).take_many(uow, {"smtp": 10})["smtp"] == (5, pytest.approx(0.2))
    for db in replicas:
        db.engine.dispose()

    paced = fresh_stack(start=("smtp-sink", "notifications"), env={"TENANT_RATE_PER_S": "4"})
    sink, api_tenant = Sink(paced), paced.create_tenant("Paced")["tenant_id"]
    for i in range(12):
        request_notification(paced, api_tenant, idempotency_key=f"paced-{i}",
                             sender={"email": "ann@acme.example", "name": "Ann"},
                             recipients=[{"address": f"p{i}@dupont.example", "role": "to"}],
                             content={"subject": "Paced", "body_text": "Hello"})
    wait_for(lambda: sink.stats()["distinct"] == 12, 60)
    arrived = sorted(t for _, t in sink.http.get("/received_at").json())
    assert sink.stats()["duplicates"] == 0
    # 4 at once (the bucket's capacity), then 4 a second: 12 take at least 2 s, never 9 in a second.
    assert arrived[-1] - arrived[0] >= 1.8
    assert all(sum(1 for t in arrived if a <= t < a + 1.0) <= 8 for a in arrived)


def test_E3_an_sms_whose_answer_was_lost_to_a_timeout_is_looked_up_not_sent_again(fresh_stack):
    """The provider took the SMS but answered after the service stopped waiting: the retry must find
    it at the provider (Twilio lists messages by recipient) instead of texting the customer twice."""
    system = fresh_stack(start=("provider-stub", "notifications", "gateway"),
                         env={"PROVIDER_TIMEOUT_S": "1", "PROVIDER_STUB_AUTO_STATUS": "none"})
    api = system.api()
    stub = Stub(system)
    stub.control(stall_next=1, stall_s=3)
    key, phone = uuid.uuid4().hex, "+33655555555"
    request_notification(system, api.tenant_id, idempotency_key=key, kind="action_sms", channel="sms",
                         recipients=[{"address": phone}], content={"body_text": "Your payment is due"})
    wait_for(lambda: states(api, key) == {phone: "sent"})
    found = deliveries(api, key)["deliveries"][0]
    assert found["attempts"] == 2  # the lost answer, then the look-up that found it
    assert [m["to"] for m in stub.requests()["sms"]].count(phone) == 1

    # Its "delivered" report arrives while the send is still unsettled: it is kept, not dropped.
    stub.control(stall_next=1, stall_s=3, auto_status="delivered")
    second = uuid.uuid4().hex
    request_notification(system, api.tenant_id, idempotency_key=second, kind="action_sms", channel="sms",
                         recipients=[{"address": "+33666666666"}], content={"body_text": "Reminder"})
    wait_for(lambda: states(api, second) == {"+33666666666": "delivered"})


def test_E3_a_look_up_that_fails_leaves_the_send_unknown_and_it_is_asked_again_not_resent(fresh_stack):
    """The answer to an SMS was lost, then the look-up meant to find it failed (the provider's list answered
    503): the next attempt must ask again, not text the customer a second time."""
    system = fresh_stack(start=("provider-stub", "notifications", "gateway"),
                         env={"PROVIDER_TIMEOUT_S": "1", "PROVIDER_STUB_AUTO_STATUS": "none",
                              "SEND_RETRY_BASE_S": "0.5"})
    api = system.api()
    stub = Stub(system)
    stub.control(stall_next=1, stall_s=3, fail_lookups_next=1)
    key, phone = uuid.uuid4().hex, "+33655555599"
    request_notification(system, api.tenant_id, idempotency_key=key, kind="action_sms", channel="sms",
                         recipients=[{"address": phone}], content={"body_text": "Your payment is due"})
    wait_for(lambda: states(api, key) == {phone: "sent"}, 60)
    assert deliveries(api, key)["deliveries"][0]["attempts"] == 3  # lost answer, failed look-up, found
    assert [m["to"] for m in stub.requests()["sms"]].count(phone) == 1


def test_E3_a_send_the_batch_had_no_time_for_is_not_counted_as_an_attempt(fresh_stack):
    """A slow provider runs a batch past its deadline: the sends it never reached go again, with none
    of their attempts spent (with one attempt allowed they used to fail, never tried)."""
    system = fresh_stack(start=("provider-stub", "notifications", "gateway"), env={
        "SMTP_POOL_SIZE": "1", "SEND_BATCH_DEADLINE_S": "1", "SEND_MAX_ATTEMPTS": "1",
        "PROVIDER_STUB_AUTO_STATUS": "none"})
    api = system.api()
    stub = Stub(system)
    stub.control(stall_next=1, stall_s=2)
    key = uuid.uuid4().hex
    phones = ["+33677777771", "+33677777772", "+33677777773"]
    request_notification(system, api.tenant_id, idempotency_key=key, kind="action_sms", channel="sms",
                         recipients=[{"address": p} for p in phones], content={"body_text": "Reminder"})
    wait_for(lambda: set(states(api, key).values()) == {"sent"})
    assert all(d["attempts"] == 1 for d in deliveries(api, key)["deliveries"])
    assert sorted(m["to"] for m in stub.requests()["sms"]) == phones


@contextmanager
def another_replica(system, name: str):
    """A second process of service ``name`` beside the stack's (its own HTTP port), stopped at the end."""
    key = system.stack.start_replica(name, 2)
    try:
        yield system.stack.processes[key]
    finally:
        system.stack.stop(key)


@contextmanager
def late_replica(system):
    """A replica that claimed send timers (as ``replica-a``) and settles them late: ``settle(tenant,
    delivery ids, outcomes, unknown)`` runs its settle in this process, on the system's database."""
    from common.context import Principal
    from common.db import Database, make_engine
    from common.migrate import service_database_url
    from common.timers import DueTimer
    from notifications import domain, sending

    db = Database(make_engine(service_database_url(system.infra.admin_url, "notifications"),
                              schema="notifications", pool_size=1), "notifications")

    def settle(tenant_id: str, delivery_ids: list[str], outcomes: list, unknown: bool = False) -> None:
        rows = system.sql("select id, kind, key, due_at, payload, attempts from notifications.timers"
                          " where key = any(%s)", (delivery_ids,))
        timers = {r[2]: DueTimer(r[0], tenant_id, r[1], r[2], r[3], r[4], r[5], "replica-a") for r in rows}
        attempts = [sending.Attempt(timers[i], {}, {}, [], None, None, unknown) for i in delivery_ids]
        with db.transaction(Principal(tenant_id, None, "system")) as uow:
            sending.settle(uow, list(zip(attempts, outcomes)), domain.RetryPolicy())

    try:
        yield settle
    finally:
        db.engine.dispose()


def test_E3_a_send_is_cut_off_before_its_timer_lease_ends_and_never_sent_twice(fresh_stack):
    """The provider is still taking the SMS when the send timer's lease ends: the other replica takes the
    send over, looks it up, finds nothing and sends. The first call must have been cut off before the
    lease ended, or the customer gets it twice: held longer than the lease (3 s) but well inside
    PROVIDER_TIMEOUT_S (10 s), per-call timeouts alone let it through."""
    system = fresh_stack(start=("provider-stub", "notifications", "gateway"),
                         env={"TIMER_LEASE_S": "3", "PROVIDER_STUB_AUTO_STATUS": "none"})
    with another_replica(system, "notifications"):
        api, stub = system.api(), Stub(system)
        stub.control(stall_next=1, stall_s=7, stall_before_taking=True)
        key, phone = uuid.uuid4().hex, "+33688888888"
        request_notification(system, api.tenant_id, idempotency_key=key, kind="action_sms", channel="sms",
                             recipients=[{"address": phone}], content={"body_text": "Your payment is due"})
        wait_for(lambda: states(api, key) == {phone: "sent"})
        wait_for(lambda: stub.requests()["held"] == 0, 15)  # the first call is over, taken or not
        assert [m["to"] for m in stub.requests()["sms"]].count(phone) == 1
        assert [m["to"] for m in stub.requests()["hung_up"]] == [phone]  # it was the first call that gave up
        assert states(api, key) == {phone: "sent"}


def test_E3_a_replica_settling_after_its_sends_were_taken_over_changes_nothing(fresh_stack):
    """A replica paused past its lease (a long pause, a slow database) settles a batch that another
    replica took over and sent meanwhile. Whatever it believed (no time to send, an answer lost, sent),
    it leaves the other's outcome alone: its "not attempted" used to set the delivery back to pending
    and re-arm the timer, and the customer got the SMS again."""
    from notifications.mail import Outcome

    system = fresh_stack(start=("provider-stub", "notifications", "gateway"), env={"PROVIDER_STUB_AUTO_STATUS": "none"})
    api, stub = system.api(), Stub(system)
    key, phones = uuid.uuid4().hex, ["+33699999991", "+33699999992", "+33699999993"]
    request_notification(system, api.tenant_id, idempotency_key=key, kind="action_sms", channel="sms",
                         recipients=[{"address": p} for p in phones], content={"body_text": "Reminder"})
    wait_for(lambda: set(states(api, key).values()) == {"sent"})
    before = sorted(deliveries(api, key)["deliveries"], key=lambda d: d["recipient"])
    ids = [d["id"] for d in before]
    with late_replica(system) as settle:
        settle(api.tenant_id, ids, [Outcome(False, reason="not attempted", attempted=False),
                                    Outcome(False, reason="answer lost", unknown=True),
                                    Outcome(True, provider_ref="SM-late")])
    assert sorted(deliveries(api, key)["deliveries"], key=lambda d: d["recipient"]) == before
    assert system.sql("select count(*) from notifications.timers where key = any(%s) and done_at is null",
                      (ids,)) == [(0,)]  # nothing re-armed: nothing more can be sent
    assert sorted(m["to"] for m in stub.requests()["sms"]) == phones


def test_E3_a_send_whose_answer_was_lost_then_got_no_time_is_looked_up_not_sent_again(fresh_stack):
    """An SMS the provider took though its answer was lost (the delivery left "sending"), whose next
    batch ran out of time before reaching it: that attempt was never made, but the earlier one is still
    unknown, so the next looks it up. It used to go back to "pending" and be sent blindly."""
    from notifications.mail import Outcome

    system = fresh_stack(start=("provider-stub", "notifications", "gateway"), env={"PROVIDER_STUB_AUTO_STATUS": "none"})
    api, stub = system.api(), Stub(system)
    key, phone = uuid.uuid4().hex, "+33699999994"
    request_notification(system, api.tenant_id, idempotency_key=key, kind="action_sms", channel="sms",
                         recipients=[{"address": phone}], content={"body_text": "Reminder"})
    wait_for(lambda: states(api, key) == {phone: "sent"})
    (delivery,) = deliveries(api, key)["deliveries"]
    # As the lost answer left it: "sending", its timer claimed by the replica that is about to settle.
    system.sql("update notifications.deliveries set send_state = 'sending' where id = %s returning id", (delivery["id"],))
    system.sql("update notifications.timers set done_at = null, claimed_by = 'replica-a',"
               " claimed_until = now() + interval '1 minute' where key = %s returning id", (delivery["id"],))
    with late_replica(system) as settle:
        settle(api.tenant_id, [delivery["id"]], [Outcome(False, reason="not attempted", attempted=False)],
               unknown=True)
    wait_for(lambda: system.sql("select send_state from notifications.deliveries where id = %s",
                                (delivery["id"],)) == [("sent",)])
    assert [m["to"] for m in stub.requests()["sms"]].count(phone) == 1
    assert states(api, key) == {phone: "sent"}


def test_E5_a_reconnecting_stream_resumes_where_the_browser_left_it(system, api):
    user = api.user()
    keys = [uuid.uuid4().hex for _ in range(3)]
    for n, key in enumerate(keys):
        request_in_app(system, api.tenant_id, user.user_id, key, "action_assigned", f"Item {n}", "x")
    wait_for(lambda: len(user.get("/v1/notifications").json()["items"]) == 3)
    by_seq = sorted((i["seq"], i["title"]) for i in user.get("/v1/notifications").json()["items"])
    seqs = [seq for seq, _ in by_seq]  # the three were accepted concurrently: in any order

    def first_blocks(headers=None, params=None, until="event: unread"):
        with httpx.Client(base_url=system.base_url, timeout=30,
                          headers={"Authorization": f"Bearer {user.key}", **(headers or {})}) as c:
            with c.stream("GET", "/v1/notifications/stream", params=params) as stream:
                buffer, deadline = "", time.monotonic() + 10
                for chunk in stream.iter_text():  # keep-alives come every few seconds: the deadline is checked
                    buffer += chunk
                    if until in buffer or time.monotonic() > deadline:
                        break
                return buffer.split("\n\n")

    # A fresh stream says where it starts, so a drop before any item resumes from there, not from "now".
    assert f"id: {seqs[-1]}" in first_blocks(until=f"id: {seqs[-1]}")[0]
    # The browser reconnects to the URL it had (?after=0) with the last id it saw: it gets only what followed.
    blocks = first_blocks(headers={"Last-Event-ID": str(seqs[0])}, params={"after": 0})
    titles = [json.loads(b.split("data: ", 1)[1])["title"] for b in blocks if "event: notification" in b]
    assert titles == [title for _, title in by_seq[1:]]


def test_E5_an_item_numbered_first_but_committed_last_is_not_skipped_by_the_stream(system, api):
    """Two notices for one user accepted at once: the one given the lower number commits last. A stream
    polling in between must not see the higher number alone, or it moves past the lower one for good.
    Here the first acceptance is held half-way in a transaction of its own (the service's own code)."""
    from common.context import Principal
    from common.db import Database, make_engine
    from common.migrate import service_database_url
    from notifications import repository as repo

    user = api.user()
    url = service_database_url(system.infra.admin_url, "notifications")
    held = Database(make_engine(url, schema="notifications", pool_size=1), "notifications")
    try:
        with held.transaction(Principal(api.tenant_id, None, "system")) as uow:
            repo.add_inbox_item(uow, user.user_id, None, "action_assigned", "First", "x", None)
            request_in_app(system, api.tenant_id, user.user_id, uuid.uuid4().hex, "action_assigned", "Second", "y")
            system.wait_for_a_lock_wait()  # the second waits for the first's number to commit
            assert user.get("/v1/notifications").json()["items"] == []
    finally:
        held.engine.dispose()
    wait_for(lambda: len(user.get("/v1/notifications").json()["items"]) == 2)
    items = sorted(user.get("/v1/notifications").json()["items"], key=lambda i: i["seq"])
    assert [i["title"] for i in items] == ["First", "Second"]


def test_E5_a_users_items_are_numbered_from_one_whatever_other_tenants_receive(system):
    """The numbers a user sees are theirs: how many notices other tenants' users got does not show."""
    busy, quiet = system.api(), system.api()
    someone = busy.user()
    for n in range(3):
        request_in_app(system, busy.tenant_id, someone.user_id, uuid.uuid4().hex, "action_assigned", f"B{n}", "x")
    wait_for(lambda: len(someone.get("/v1/notifications").json()["items"]) == 3)
    newcomer = quiet.user()
    request_in_app(system, quiet.tenant_id, newcomer.user_id, uuid.uuid4().hex, "action_assigned", "Hello", "x")
    wait_for(lambda: len(newcomer.get("/v1/notifications").json()["items"]) == 1)
    assert [i["seq"] for i in newcomer.get("/v1/notifications").json()["items"]] == [1]
    assert sorted(i["seq"] for i in someone.get("/v1/notifications").json()["items"]) == [1, 2, 3]
