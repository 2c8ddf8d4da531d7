"""Pure rules of the notifications service (E2 states, E3 retries, E4 templates, input checks)."""
import base64
import itertools
from datetime import datetime, timedelta, timezone

import pytest

from notifications import domain


# ---- E2: delivery states --------------------------------------------------------------------------

@pytest.mark.parametrize("current,reported,expected", [
    ("queued", "sent", "sent"), ("sent", "delivered", "delivered"), ("delivered", "opened", "opened"),
    ("sent", "opened", "opened"), ("opened", "clicked", "clicked"), ("sent", "bounced", "bounced"),
    ("delivered", "returned", "returned"), ("queued", "failed", "failed"), ("sent", "failed", "failed"),
    # A report or an open that arrives while its send is still being settled implies it was sent.
    ("queued", "delivered", "delivered"), ("queued", "opened", "opened"), ("queued", "clicked", "clicked"),
    ("queued", "returned", "returned"),
])
def test_E2_forward_transitions_are_applied(current, reported, expected):
    assert domain.next_state(current, reported) == expected


@pytest.mark.parametrize("current,reported", [
    ("opened", "delivered"), ("opened", "sent"), ("delivered", "sent"), ("clicked", "opened"),
    ("bounced", "delivered"), ("failed", "sent"), ("returned", "delivered"), ("clicked", "sent"),
    ("sent", "sent"), ("opened", "opened"), ("bounced", "bounced"),
])
def test_E2_late_repeated_or_backward_reports_change_nothing(current, reported):
    assert domain.next_state(current, reported) is None


def test_E2_terminal_failures_accept_nothing_and_every_state_is_known():
    for state, reported in itertools.product(domain.TERMINAL_FAILURES, domain.STATES):
        assert domain.next_state(state, reported) is None
    for targets in domain.TRANSITIONS.values():
        assert targets <= set(domain.STATES)
    with pytest.raises(ValueError):
        domain.next_state("sent", "exploded")


# ---- E3: retries -------------------------------------------------------------------------------------

def test_E3_backoff_grows_exponentially_with_full_jitter_and_a_cap():
    p = domain.RetryPolicy(max_attempts=5, base_s=2, cap_s=30)
    assert p.delay_s(1, 0.999) == pytest.approx(2 * 0.999)
    assert p.delay_s(3, 0.999) == pytest.approx(8 * 0.999)
    assert p.delay_s(10, 0.999) == pytest.approx(30 * 0.999)  # capped
    assert p.delay_s(3, 0.0) == pytest.approx(0.8)  # never immediate: at least 10% of the step
    assert p.delay_s(3, 0.5) != p.delay_s(3, 0.9)  # jitter spreads retries
    with pytest.raises(ValueError):
        p.delay_s(0, 0.5)


def test_E3_attempts_are_bounded():
    p = domain.RetryPolicy(max_attempts=3)
    assert [p.gives_up_after(a) for a in (1, 2, 3, 4)] == [False, False, True, True]


CLAIMED = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def _time_left(at_s: float, lease_s: float = 60, deadline_s: float = 30, share: float = 0.2):
    return domain.send_time_left(CLAIMED + timedelta(seconds=at_s), CLAIMED, CLAIMED + timedelta(seconds=lease_s),
                                 batch_deadline_s=deadline_s, margin_share=share)


@pytest.mark.parametrize("at_s,expected", [
    (0, 48.0), (10, 38.0), (29.5, 18.5),  # every call ends 12 s (a fifth of 60) before the lease does
    (30, None), (31, None),  # the batch deadline counts from the claim, not from when the batch began
    (48, None), (60, None), (75, None),  # a worker that came too late starts nothing
])
def test_E3_a_send_ends_before_its_timer_lease_and_starts_before_the_batch_deadline(at_s, expected):
    assert _time_left(at_s) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize("at_s,expected", [(0, 6.4), (6, 0.4), (6.4, None), (8, None)])
def test_E3_a_lease_shorter_than_the_batch_deadline_bounds_when_a_send_may_start(at_s, expected):
    assert _time_left(at_s, lease_s=8) == (pytest.approx(expected) if expected is not None else None)


def test_E3_no_send_outlives_its_lease_whatever_the_settings():
    for lease_s, deadline_s, share in itertools.product((1, 3, 8, 60, 600), (0.5, 1, 30, 1000), (0.05, 0.2, 0.5, 0.9)):
        must_end = lease_s - round(lease_s * share, 6)  # timedeltas count microseconds
        for tenth in range(-5, lease_s * 10 + 20):
            at_s = tenth / 10
            left = _time_left(at_s, lease_s, deadline_s, share)
            assert (left is None) == (at_s >= min(deadline_s, must_end)), (lease_s, deadline_s, share, at_s)
            if left is not None:
                assert left > 0 and at_s + left == pytest.approx(must_end)


@pytest.mark.parametrize("share", [0, 1, -0.1, 1.5])
def test_E3_the_margin_is_a_share_of_the_lease(share):
    with pytest.raises(ValueError):
        _time_left(0, share=share)


# ---- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("address", ["ann@example.com", "a.b+tag@sub.example.co.uk"])
def test_valid_email_addresses_pass(address):
    domain.check_address("email", address)


@pytest.mark.parametrize("address", ["not-an-email", "a@b", "ann@example.com, bob@example.com",
                                     "Ann <ann@example.com>", "ann@exa mple.com", "@example.com"])
def test_invalid_email_addresses_are_refused(address):
    with pytest.raises(domain.Refused) as exc:
        domain.check_address("email", address)
    assert exc.value.code == "INVALID_ADDRESS"


def test_sms_needs_e164():
    domain.check_address("sms", "+33612345678")
    for bad in ("0612345678", "+0612345678", "+33 6 12 34 56 78"):
        with pytest.raises(domain.Refused):
            domain.check_address("sms", bad)


def test_oversize_or_undecodable_attachments_are_refused():
    small = base64.b64encode(b"x" * 1000).decode()
    assert domain.attachment_bytes([("a.txt", small)]) == [b"x" * 1000]
    big = base64.b64encode(b"x" * (domain.MAX_ATTACHMENT_BYTES // 2 + 1)).decode()
    with pytest.raises(domain.Refused) as exc:
        domain.attachment_bytes([("a.bin", big), ("b.bin", big)])
    assert exc.value.code == "ATTACHMENT_TOO_LARGE" and "b.bin" in exc.value.reason
    with pytest.raises(domain.Refused) as exc:
        domain.attachment_bytes([("c.bin", "%%%not base64")])
    assert exc.value.code == "INVALID_ATTACHMENT"


# ---- E4: templates -----------------------------------------------------------------------------------

def test_E4_a_good_template_is_accepted_and_renders():
    parts = {"subject": "Invoice {{ number }}", "body_text": "Dear {{ name }},\nplease pay {{ amount }}.",
             "body_html": "<p>{{ name }}</p>"}
    samples = {"number": "F-1", "name": "Ann", "amount": "10 EUR"}
    assert domain.check_template(parts, samples) == {"number", "name", "amount"}
    out = domain.render(parts, {"number": "F-2", "name": "<b>Bob</b>", "amount": "5"})
    assert out["subject"] == "Invoice F-2"
    assert out["body_html"] == "<p>&lt;b&gt;Bob&lt;/b&gt;</p>"  # HTML escaped, text not
    assert out["body_text"].startswith("Dear <b>Bob</b>")


def test_E4_a_syntax_error_is_refused_with_its_line():
    with pytest.raises(domain.TemplateInvalid) as exc:
        domain.check_template({"body_text": "Hello\n{{ name }}\n{% if x %}never closed"}, {"name": "a", "x": 1})
    assert exc.value.part == "body_text" and exc.value.line == 3


def test_E4_an_undeclared_variable_is_refused_with_its_line():
    with pytest.raises(domain.TemplateInvalid) as exc:
        domain.check_template({"body_text": "Hello {{ name }}\nYou owe {{ amount }}"}, {"name": "a"})
    assert "amount" in exc.value.message and exc.value.line == 2


def test_E4_a_failing_test_render_and_sandbox_escapes_are_refused():
    with pytest.raises(domain.TemplateInvalid) as exc:
        domain.check_template({"body_text": "{{ amount / 0 }}"}, {"amount": 3})
    assert "test render failed" in exc.value.message
    with pytest.raises(domain.TemplateInvalid):
        domain.check_template({"body_text": "{{ name.__class__.__mro__ }}"}, {"name": "a"})


def test_E4_variables_at_send_time_must_match_the_declared_ones():
    domain.check_variables({"name": "x"}, {"name": "Ann"})
    with pytest.raises(domain.Refused) as exc:
        domain.check_variables({"name": "x"}, {"name": "Ann", "nmae": "typo"})
    assert exc.value.code == "UNKNOWN_TEMPLATE_VARIABLE" and "nmae" in exc.value.reason
    with pytest.raises(domain.Refused) as exc:
        domain.check_variables({"name": "x", "amount": 1}, {"name": "Ann"})
    assert exc.value.code == "MISSING_TEMPLATE_VARIABLE"


# ---- tracking -----------------------------------------------------------------------------------------

def test_links_are_rewritten_and_the_pixel_added_before_body_end():
    html = '<html><body><a href="https://pay.example.com/x?a=1">Pay</a> <a href=\'mailto:a@b.c\'>m</a></body></html>'
    out = domain.add_pixel(domain.rewrite_links(html, lambda u: "T(" + u + ")"), "P")
    assert 'href="T(https://pay.example.com/x?a=1)"' in out
    assert "mailto:a@b.c" in out  # only http(s) links are tracked
    assert out.endswith('<img src="P" width="1" height="1" alt="" style="display:none"></body></html>')


# ---- rate limits ---------------------------------------------------------------------------------------

def test_E3_a_bucket_refills_at_its_rate_up_to_its_capacity():
    b = domain.Bucket(tokens=0.0, at=100.0)
    assert b.level(100.5, rate=4, capacity=4) == 2.0
    assert b.level(200.0, rate=4, capacity=4) == 4.0
    assert b.level(99.0, rate=4, capacity=4) == 0.0  # a clock that went back adds nothing


@pytest.mark.parametrize("levels, wanted, expected", [
    ([(10.0, 5), (3.5, 100)], 2, (2, 0.0)),        # both allow all
    ([(10.0, 5), (3.5, 100)], 5, (3, 0.005)),      # the provider allows 3; its next token in 5 ms
    ([(0.5, 2), (50.0, 100)], 4, (0, 0.25)),       # the tenant has none; its next in 0.25 s
    ([(2.0, 2), (2.0, 4)], 3, (2, 0.5)),           # both short: wait for the slower one
])
def test_E3_a_batch_gets_what_every_bucket_allows_and_when_to_try_again(levels, wanted, expected):
    granted, wait = domain.grant(levels, wanted)
    assert granted == expected[0] and wait == pytest.approx(expected[1])



# ---- callbacks and DSNs ---------------------------------------------------------------------------------

def test_provider_callbacks_map_to_E2_states():
    cb = domain.read_callback("twilio", {"ref": "t:d1", "MessageSid": "SM1", "MessageStatus": "undelivered",
                                         "ErrorCode": "30005"})
    assert (cb.delivery_id, cb.state, cb.reason) == ("d1", "failed", "twilio error 30005")
    cb = domain.read_callback("lob", {"event_type": {"id": "letter.returned_to_sender"},
                                      "body": {"id": "ltr_1", "metadata": {"delivery_id": "d2"}}})
    assert (cb.delivery_id, cb.state) == ("d2", "returned")
    mid = "<0b7c6a5e-1111-4222-8333-944455556666.0123456789abcdef0123456789abcdef@followup.local>"
    cb = domain.read_callback("smtp", {"message_id": mid, "event": "bounce", "reason": "550 no such user"})
    assert (cb.delivery_id, cb.state) == ("0b7c6a5e-1111-4222-8333-944455556666", "bounced")
    assert domain.read_callback("twilio", {"MessageStatus": "accepted"}).state is None
    with pytest.raises(ValueError):
        domain.read_callback("nobody", {})


DSN = b"""From: MAILER-DAEMON@mx.example.com
To: bounces@followup.local
Subject: Undelivered Mail
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; ann@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 No such user

--B
Content-Type: text/rfc822-headers

Message-ID: <abc.def@followup.local>
Subject: Invoice

--B--
"""


def test_a_dsn_names_the_original_message_and_the_failed_recipient():
    report = domain.parse_dsn(DSN)
    assert report.original_message_id == "<abc.def@followup.local>"
    assert report.recipients == [("ann@example.com", "bounced", "5.1.1 550 5.1.1 No such user")]


# ---- sender identities (E1) ------------------------------------------------------------------------------

VERIFIED = "2026-11-20T09:00:00+00:00"
IDENTITIES = [{"address": "acme.example", "display_name": None, "is_default": False, "verified_at": VERIFIED},
              {"address": "billing@collect.example", "display_name": "Acme Collections", "is_default": True,
               "verified_at": VERIFIED}]


@pytest.mark.parametrize("address, default, expected", [
    ("Acme.Example", False, "acme.example"), (" billing@Collect.example ", True, "billing@collect.example"),
    ("mail.acme.co.uk", False, "mail.acme.co.uk")])
def test_E1_sender_identities_are_domains_or_mailboxes_normalised(address, default, expected):
    assert domain.sender_identity(address, default) == expected


@pytest.mark.parametrize("address, default, code", [
    ("not a domain", False, "INVALID_ADDRESS"), ("acme", False, "INVALID_ADDRESS"), ("a@@b.example", False,
                                                                                    "INVALID_ADDRESS"),
    ("-acme.example", False, "INVALID_ADDRESS"), ("acme.example", True, "DEFAULT_NEEDS_MAILBOX")])
def test_E1_bad_sender_identities_are_refused_with_a_code(address, default, code):
    with pytest.raises(domain.Refused) as refused:
        domain.sender_identity(address, default)
    assert refused.value.code == code


@pytest.mark.parametrize("sender, expected", [
    # on a declared domain, or the declared mailbox itself: as themself, no Reply-To
    ({"email": "ann@acme.example", "name": "Ann"}, domain.FromLine("Ann", "ann@acme.example", None)),
    ({"email": "Ann@ACME.example", "name": "Ann"}, domain.FromLine("Ann", "Ann@ACME.example", None)),
    ({"email": "billing@collect.example", "name": None}, domain.FromLine(None, "billing@collect.example", None)),
    # a subdomain or a look-alike is not the declared domain
    ({"email": "ann@eu.acme.example", "name": "Ann"},
     domain.FromLine("Ann", "billing@collect.example", "ann@eu.acme.example")),
    ({"email": "ann@notacme.example", "name": None},
     domain.FromLine("Acme Collections", "billing@collect.example", "ann@notacme.example")),
    # no sender (a system message): the default identity under its own name
    (None, domain.FromLine("Acme Collections", "billing@collect.example", None)),
])
def test_E1_from_line_follows_the_tenants_sender_identities(sender, expected):
    assert domain.choose_from(sender, IDENTITIES, "no-reply@platform.example") == expected


def test_E1_without_a_default_identity_mail_goes_from_the_platform_with_reply_to_the_sender():
    declared_domain_only = IDENTITIES[:1]
    assert domain.choose_from({"email": "bob@other.example", "name": "Bob"}, declared_domain_only,
                              "no-reply@platform.example") == \
        domain.FromLine("Bob", "no-reply@platform.example", "bob@other.example")
    assert domain.choose_from({"email": "bob@other.example", "name": "Bob"}, [], "no-reply@platform.example") == \
        domain.FromLine("Bob", "no-reply@platform.example", "bob@other.example")


@pytest.mark.parametrize("unverified", ["acme.example", "billing@collect.example"])
def test_E1_an_identity_not_yet_verified_is_not_sent_from(unverified):
    """Declaring another tenant's domain must not let a tenant send as it: until the link mailed to the
    domain or mailbox is followed, mail goes out as if it were not declared."""
    identities = [{**i, "verified_at": None} if i["address"] == unverified else i for i in IDENTITIES]
    on_it = {"email": "ann@acme.example" if unverified == "acme.example" else "billing@collect.example",
             "name": "Ann"}
    sent = domain.choose_from(on_it, identities, "no-reply@platform.example")
    assert sent.address != on_it["email"] and sent.reply_to == on_it["email"]
    if unverified == "billing@collect.example":  # an unverified default is no default
        assert domain.choose_from(None, identities, "no-reply@platform.example").address == "no-reply@platform.example"


@pytest.mark.parametrize("identity, via, expected", [
    ("billing@collect.example", None, "billing@collect.example"),
    ("acme.example", None, "postmaster@acme.example"),
    *[("acme.example", local, f"{local}@acme.example") for local in domain.DOMAIN_VERIFIERS],
    ("acme.example", " Hostmaster ", "hostmaster@acme.example"),
])
def test_E1_a_verification_link_goes_where_only_the_owner_reads_it(identity, via, expected):
    assert domain.verification_address(identity, via) == expected


@pytest.mark.parametrize("identity, via, code", [
    ("acme.example", "ann", "INVALID_VERIFY_VIA"),  # any mailbox the tenant made up would prove nothing
    ("acme.example", "postmaster@tenantb.example", "INVALID_VERIFY_VIA"),
    ("acme.example", "", "INVALID_VERIFY_VIA"),
    ("billing@collect.example", "postmaster", "VERIFY_VIA_DOMAIN_ONLY"),
])
def test_E1_a_verification_elsewhere_is_refused(identity, via, code):
    with pytest.raises(domain.Refused) as refused:
        domain.verification_address(identity, via)
    assert refused.value.code == code


def test_E1_the_verification_mail_comes_from_the_platform_and_names_who_asks():
    """The tenant's own identities (an attacker's "TenantB IT Security") must not dress the question up."""
    assert domain.from_line("sender_verification", None, IDENTITIES, "no-reply@platform.example") == \
        domain.FromLine("Followup", "no-reply@platform.example", None)
    assert domain.from_line("action_email", None, IDENTITIES, "no-reply@platform.example").address == \
        "billing@collect.example"
    mail = domain.verification_message("tenantb.example", "https://x/v", {"tenant": "Acme Ltd", "user": "ann@acme.example"})
    assert "Acme Ltd" in mail["subject"] and "Acme Ltd (ann@acme.example)" in mail["body_text"]


@pytest.mark.parametrize("identity, expected", [
    ("billing@acme.example", True), ("billing@eu.acme.example", False), ("acme.example", False),
    ("billing@pending.example", False), ("billing@collect.example", False),
])
def test_E1_a_mailbox_on_a_verified_domain_is_proven_by_it(identity, expected):
    identities = IDENTITIES + [{"address": "pending.example", "is_default": False, "verified_at": None}]
    assert domain.mailbox_domain_verified(identity, identities) is expected


@pytest.mark.parametrize("name, ok", [("Acme Collections", True), (None, True), ("Zoë Müller-Øst", True),
                                      ("Acme\r\nBcc: x@y", False), ("Acme\tLtd", False), ("A\x7f", False)])
def test_E1_a_display_name_is_one_line(name, ok):
    if ok:
        domain.check_display_name(name)
    else:
        with pytest.raises(domain.Refused) as refused:
            domain.check_display_name(name)
        assert refused.value.code == "INVALID_DISPLAY_NAME"


NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
LIVE = {"verification_sent_to": "postmaster@acme.example",
        "verification_expires_at": NOW + timedelta(days=domain.VERIFICATION_TTL_DAYS) - timedelta(seconds=30)}


@pytest.mark.parametrize("identity, sent_to, expected", [
    (None, "postmaster@acme.example", True),                       # first save
    ({"verification_expires_at": None}, "postmaster@acme.example", True),
    (LIVE, "postmaster@acme.example", False),                      # 30 s after the last, same mailbox
    (LIVE, "hostmaster@acme.example", True),                       # another mailbox: at once
    ({**LIVE, "verification_expires_at": LIVE["verification_expires_at"] - timedelta(seconds=31)},
     "postmaster@acme.example", True),                             # a minute after
    ({**LIVE, "verification_expires_at": NOW - timedelta(seconds=1)}, "postmaster@acme.example", True),  # expired
])
def test_E1_a_verification_link_is_mailed_again_only_after_a_minute_to_the_same_mailbox(identity, sent_to, expected):
    assert domain.mail_verification_again(identity, sent_to, NOW) is expected


def test_E1_verification_links_are_kept_only_as_digests():
    assert domain.token_digest("abc") == domain.token_digest("abc") != domain.token_digest("abd")
    assert "abc" not in domain.token_digest("abc") and len(domain.token_digest("abc")) == 64


# ---- A4/E5: email copies of in-app notifications ---------------------------------------------------

ANN, BOB, CID = "6f1c0a40-0000-4000-8000-000000000001", "6f1c0a40-0000-4000-8000-000000000002", \
    "6f1c0a40-0000-4000-8000-000000000003"
SETTINGS = {ANN: {"email": "ann@acme.example", "email_kinds": ["action_assigned", "promise_overdue"]},
            BOB: {"email": "bob@acme.example", "email_kinds": ["promise_due_soon"]},
            CID: {"email": "not an address", "email_kinds": ["action_assigned"]}}


@pytest.mark.parametrize("kind,users,expected", [
    ("action_assigned", [ANN], [(ANN, "ann@acme.example")]),
    ("action_assigned", [BOB], []),  # Bob asked for another kind
    ("promise_due_soon", [ANN, BOB], [(BOB, "bob@acme.example")]),
    ("promise_overdue", [ANN, ANN], [(ANN, "ann@acme.example")]),  # one email per user
    ("action_assigned", ["6f1c0a40-0000-4000-8000-00000000000f"], []),  # no settings: in-app only
    ("action_assigned", [None], []),
    ("action_assigned", [CID], []),  # an address that is not one is never tried
    ("action_assigned", [], []),
])
def test_A4_who_also_gets_an_in_app_notification_by_email(kind, users, expected):
    assert domain.email_copies(kind, users, SETTINGS) == expected


def test_A4_user_ids_match_whatever_type_they_come_as():
    import uuid
    assert domain.email_copies("action_assigned", [uuid.UUID(ANN)], SETTINGS) == [(ANN, "ann@acme.example")]


@pytest.mark.parametrize("source,samples", [
    ("{{ name|dictsort }}", {"name": "abc"}),  # a filter on the wrong type: AttributeError
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", {}),  # endless recursion
])
def test_E4_any_failing_test_render_is_refused_not_a_500(source, samples):
    with pytest.raises(domain.TemplateInvalid):
        domain.check_template({"body_text": source}, samples)
    with pytest.raises(domain.Refused) as exc:  # and at send time, a failed delivery with its reason
        domain.render({"body_text": source}, samples)
    assert exc.value.code == "TEMPLATE_RENDER_FAILED"


def test_E2_a_tracked_link_leads_where_the_html_points():
    assert domain.link_target("https://pay.example/i?inv=1&amp;t=z") == "https://pay.example/i?inv=1&t=z"
    assert domain.link_target("https://pay.example/plain") == "https://pay.example/plain"


def test_E1_a_subject_written_over_several_lines_is_sent_on_one():
    from datetime import datetime, timezone

    from notifications.mail import compose

    msg = compose(delivery_id="00000000-0000-0000-0000-000000000001", tenant_id="00000000-0000-0000-0000-000000000002",
                  domain="mail.example", from_addr="a@x.example", from_name=None, reply_to=None, to=["b@y.example"],
                  cc=[], subject="Invoice F-1\r\nBcc: everyone@evil.example", body_text="Hi", body_html=None,
                  attachments=[], sent_at=datetime(2026, 11, 23, tzinfo=timezone.utc))
    assert msg["Subject"] == "Invoice F-1 Bcc: everyone@evil.example" and msg["Bcc"] is None
    assert b"\r\nBcc:" not in msg.as_bytes()


@pytest.mark.parametrize("dirty, gone", [
    ('<p>Hi</p><script>steal(document.cookie)</script>', ["<script", "steal"]),
    ('<p onclick="steal()">Hi</p>', ["onclick", "steal"]),
    ('<img src="https://x.example/a.png" onerror="steal()">', ["onerror"]),
    ('<a href="javascript:steal()">pay</a>', ["javascript"]),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">pay</a>', ["data:"]),
    ('<form action="https://evil.example"><input name="card"></form>', ["<form", "<input"]),
    ('<iframe src="https://evil.example"></iframe>', ["<iframe"]),
    ('<style>body{background:url(https://track.example)}</style><p>Hi</p>', ["<style", "track.example"]),
    ('<div style="position:fixed;top:0;background-image:url(https://track.example)">Hi</div>',
     ["position", "track.example"]),
    ('<svg><script>steal()</script></svg>', ["<svg", "steal"]),
    ('<object data="https://evil.example/x.swf"></object>', ["<object"]),
    ('<html><head><title>Invoice {{ n }}</title></head><body><p>Hi</p></body></html>', ["<title", "Invoice"]),
])
def test_E1_email_html_loses_what_runs_loads_or_submits(dirty, gone):
    clean = domain.safe_html(dirty)
    assert not [g for g in gone if g in clean], clean


@pytest.mark.parametrize("kept", [
    '<table width="600" cellpadding="4" cellspacing="0" border="0" bgcolor="#ffffff" align="center">'
    '<tbody><tr><td valign="top" style="color:#333333;font-family:Arial;padding:8px">Invoice F-12</td></tr>'
    '</tbody></table>',
    '<p style="text-align:center;font-size:14px">Please pay <strong>120.00 EUR</strong></p>',
    '<img src="https://cdn.acme.example/logo.png" alt="Acme" width="120" height="40">',
    '<font color="#ff0000">Overdue</font>',
])
def test_E1_email_html_keeps_the_tables_and_inline_styles_email_layout_needs(kept):
    assert domain.safe_html(kept) == kept


def test_E2_a_sanitised_link_is_still_tracked_and_leads_where_it_pointed():
    clean = domain.safe_html('<a href="https://pay.acme.example/i?n=F-12&amp;c=7" onclick="x()">pay</a>')
    assert [domain.link_target(m.group(3)) for m in domain.HREF_RE.finditer(clean)] == \
        ["https://pay.acme.example/i?n=F-12&c=7"]
