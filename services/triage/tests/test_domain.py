"""Triage rules: decision validation, linking, fallback, circuit breaker, fact extraction (plain pytest)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from common.contracts.triage import CATEGORIES, CommunicationReceived
from triage import extract
from triage.domain import (CircuitBreaker, InvalidDecision, ModelOutput, choose_task, default_title, input_digest,
                           needs_fallback, validate_output)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
T1, T2 = uuid.uuid4(), uuid.uuid4()


def message(**kw) -> CommunicationReceived:
    base = dict(
        communication_id=uuid.uuid4(), channel="email", from_address="a@b.example", subject="Invoice INV-1",
        body="Hello", received_at=NOW, customer_id=uuid.uuid4(), customer_name="Dupont",
        open_tasks=[
            {"id": T1, "title": "Overdue INV-1", "category": "payment_reminder", "status": "open",
             "invoice_numbers": ["INV-1"], "last_activity_at": NOW - timedelta(days=3)},
            {"id": T2, "title": "Dispute INV-2", "category": "dispute", "status": "open",
             "invoice_numbers": ["INV-2"], "last_activity_at": NOW - timedelta(days=1)},
        ])
    base.update(kw)
    return CommunicationReceived(**base)


def out(**kw) -> ModelOutput:
    base = {"decision": "linked", "task_id": str(T1), "category": "question", "confidence": 0.8}
    base.update(kw)
    return ModelOutput.model_validate(base)


# ---- validation ------------------------------------------------------------------------------------

def test_B1_link_to_one_of_the_given_open_tasks_is_accepted():
    decision = validate_output(out(), message())
    assert decision.decision == "linked" and decision.task_id == T1 and decision.title is None


def test_X7_link_to_a_task_not_given_is_rejected_another_customers_task_included():
    with pytest.raises(InvalidDecision, match="not one of this customer's open tasks"):
        validate_output(out(task_id=str(uuid.uuid4())), message())
    with pytest.raises(InvalidDecision):
        validate_output(out(task_id="close all tasks"), message())


def test_X7_linked_without_task_and_created_naming_a_task_are_rejected():
    with pytest.raises(InvalidDecision):
        validate_output(out(task_id=None), message())
    with pytest.raises(InvalidDecision):
        validate_output(out(decision="created", task_id=str(T1)), message())


@pytest.mark.parametrize("bad", [
    {"category": "urgent"}, {"decision": "maybe"}, {"confidence": 7}, {"confidence": -0.1},
    {"extra_field": "x"}, {"suggested_actions": [{"type": "delete_customer", "summary": "x"}]},
    {"suggested_actions": [{"type": "email", "summary": "x"}] * 6},
])
def test_X7_output_outside_the_schema_is_invalid(bad):
    with pytest.raises(ValueError):
        out(**bad)


def test_B1_created_gets_default_title_from_category_and_invoices():
    decision = validate_output(out(decision="created", task_id=None, category="dispute",
                                   facts={"invoice_numbers": ["F-9"]}), message())
    assert decision.title == "Dispute: F-9"
    assert default_title("question", [], "  Hello  ") == "Customer question: Hello"
    assert default_title("other", [], None) == "Customer message"


def test_every_category_is_accepted():
    for category in CATEGORIES:
        assert validate_output(out(category=category), message()).category == category


def test_facts_amount_and_currency_are_checked():
    decision = validate_output(out(facts={"promised_amount": "1250,5", "currency": "eur",
                                          "promised_date": "2026-11-28"}), message())
    assert decision.facts.promised_amount == Decimal("1250.50") and decision.facts.currency == "EUR"
    assert decision.facts.promised_date == date(2026, 11, 28)
    for amount in ("lots", "-5", "0"):
        with pytest.raises(InvalidDecision):
            validate_output(out(facts={"promised_amount": amount}), message())
    with pytest.raises(InvalidDecision):
        validate_output(out(facts={"currency": "€€"}), message())


def test_X7_suggestions_are_plain_text_of_A1_types_without_promise_or_commands():
    decision = validate_output(out(suggested_actions=[
        {"type": "email", "summary": "Reply", "payload": {"subject": "Re", "command": "close_all_tasks",
                                                          "body": {"nested": 1}}},
        {"type": "email", "summary": "Reply", "payload": {}},  # duplicate
        {"type": "call", "summary": "Call them"},
    ]), message())
    assert [(s.type, s.summary) for s in decision.suggested_actions] == [("email", "Reply"), ("call", "Call them")]
    assert decision.suggested_actions[0].payload == {"subject": "Re"}
    with pytest.raises(ValueError):
        out(suggested_actions=[{"type": "promise_to_pay", "summary": "x"}])


def test_B5_no_suggestions_when_tenant_has_them_off():
    decision = validate_output(out(suggested_actions=[{"type": "call", "summary": "Call"}]),
                               message(ai_suggestions_enabled=False))
    assert decision.suggested_actions == []


# ---- linking ---------------------------------------------------------------------------------------

def test_B1_linking_prefers_the_task_holding_the_named_invoice():
    tasks = message().open_tasks
    assert choose_task(tasks, "question", ["INV-2"]) == str(T2)
    assert choose_task(tasks, "dispute", ["inv-1"]) == str(T1)  # invoice beats category, case-insensitive


def test_B1_linking_falls_back_to_same_category_then_none():
    tasks = message().open_tasks
    assert choose_task(tasks, "dispute", []) == str(T2)
    assert choose_task(tasks, "question", ["F-404"]) is None
    assert choose_task([], "dispute", ["INV-1"]) is None


def test_B1_out_of_office_answers_the_most_recently_active_task():
    assert choose_task(message().open_tasks, "out_of_office", []) == str(T2)


# ---- fallback and digest ---------------------------------------------------------------------------

def test_X7_anything_but_an_accepted_answer_falls_back():
    assert not needs_fallback("ok")
    for outcome in ("timeout", "error", "invalid", "rejected", "circuit_open", "disabled"):
        assert needs_fallback(outcome)


def test_input_digest_is_stable_and_depends_on_input_and_model():
    m = message()
    assert input_digest(m, "a") == input_digest(m, "a") and len(input_digest(m, "a")) == 64
    assert input_digest(m, "a") != input_digest(m, "b")
    assert input_digest(m, "a") != input_digest(m.model_copy(update={"body": "other"}), "a")


# ---- circuit breaker -------------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_X7_breaker_opens_after_threshold_and_probes_once_after_cool_down():
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, reset_after_s=10, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.t = 9.9
    assert not breaker.allow()
    clock.t = 10
    assert breaker.allow() and breaker.state == "half_open"
    assert not breaker.allow()  # one probe at a time
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.t = 20
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.failures == 0 and breaker.allow()


def test_breaker_success_resets_the_failure_count():
    breaker = CircuitBreaker(failure_threshold=2, clock=Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


# ---- extraction ------------------------------------------------------------------------------------

def test_quoted_history_and_signatures_are_stripped():
    text = ("We will pay on Friday.\n\nOn Mon, Nov 16, 2026 at 9:02 AM Accounts <ar@x> wrote:\n> invoice overdue")
    assert extract.strip_quoted(text) == "We will pay on Friday."
    fr = "Nous réglons demain.\n\nLe 16 nov. 2026 à 09:02, Compta a écrit :\n> Relance"
    assert extract.strip_quoted(fr) == "Nous réglons demain."


@pytest.mark.parametrize("text,expected", [
    ("1 250,00 €", (Decimal("1250.00"), "EUR")), ("£1,250.00", (Decimal("1250.00"), "GBP")),
    ("EUR 2,400.00", (Decimal("2400.00"), "EUR")), ("1.250,00 €", (Decimal("1250.00"), "EUR")),
    ("we will pay $980.50 tomorrow", (Decimal("980.50"), "USD")), ("no money here", (None, None)),
    ("2.400 EUR", (Decimal("2400.00"), "EUR")),
])
def test_amounts_in_local_formats(text, expected):
    assert extract.amount(text) == expected


@pytest.mark.parametrize("phrase,lang,expected", [
    ("28.11.2026", "de", date(2026, 11, 28)), ("30 novembre", "fr", date(2026, 11, 30)),
    ("December 3rd", "en", date(2026, 12, 3)), ("next Thursday", "en", date(2026, 11, 26)),
    ("vendredi prochain", "fr", date(2026, 11, 27)), ("5 de diciembre", "es", date(2026, 12, 5)),
    ("30/11/2026", "en", date(2026, 11, 30)),
])
def test_dates_in_several_languages(phrase, lang, expected):
    assert extract.promised_date(f"we pay on {phrase} ok", date(2026, 11, 22), lang) == expected


def test_invoice_numbers_known_first_then_shaped_like_one():
    assert extract.invoice_numbers("about inv-2026-0412 and F-10234", ["INV-2026-0412"]) == ["INV-2026-0412",
                                                                                             "F-10234"]


def test_language_guess():
    assert extract.detect_language("Bonjour, nous avons bien reçu votre facture, merci") == "fr"
    assert extract.detect_language("Guten Tag, die Rechnung ist bezahlt, danke") == "de"
    assert extract.detect_language("Hello, we will pay the invoice") == "en"


def test_B1_an_amount_no_invoice_could_owe_is_not_a_fact():
    assert extract.amount("we will pay 1 000 000 000 000 EUR on Friday") == (None, None)
    assert extract.amount("we will pay 999 999 999 999,99 EUR on Friday") == (Decimal("999999999999.99"), "EUR")


def test_B1_an_amount_is_read_from_its_own_few_characters_not_a_whole_run_of_digits():
    # Unbounded, a long run of digits and spaces with no currency after it took time quadratic in its
    # length, on the service's one thread: the match is at most the amount's own 24 characters.
    match = extract.AMOUNT.search("1 " * 5000 + "EUR")
    assert match is not None and len(match.group(0)) <= 30


@pytest.mark.parametrize("written,amount", [
    ("1,500", "1500.00"), ("1.250,50", "1250.50"), ("980.50", "980.50"), ("12,5", "12.50"), ("1 250,00", "1250.00"),
    ("1,250.00", "1250.00"), ("1500", "1500.00"), ("99.9", "99.90"),
])
def test_B1_a_models_amount_is_read_with_its_separators(written, amount):
    decision = validate_output(out(facts={"promised_amount": written, "currency": "EUR"}), message())
    assert decision.facts.promised_amount == Decimal(amount)


@pytest.mark.parametrize("written", ["1e3", "-5", "5 EUR", "1,5,0,0,,", "1000000000000"])
def test_B1_a_models_amount_that_is_not_one_is_refused(written):
    with pytest.raises(InvalidDecision):
        validate_output(out(facts={"promised_amount": written}), message())
