"""Inbound webhook shapes and signatures (X2 webhooks in, B1)."""
from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from pydantic import ValidationError

from common.contracts.triage import InboundCommunication
from gateway.routes import inbound as r


def test_X2_tenant_secrets_are_derived_per_tenant_and_from_the_platform_secret():
    a = r.tenant_webhook_secret("platform-secret-123456", "t1")
    assert a == r.tenant_webhook_secret("platform-secret-123456", "t1")
    assert a != r.tenant_webhook_secret("platform-secret-123456", "t2")
    assert a != r.tenant_webhook_secret("other-platform-secret-1", "t1")


def test_X2_body_signature_is_hmac_sha256_of_the_raw_body():
    sig = r.body_signature("s3cret", b'{"a":1}')
    assert sig == "sha256=" + hmac.new(b"s3cret", b'{"a":1}', hashlib.sha256).hexdigest()


def test_X2_twilio_signature_follows_twilio_scheme():
    url = "https://example.com/v1/inbound/sms?tenant=t1"
    params = {"From": "+33612345678", "Body": "hi", "MessageSid": "SM1"}
    expected = base64.b64encode(hmac.new(b"tok", (url + "BodyhiFrom+33612345678MessageSidSM1").encode(),
                                         hashlib.sha1).digest()).decode()
    assert r.twilio_signature("tok", url, params) == expected


def test_B1_plain_json_and_call_transcript_json():
    fields = r.parse_json("email", {"from": "a@b.example", "subject": "Hi", "body": "Hello",
                                    "received_at": "2026-11-22T09:00:00+01:00", "external_id": "m1"})
    msg = InboundCommunication.model_validate(fields)
    assert msg.from_address == "a@b.example" and msg.external_id == "m1"
    call = r.parse_json("call", {"call_id": "c1", "from": "+33612345678", "started_at": "2026-11-22T09:00:00Z",
                                 "transcript": [{"speaker": "agent", "text": "Hello"},
                                                {"speaker": "customer", "text": "I'll pay Friday"}]})
    assert call["body"] == "Agent: Hello\nCustomer: I'll pay Friday" and call["external_id"] == "c1"
    with pytest.raises(ValidationError):
        r.parse_json("email", {"from": "a@b", "body": "x"})  # received_at and external_id are required


def test_B1_sendgrid_inbound_parse_fields():
    fields = r.parse_sendgrid({"from": "Marie <m@d.example>", "to": "ar@x.example", "subject": "Invoice",
                               "text": "Please resend", "headers": "Message-ID: <id-1@d.example>\n"
                               "Date: Sun, 22 Nov 2026 08:00:00 +0000\n"}, b"raw")
    assert fields["external_id"] == "<id-1@d.example>" and fields["body"] == "Please resend"
    assert fields["received_at"].isoformat() == "2026-11-22T08:00:00+00:00"
    html_only = r.parse_sendgrid({"from": "m@d.example", "html": "<p>Hello <b>there</b></p>"}, b"raw")
    assert "Hello" in html_only["body"] and "<" not in html_only["body"]


def test_B1_an_html_only_email_is_read_as_its_reader_sees_it():
    """No style sheet, script or comment taken for words, entities decoded, paragraphs on their own lines."""
    html = ('<html><head><style>p { color: red; }</style><script>track()</script></head><body>'
            '<!-- ref 4471 --><p>Bonjour,</p><p>Nous paierons la facture F-12 de 1&nbsp;200&euro; le'
            ' 30/11.<br>Cordialement,</p><div>Ren&eacute;e &lt;compta&gt;</div></body></html>')
    fields = r.parse_sendgrid({"from": "m@d.example", "html": html}, b"raw")
    assert fields["body"] == ("Bonjour,\nNous paierons la facture F-12 de 1 200\u20ac le 30/11.\n"
                              "Cordialement,\nRen\u00e9e <compta>")


@pytest.mark.parametrize("html, text", [
    ("<table><tr><td>Invoice</td><td>F-12</td><td>1200 EUR</td></tr></table>", "Invoice F-12 1200 EUR"),
    ("<ul><li>Pay<ul><li>F-12</li></ul></li><li>F-13</li></ul>", "Pay\nF-12\nF-13"),
    ("<div>Thanks<div>John</div></div>", "Thanks\nJohn"),
    ("Hello<p>World</p>", "Hello\nWorld"),
    ('Line one<br clear="all">Line two', "Line one\nLine two"),
    ("above<hr>below", "above\nbelow"),
    ("<html><head><title>Remittance advice</title></head><body><p>Paid</p></body></html>", "Paid"),
])
def test_B1_html_only_mail_keeps_words_and_cells_apart(html, text):
    """Remittance advice comes in tables: "F-12" and "1200" run together would be another invoice."""
    assert r.html_text(html) == text


def test_B1_twilio_sms_and_transcription_callbacks():
    sms = r.parse_twilio("sms", {"From": "+33612345678", "To": "+1500", "Body": " STOP ", "MessageSid": "SM1"}, b"")
    assert (sms["from_address"], sms["body"], sms["external_id"]) == ("+33612345678", "STOP", "SM1")
    call = r.parse_twilio("call", {"From": "+33612345678", "TranscriptionText": "I will pay",
                                   "TranscriptionSid": "TR1", "CallSid": "CA1"}, b"")
    assert call["body"] == "I will pay" and call["external_id"] == "TR1"
