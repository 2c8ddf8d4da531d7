"""B3: first actions for a task a user made or a promise's task: the local rules, what is accepted from a
model, and the fallback from a failing model to the rules."""
from __future__ import annotations

import uuid
from datetime import date

import pytest

from common.contracts.triage import InvoiceSummary, SuggestionsRequested
from triage import suggesting
from triage.dependencies import Engine
from triage.domain import SuggestionOut
from triage.settings import AiSettings

TODAY = date(2026, 11, 23)


def invoice(number, due, status="open"):
    return InvoiceSummary(id=uuid.uuid4(), number=number, amount="100.00", currency="EUR", due_date=due,
                          status=status)


def request(origin="manual", category=None, invoices=(), existing=()):
    return SuggestionsRequested(task_id=uuid.uuid4(), customer_id=uuid.uuid4(), customer_name="Dupont",
                                origin=origin, title="Chase", category=category, today=TODAY,
                                invoices=list(invoices), existing_actions=list(existing))


def kinds(suggestions):
    return [s.type for s in suggestions]


@pytest.mark.parametrize("invoices,category,expected", [
    ([invoice("F-1", date(2026, 11, 1))], None, ["email", "call"]),  # overdue: a reminder and a call
    ([invoice("F-1", TODAY)], None, []),  # due today is not overdue, and nothing else to say
    ([invoice("F-1", date(2026, 11, 1), status="paid")], None, []),
    ([invoice("F-1", date(2026, 11, 1), status="disputed")], "dispute", ["call", "internal_note"]),
    ([], "invoice_request", ["email"]),  # a triage category's usual next step
    ([], "payment_reminder", []),  # a category of the tenant's own: nothing specific to say
    ([], None, []),
])
def test_B3_local_rules_suggest_from_the_tasks_own_facts(invoices, category, expected):
    assert kinds(suggesting.local_suggestions(request(category=category, invoices=invoices))) == expected


def test_B3_overdue_reminders_name_the_overdue_invoices_only():
    found = suggesting.local_suggestions(request(invoices=[invoice("F-1", date(2026, 10, 1)),
                                                           invoice("F-2", date(2026, 12, 31))]))
    assert all(s.payload["text"] == "Overdue invoices: F-1" for s in found)


def test_B3_a_promise_gets_a_written_confirmation_whatever_its_invoices():
    found = suggesting.local_suggestions(request(origin="promise", invoices=[invoice("F-1", date(2026, 10, 1))]))
    assert kinds(found) == ["email"] and "promise" in found[0].summary


def test_B3_accepted_suggestions_skip_held_types_promises_repeats_and_commands_and_stop_at_three():
    offered = [SuggestionOut(type=t, summary=f"{t} {n}", payload={"command": "close_all", "text": "hi"})
               for n, t in enumerate(["call", "email", "email", "sms", "internal_note", "generic"])]
    offered.append(SuggestionOut(type="sms", summary="sms 3"))  # the same suggestion twice
    accepted = suggesting.accept(offered, request(existing=["call"]))
    assert [(s.type, s.summary) for s in accepted] == [("email", "email 1"), ("email", "email 2"), ("sms", "sms 3")]
    assert all(s.payload == {"text": "hi"} for s in accepted)


class SuggestingModel:
    name = "stub"

    def __init__(self, behaviour):
        self.behaviour = behaviour

    def suggest(self, req):
        return self.behaviour(req)


def test_B3_X7_the_models_suggestions_are_used_when_it_answers():
    answer = suggesting.SuggestionsOut(suggested_actions=[SuggestionOut(type="call", summary="Ring them")])
    found, meta = Engine(AiSettings(), None, SuggestingModel(lambda r: answer)).suggest(
        request(invoices=[invoice("F-1", date(2026, 11, 1))]))
    assert [(s.type, s.summary) for s in found] == [("call", "Ring them")]
    assert (meta.model, meta.outcome, meta.fell_back) == ("stub", "ok", False)


@pytest.mark.parametrize("failure,outcome", [(TimeoutError("slow"), "error"), (ValueError("bad json"), "invalid")])
def test_B3_X7_a_failing_model_falls_back_to_the_local_rules(failure, outcome):
    def fail(_):
        raise failure

    found, meta = Engine(AiSettings(), None, SuggestingModel(fail)).suggest(
        request(invoices=[invoice("F-1", date(2026, 11, 1))], existing=["call"]))
    assert kinds(found) == ["email"] and (meta.model, meta.outcome, meta.fell_back) == ("local-rules", outcome, True)
