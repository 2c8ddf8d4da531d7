import uuid
from decimal import Decimal as D
from itertools import product

import pytest
from pydantic import ValidationError

from common.errors import ValidationFailed
from tasks import domain


def inv(amount, paid="0", currency="EUR", status="open"):
    return domain.InvoiceBalance(uuid.uuid4(), D(amount), D(paid), currency, status)


def test_A4_action_without_assignee_starts_as_draft():
    assert domain.initial_action_status(None) == "draft"
    assert domain.initial_action_status(uuid.uuid4()) == "new"


def test_payment_settles_invoices_in_order_and_marks_paid():
    a, b = inv("100"), inv("50")
    plan = domain.allocate_payment(D("120"), "EUR", [a, b])
    assert [(x.applied, x.amount_paid, x.status) for x in plan.allocations] == [
        (D("100"), D("100"), "paid"), (D("20"), D("20"), "open")]
    assert plan.unallocated == D("0")


def test_overpayment_is_kept_unallocated_not_invented():
    plan = domain.allocate_payment(D("80"), "EUR", [inv("50", paid="20")])
    assert plan.allocations[0].amount_paid == D("50") and plan.allocations[0].status == "paid"
    assert plan.unallocated == D("50")


def test_payment_in_another_currency_is_refused():
    with pytest.raises(ValidationFailed) as err:
        domain.allocate_payment(D("10"), "USD", [inv("10")])
    assert err.value.code == "CURRENCY_MISMATCH"


@pytest.mark.parametrize("status", ["open", "paid", "cancelled", "disputed"])
@pytest.mark.parametrize("paid", ["0", "40", "100"])
@pytest.mark.parametrize("amount", ["1", "60", "100", "250"])
def test_allocation_never_overpays_an_invoice_nor_loses_money(status, paid, amount):
    invoices = [inv("100", paid=paid, status=status), inv("30")]
    plan = domain.allocate_payment(D(amount), "EUR", invoices)
    applied = sum(a.applied for a in plan.allocations)
    assert applied + plan.unallocated == D(amount)
    for alloc in plan.allocations:
        original = next(i for i in invoices if i.id == alloc.invoice_id)
        assert alloc.amount_paid <= max(original.amount, original.amount_paid)
        assert alloc.status == ("paid" if alloc.amount_paid >= original.amount else original.status)
    assert all(a.invoice_id != invoices[0].id for a in plan.allocations) or status not in ("cancelled", "paid")


def test_C4_an_invoice_paid_elsewhere_takes_none_of_a_payment_the_next_open_one_does():
    paid_elsewhere, owed = inv("100", status="paid"), inv("100")
    plan = domain.allocate_payment(D("100"), "EUR", [paid_elsewhere, owed])
    assert [(a.invoice_id, a.applied, a.status) for a in plan.allocations] == [(owed.id, D("100"), "paid")]
    assert plan.unallocated == D("0")


def _action(status, trigger=None, creator=None):
    return {"id": uuid.uuid4(), "status": status, "trigger_event_id": trigger,
            "created_by_user_id": creator or uuid.uuid4(), "assignee_user_id": None if status == "draft" else uuid.uuid4()}


@pytest.mark.parametrize("status,triggered", list(product(
    ["draft", "new", "in_progress", "blocked", "completed", "skipped"], [False, True])))
def test_A5_A6_sections_group_by_trigger_and_pending_holds_only_live_untriggered(status, triggered):
    trigger = uuid.uuid4() if triggered else None
    sections = domain.section_actions([_action(status, trigger)])
    if triggered:
        assert list(sections.groups) == [trigger] and sections.pending == []
    else:
        assert sections.groups == {}
        assert len(sections.pending) == (1 if status in ("new", "in_progress", "blocked") else 0)


def test_A4_draft_visible_to_its_creator_only():
    me, other = uuid.uuid4(), uuid.uuid4()
    draft = _action("draft", creator=me)
    live = _action("new", creator=other)
    assert domain.visible_actions([draft, live], str(me)) == [draft, live]
    assert domain.visible_actions([draft, live], str(other)) == [live]
    assert domain.visible_actions([draft, live], None) == [live]


@pytest.mark.parametrize("status", ["draft", "skipped"])
def test_A4_an_action_never_assigned_is_its_creators_alone_whatever_its_status(status):
    me, other = uuid.uuid4(), uuid.uuid4()
    unseen = {**_action(status, creator=me), "assignee_user_id": None}
    assert domain.never_live(unseen)
    assert domain.visible_actions([unseen], str(me)) == [unseen]
    assert domain.visible_actions([unseen], str(other)) == []


@pytest.mark.parametrize("status", ["new", "in_progress", "blocked", "completed", "skipped"])
def test_A4_an_action_once_live_is_seen_by_everyone(status):
    me, other = uuid.uuid4(), uuid.uuid4()
    live = {**_action(status, creator=me), "assignee_user_id": other}
    assert not domain.never_live(live) and domain.visible_actions([live], str(uuid.uuid4())) == [live]


def test_changed_fields_lists_old_and_new_values():
    assert domain.changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}
    assert domain.changed_fields({"a": 1}, {"a": 1}) == {}


def test_B3_duplicate_is_an_open_task_with_the_same_set_of_invoices():
    a, b = uuid.uuid4(), uuid.uuid4()
    open_ab = {"id": 1, "status": "open", "invoice_ids": [a, b]}
    closed_a = {"id": 2, "status": "completed", "invoice_ids": [a]}
    waiting_none = {"id": 3, "status": "waiting", "invoice_ids": []}
    assert domain.find_duplicate([open_ab, closed_a, waiting_none], [b, a]) is open_ab
    assert domain.find_duplicate([open_ab, closed_a], [a]) is None  # a subset is another matter
    assert domain.find_duplicate([waiting_none], []) is None  # no invoices: nothing to duplicate


def test_C2_C3_schedule_is_in_the_tenant_time_zone():
    from datetime import date, datetime, timezone
    s = domain.promise_schedule(date(2026, 12, 1), "America/New_York")
    assert s.due_soon_at.astimezone(timezone.utc) == datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
    assert s.overdue_at.astimezone(timezone.utc) == datetime(2026, 12, 2, 5, 0, tzinfo=timezone.utc)
    assert (s.overdue_at - s.due_soon_at).total_seconds() == 48 * 3600


def test_C2_schedule_handles_a_daylight_saving_change():
    from datetime import date, timezone
    s = domain.promise_schedule(date(2026, 3, 30), "Europe/Paris")  # the day after the spring change
    assert s.due_soon_at.astimezone(timezone.utc).hour == 23 and s.overdue_at.astimezone(timezone.utc).hour == 22


def test_C4_promise_is_covered_once_received_reaches_the_amount():
    assert not domain.promise_covered(D("100"), D("99.99"))
    assert domain.promise_covered(D("100"), D("100")) and domain.promise_covered(D("100"), D("150"))


def test_C5_overdue_promises_rank_first():
    assert domain.queue_rank(True) < domain.queue_rank(False)


@pytest.mark.parametrize("action_type,payload,ok", [
    ("email", {"to": ["a@b.example"], "subject": "Hi", "body": "..."}, True),
    ("email", {"to": ["not an address"]}, False),
    ("sms", {"text": "x" * 1601}, False),
    ("sms", {"text": "Hello", "to": "+33612345678"}, True),
    ("call", {"script": "Say hello", "outcome_notes": "done"}, True),
    ("internal_note", {}, False),
    ("internal_note", {"text": "Called twice"}, True),
    ("promise_to_pay", {"amount": "10.00", "currency": "EUR", "promised_date": "2026-12-01"}, True),
    ("promise_to_pay", {"amount": "-1"}, False),
    ("generic", {"description": "Check the contract"}, True),
    ("generic", {"unexpected": 1}, False),
])
def test_A1_each_action_type_validates_its_own_payload(action_type, payload, ok):
    from pydantic import ValidationError
    if ok:
        assert isinstance(domain.validate_payload(action_type, payload), dict)
    else:
        with pytest.raises(ValidationError):
            domain.validate_payload(action_type, payload)


@pytest.mark.parametrize("value,zone,expected", [
    ("2026-12-01T00:00:00", "Europe/Paris", "2026-11-30T23:00:00+00:00"),  # a date is the tenant's midnight
    ("2026-12-01", "UTC", "2026-12-01T00:00:00+00:00"),
    ("2026-07-01T12:00:00", "America/New_York", "2026-07-01T16:00:00+00:00"),  # summer time in New York
    ("2026-12-01T08:00:00+01:00", "America/New_York", "2026-12-01T07:00:00+00:00"),  # an offset is taken as given
    ("2026-12-01T08:00:00Z", "Europe/Paris", "2026-12-01T08:00:00+00:00"),
])
def test_C5_due_before_is_the_tenants_wall_clock_unless_it_says_otherwise(value, zone, expected):
    from datetime import timezone
    assert domain.due_cutoff(value, zone).astimezone(timezone.utc).isoformat() == expected


@pytest.mark.parametrize("value", ["yesterday", "", "2026-13-01", "12/01/2026"])
def test_C5_due_before_that_is_not_a_date_is_refused(value):
    with pytest.raises(ValidationFailed) as err:
        domain.due_cutoff(value, "UTC")
    assert err.value.code == "VALIDATION_ERROR" and err.value.details[0]["loc"] == ["query", "due_before"]


SENDABLE_EMAIL = {"to": ["ap@customer.example"], "subject": "Invoice 42", "body": "Hello"}


@pytest.mark.parametrize("action_type,payload,sms_to,code", [
    ("email", SENDABLE_EMAIL, None, None),
    ("email", {**SENDABLE_EMAIL, "to": [], "bcc": ["audit@customer.example"]}, None, None),  # any recipient role
    ("email", {**SENDABLE_EMAIL, "to": []}, None, "NO_RECIPIENT"),
    ("email", {"subject": "Invoice 42", "body": "Hello"}, None, "NO_RECIPIENT"),
    ("email", {**SENDABLE_EMAIL, "subject": "  "}, None, "EMPTY_MESSAGE"),
    ("email", {**SENDABLE_EMAIL, "body": ""}, None, "EMPTY_MESSAGE"),
    # An AI draft is for a user to review: it is never sent in place of the body.
    ("email", {**SENDABLE_EMAIL, "body": "", "ai_draft": {"body": "Dear customer"}}, None, "EMPTY_MESSAGE"),
    ("sms", {"text": "Your invoice is due"}, "+33612345678", None),
    ("sms", {"text": "Your invoice is due"}, None, "NO_RECIPIENT"),
    ("sms", {"text": " \n"}, "+33612345678", "EMPTY_MESSAGE"),
    ("sms", {}, "+33612345678", "EMPTY_MESSAGE"),
    ("call", {}, None, None),  # nothing is sent for the other types
    ("generic", {}, None, None),
])
def test_D5_D6_an_email_or_sms_with_no_recipient_or_nothing_to_say_is_not_sent(action_type, payload, sms_to, code):
    if code is None:
        domain.check_sendable(action_type, payload, sms_to)
        return
    with pytest.raises(ValidationFailed) as err:
        domain.check_sendable(action_type, payload, sms_to)
    assert err.value.code == code


def test_D5_an_email_missing_both_subject_and_body_names_both():
    with pytest.raises(ValidationFailed) as err:
        domain.check_sendable("email", {"to": ["a@b.example"]}, None)
    assert err.value.details == {"missing": ["subject", "body"]}


def test_C1_the_tenants_today_is_where_the_tenant_works():
    from datetime import datetime, timezone
    late = datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc)
    assert domain.tenant_today(late, "UTC").isoformat() == "2026-11-30"
    assert domain.tenant_today(late, "Europe/Paris").isoformat() == "2026-12-01"
    assert domain.tenant_today(late, "America/Los_Angeles").isoformat() == "2026-11-30"


def test_C1_a_promise_is_for_today_or_later():
    from datetime import date
    today = date(2026, 11, 22)
    domain.check_promise_date(today, today)
    domain.check_promise_date(date(2027, 1, 1), today)
    with pytest.raises(ValidationFailed) as err:
        domain.check_promise_date(date(2026, 11, 21), today)
    assert err.value.details[0]["loc"] == ["promised_date"] and "2026-11-22" in err.value.details[0]["msg"]


def test_C4_what_invoices_still_owe_counts_open_and_disputed_ones_only():
    rows = [{"amount": D("100"), "amount_paid": D("30"), "status": "open"},
            {"amount": D("50"), "amount_paid": D("0"), "status": "disputed"},
            {"amount": D("80"), "amount_paid": D("80"), "status": "paid"},
            {"amount": D("999"), "amount_paid": D("0"), "status": "cancelled"},
            {"amount": D("10"), "amount_paid": D("12"), "status": "open"}]  # overpaid: owes nothing, not -2
    assert domain.open_balance(rows) == D("120")
    assert domain.open_balance([]) == D("0")


@pytest.mark.parametrize("amount,owed,refused", [("120", "120", False), ("0.01", "120", False),
                                                  ("120.01", "120", True), ("1", "0", True)])
def test_C4_a_promise_for_more_than_is_owed_could_never_be_kept_and_is_refused(amount, owed, refused):
    if not refused:
        domain.check_promise_amount(D(amount), D(owed))
        return
    with pytest.raises(ValidationFailed) as err:
        domain.check_promise_amount(D(amount), D(owed))
    assert err.value.code == "PROMISE_EXCEEDS_BALANCE" and err.value.details == {"amount": amount, "open_balance": owed}


@pytest.mark.parametrize("requested,current,amount,paid,expected", [
    (None, None, "100", "0", "open"),                # a new invoice
    ("open", None, "100", "0", "open"),
    (None, "paid", "100", "100", "paid"),            # re-sent without a status: stays paid
    ("open", "paid", "100", "100", "paid"),          # "open" cannot reopen what payments here settled
    (None, "open", "50", "80", "paid"),              # amount lowered below what was paid (a credit note)
    (None, "paid", "150", "100", "open"),            # amount raised above it
    ("paid", "open", "100", "0", "paid"),            # paid outside this system, as the sender says
    ("cancelled", "open", "100", "0", "cancelled"),
    ("disputed", "open", "100", "40", "disputed"),
    (None, "disputed", "100", "40", "disputed"),     # the sender's own statuses stay until it changes them
    (None, "cancelled", "100", "0", "cancelled"),
    ("open", "disputed", "100", "40", "open"),       # ... which it does by saying so
])
def test_C4_an_upserted_invoice_is_paid_when_payments_here_cover_it_unless_the_sender_says_otherwise(
        requested, current, amount, paid, expected):
    assert domain.invoice_status(requested, current, D(amount), D(paid)) == expected


@pytest.mark.parametrize("requested,expected", [(None, "paid"), ("open", "open"), ("disputed", "disputed")])
def test_C4_an_invoice_the_sender_said_was_paid_elsewhere_stays_paid_until_it_says_otherwise(requested, expected):
    assert domain.invoice_status(requested, "paid", D("100"), D("0"), paid_elsewhere=True) == expected


def test_an_invoice_keeps_its_customer_and_once_paid_into_its_currency():
    from common.errors import Conflict
    a, b = uuid.uuid4(), uuid.uuid4()
    unpaid = {"customer_id": a, "currency": "EUR", "amount_paid": D("0")}
    domain.check_invoice_change(unpaid, a, "EUR")
    domain.check_invoice_change(unpaid, a, "USD")  # a wrong currency may be corrected before any payment
    with pytest.raises(Conflict) as err:
        domain.check_invoice_change(unpaid, b, "EUR")
    assert err.value.code == "INVOICE_CUSTOMER_FIXED"
    with pytest.raises(Conflict) as err:
        domain.check_invoice_change({**unpaid, "amount_paid": D("0.01")}, a, "USD")
    assert err.value.code == "INVOICE_CURRENCY_FIXED" and err.value.details == {"currency": "EUR", "amount_paid": "0.01"}
    domain.check_invoice_change(unpaid, a, "EUR", promised=True)  # the same currency: nothing to refuse
    with pytest.raises(Conflict) as err:
        domain.check_invoice_change(unpaid, a, "USD", promised=True)
    assert err.value.code == "INVOICE_CURRENCY_FIXED" and err.value.details == {"currency": "EUR"}


def test_C4_a_payment_dated_in_the_future_is_refused_beyond_clock_skew():
    from datetime import datetime, timedelta, timezone
    now = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
    domain.check_paid_at(now - timedelta(days=30), now)
    domain.check_paid_at(now + timedelta(minutes=4), now)
    with pytest.raises(ValidationFailed) as err:
        domain.check_paid_at(now + timedelta(minutes=6), now)
    assert err.value.details[0]["loc"] == ["body", "paid_at"]


def test_A6_a_closing_task_closes_what_it_still_holds_open_drafts_included():
    actions = [{"id": n, "status": s} for n, s in enumerate(domain.ACTION_STATUSES)]
    assert [a["status"] for a in domain.left_open(actions)] == ["draft", "new", "in_progress", "blocked"]


def test_A7_a_rows_updated_at_never_goes_back_when_an_earlier_transaction_commits_later():
    from datetime import datetime, timedelta, timezone
    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    assert domain.changed_at(now, now - timedelta(seconds=5)) == now
    later = now + timedelta(milliseconds=3)  # written by a transaction that began after this one
    assert domain.changed_at(now, later) == later + timedelta(microseconds=1)
    assert domain.changed_at(now, now) == now + timedelta(microseconds=1)


# ---- A1/B3: AI-made actions are edited and sent as any -------------------------------------------

@pytest.mark.parametrize("action_type,offered,own", [
    ("email", {"text": "Overdue invoices: F-1", "summary": "Send a reminder", "to": ["ap@x.example"]},
     {"to": ["ap@x.example"], "body": "Overdue invoices: F-1", "subject": ""}),
    ("email", {"summary": "Answer the question"}, {"body": "", "subject": ""}),  # no words put in its mouth
    ("sms", {"body": "Please pay F-1", "summary": "Text them"}, {"text": "Please pay F-1"}),
    ("call", {"summary": "Call about F-1", "language": "fr"}, {"script": "Call about F-1"}),
    ("internal_note", {"summary": "Check the bank statement"}, {"text": "Check the bank statement"}),
    ("generic", {"summary": "Follow up after the holidays", "reason": "out of office"},
     {"description": "Follow up after the holidays"}),
    ("internal_note", {"text": "x" * 30_000, "summary": "Too long"}, {"text": "Too long"}),  # does not fit: summary
])
def test_B3_an_ai_actions_text_lands_in_its_types_own_fields_and_its_origin_beside_them(action_type, offered, own):
    payload = domain.ai_action_payload(action_type, {**offered, "suggested_by": "ai", "model": "m"})
    assert {k: v for k, v in payload.items() if k in own} == own
    assert payload["suggested_by"] == "ai" and payload["model"] == "m" and payload["summary"] == offered["summary"]


def test_A1_editing_an_ai_made_action_keeps_its_origin_and_takes_only_the_types_fields_from_the_user():
    stored = domain.ai_action_payload("email", {"text": "Overdue: F-1", "summary": "Remind", "suggested_by": "ai",
                                                "decision_id": "d-1"})
    edited = domain.edited_payload("email", stored, {"to": ["ap@x.example"], "subject": "Reminder"})
    assert (edited["to"], edited["subject"], edited["body"]) == (["ap@x.example"], "Reminder", "Overdue: F-1")
    assert (edited["summary"], edited["suggested_by"], edited["decision_id"]) == ("Remind", "ai", "d-1")
    with pytest.raises(ValidationError):
        domain.edited_payload("email", stored, {"suggested_by": "me"})  # not the user's to write
    domain.check_sendable("email", edited, None)  # ready to go


def test_A1_an_ai_email_to_an_address_the_contract_refuses_keeps_its_words_and_waits_for_a_recipient():
    payload = domain.ai_action_payload("email", {"to": ["jane@localhost"], "subject": "Re: F-1", "body": "Hello"})
    assert (payload.get("to", []), payload["subject"], payload["body"]) == ([], "Re: F-1", "Hello")


def test_A3_restating_the_status_beside_a_reassignment_is_a_reassignment_not_an_error():
    me, other = str(uuid.uuid4()), str(uuid.uuid4())
    change = domain.change_action("in_progress", me, requested_status="in_progress", requested_assignee=other,
                                  assign=True)
    assert (change.status, change.assignee_user_id, change.assignee_changed) == ("in_progress", other, True)
    with pytest.raises(domain.IllegalTransition):  # alone, it is still "already in_progress"
        domain.change_action("in_progress", me, requested_status="in_progress")


def _invoice(amount, paid="0", status="open"):
    return {"amount": D(amount), "amount_paid": D(paid), "status": status}


@pytest.mark.parametrize("invoices,expected", [
    ([_invoice("100")], None),  # still owed: the promise waits for its payment
    ([_invoice("100", status="disputed")], None),  # disputed is still owed
    ([_invoice("100", status="paid")], "kept"),  # settled outside this system
    ([_invoice("100", status="cancelled")], "cancelled"),
    ([_invoice("100", status="cancelled"), _invoice("50", status="paid")], "kept"),
    ([_invoice("60", paid="60")], "kept"),  # credited down to what was paid
    ([_invoice("100", status="cancelled"), _invoice("50")], None),
])
def test_C4_a_promise_whose_invoices_owe_nothing_closes_kept_or_cancelled(invoices, expected):
    assert domain.promise_outcome_without_payment(invoices) == expected


@pytest.mark.parametrize("who,role,allowed", [
    ("owner", "member", True), ("other", "admin", True), ("other", "integration", True),
    ("other", "member", False), (None, "member", False),
])
def test_A7_a_task_is_handed_over_by_its_owner_or_an_admin_only(who, role, allowed):
    owner = uuid.uuid4()
    user = {"owner": str(owner), "other": str(uuid.uuid4()), None: None}[who]
    assert domain.can_hand_over({"owner_user_id": owner}, user, role) is allowed


@pytest.mark.parametrize("status,who,role,allowed", [
    ("draft", "creator", "member", True), ("draft", "assignee", "admin", False), ("draft", "other", "admin", False),
    ("new", "assignee", "member", True), ("new", "creator", "member", True), ("new", "other", "member", False),
    ("new", "other", "admin", True), ("new", "other", "integration", True), ("new", None, "member", False),
])
def test_A4_who_may_change_an_action(status, who, role, allowed):
    creator, assignee = uuid.uuid4(), uuid.uuid4()
    user = {"creator": str(creator), "assignee": str(assignee), "other": str(uuid.uuid4()), None: None}[who]
    action = {"status": status, "created_by_user_id": creator, "assignee_user_id": assignee}
    assert domain.can_act_on(action, user, role) is allowed
