"""Inbound rules of the tasks service: sender matching, how a decision becomes a task and actions."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from tasks import inbound_domain as rules

CUSTOMER, OTHER = uuid.uuid4(), uuid.uuid4()
INV = {"id": uuid.uuid4(), "number": "FAC-8812"}


def test_B1_email_sender_normalised_case_and_display_name():
    assert rules.normalise_sender("email", "Marie Dupont <MARIE@Dupont.Example>") == rules.Sender(
        "email", "marie@dupont.example")
    assert rules.normalise_sender("email", "not an address").kind == "unknown"


def test_B1_phone_sender_normalised_to_e164():
    for raw in ("+33 6 12 34 56 78", "0033612345678", "+33612345678", "+33 (0)6 12 34 56 78"):
        assert rules.normalise_sender("sms", raw) == rules.Sender("phone", "+33612345678"), raw
    assert rules.normalise_sender("call", "garbage").kind == "unknown"
    assert rules.normalise_sender("sms", "06 12 34 56 78").kind == "unknown"  # no country: never guessed


def test_main_contact_wins_then_oldest():
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    a = {"id": 1, "is_main": False, "created_at": t}
    b = {"id": 2, "is_main": True, "created_at": t.replace(month=2)}
    assert rules.pick_contact([a, b])["id"] == 2
    assert rules.pick_contact([]) is None


def decision(**kw):
    return {"decision": "linked", "task_id": str(uuid.uuid4()), "category": "promise_to_pay", "title": None,
            "facts": {"promised_amount": "1250.00", "currency": "EUR", "promised_date": "2026-11-28",
                      "invoice_numbers": ["fac-8812"]},
            "suggested_actions": [{"type": "call", "summary": "Call", "payload": {"text": "x"}},
                                  {"type": "promise_to_pay", "summary": "dup", "payload": {}}], **kw}


def task(customer=CUSTOMER, status="open"):
    return {"id": uuid.uuid4(), "customer_id": customer, "status": status}


def test_B1_link_applies_to_an_open_task_of_the_same_customer():
    t = task()
    plan = rules.plan_decision(decision(), CUSTOMER, t, [INV], True)
    assert plan.link_task_id == t["id"] and plan.rejected_link is None


def test_X7_link_to_another_customers_or_closed_or_missing_task_becomes_a_new_task():
    for linked, why in ((task(OTHER), "another customer"), (task(status="completed"), "no longer open"),
                        (None, "does not exist")):
        plan = rules.plan_decision(decision(), CUSTOMER, linked, [INV], True)
        assert plan.link_task_id is None and why in plan.rejected_link


def test_B1_promise_becomes_a_proposed_promise_to_pay_once_with_invoice_ids():
    plan = rules.plan_decision(decision(), CUSTOMER, task(), [INV], True)
    assert [a.type for a in plan.actions] == ["call", "promise_to_pay"]
    promise = plan.actions[1].payload
    assert promise["amount"] == "1250.00" and promise["currency"] == "EUR"
    assert promise["promised_date"] == "2026-11-28" and promise["invoice_ids"] == [str(INV["id"])]
    assert promise["requires_confirmation"] is True and promise["suggested_by"] == "ai"
    assert plan.actions[0].payload["suggested_by"] == "ai" and plan.invoice_ids == [INV["id"]]


def test_no_promise_without_a_promise_category_or_facts():
    assert rules.promise_payload("dispute", {"promised_amount": "5"}, []) is None
    assert rules.promise_payload("promise_to_pay", {}, []) is None


def test_B5_no_actions_at_all_when_ai_suggestions_are_off():
    assert rules.plan_decision(decision(), CUSTOMER, task(), [INV], False).actions == []


def test_created_title_from_decision_or_category():
    plan = rules.plan_decision(decision(decision="created", task_id=None, title="Promise FAC-8812"),
                               CUSTOMER, None, [INV], True)
    assert plan.link_task_id is None and plan.title == "Promise FAC-8812" and plan.rejected_link is None
    plan = rules.plan_decision(decision(decision="created", task_id=None), CUSTOMER, None, [INV], True)
    assert plan.title == "Promise to pay: fac-8812"
