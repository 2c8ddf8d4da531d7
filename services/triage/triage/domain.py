"""Rules of triage: pure functions and a state machine, no I/O, no nameko.

- ``ModelOutput`` is the one schema every classifier answers in (the model's structured output);
- ``validate_output`` is where an answer is accepted or rejected: it may link only to one of the open
  tasks it was given (never another customer's), it uses the category set, and suggestions keep to A1
  types with plain-text payloads. Inbound text is data: nothing in it can widen what a decision does;
- ``choose_task`` is the local linking rule (invoice named > same category > the reminder an
  out-of-office answers);
- ``CircuitBreaker``: closed -> open after N consecutive failures -> half-open after a cool-down, one
  probe at a time -> closed on success, open again on failure.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.contracts.tasks import ACTION_TYPES
from common.contracts.triage import CATEGORIES, Category, CommunicationReceived, ExtractedFacts, SuggestedAction

# Types a suggestion may have (A1). promise_to_pay is never suggested by a model directly: tasks proposes
# it from the extracted facts, for a user to confirm.
SUGGESTIBLE_TYPES = tuple(t for t in ACTION_TYPES if t != "promise_to_pay")
PAYLOAD_KEYS = ("subject", "body", "script", "text", "channel", "language", "reason")
MAX_TEXT = 2000

# Categories a message usually continues rather than opens; out-of-office replies answer our last reminder.
CATEGORY_TITLES = {
    "promise_to_pay": "Promise to pay", "payment_sent": "Payment reported as sent", "dispute": "Dispute",
    "invoice_request": "Invoice copy requested", "question": "Customer question",
    "out_of_office": "Out-of-office reply", "wrong_contact": "Wrong contact: update contact details",
    "unsubscribe": "Unsubscribe request", "other": "Customer message",
}

# What a user would do next, per category (A1 types only).
DEFAULT_SUGGESTIONS: dict[str, list[tuple[str, str]]] = {
    "promise_to_pay": [("internal_note", "Customer promised to pay; confirm the promise and watch the date")],
    "payment_sent": [("internal_note", "Customer says the payment was sent: check it against the bank statement"),
                     ("email", "Confirm receipt of the payment to the customer")],
    "dispute": [("call", "Call the customer to understand the dispute"),
                ("internal_note", "Review the disputed invoice with sales/operations")],
    "invoice_request": [("email", "Send a copy of the requested invoice")],
    "question": [("email", "Answer the customer's question")],
    "out_of_office": [("generic", "Contact person away: follow up after their return date")],
    "wrong_contact": [("internal_note", "Find the right contact and update the customer's contacts")],
    "unsubscribe": [("internal_note", "Stop automated messages to this contact")],
    "other": [("generic", "Read the message and decide whether anything is needed")],
}


class InvalidDecision(ValueError):
    """A classifier's answer that may not be applied (outside the schema, or naming a task it was not given)."""


class SuggestionOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["email", "sms", "call", "internal_note", "generic"]
    summary: str = Field(min_length=1, max_length=500)
    payload: dict[str, Any] = Field(default_factory=dict)


class FactsOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    promised_amount: str | None = None
    currency: str | None = Field(None, max_length=3)
    promised_date: date | None = None
    invoice_numbers: list[str] = Field(default_factory=list, max_length=20)


class ModelOutput(BaseModel):
    """The structured answer of every classifier (also the JSON schema sent to the model)."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["linked", "created"]
    task_id: str | None = None
    title: str | None = Field(None, max_length=200)
    category: Category
    confidence: float = Field(ge=0, le=1)
    facts: FactsOut = Field(default_factory=FactsOut)
    suggested_actions: list[SuggestionOut] = Field(default_factory=list, max_length=5)

    @field_validator("title")
    @classmethod
    def _title(cls, v):
        return v.strip() if v and v.strip() else None


def output_json_schema() -> dict:
    return ModelOutput.model_json_schema()


@dataclass(frozen=True)
class Decision:
    """A validated decision, ready to be stored and published."""

    decision: str
    task_id: uuid.UUID | None
    title: str | None
    category: str
    confidence: float
    facts: ExtractedFacts
    suggested_actions: list[SuggestedAction]


MAX_AMOUNT = Decimal("1e12")  # what a money column holds (14 digits, 2 after the point)


PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")
GROUPED_NUMBER = re.compile(r"[\d.,'\u00a0\u202f ]+")


def _money(value: str | None) -> Decimal | None:
    """A model's amount: a plain number, or one written with the separators of its language ("1,500" is
    fifteen hundred, "1.250,50" twelve hundred and fifty and a half), as the local extractor reads them."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    amount = None
    if PLAIN_NUMBER.fullmatch(text):
        amount = Decimal(text)
    elif GROUPED_NUMBER.fullmatch(text):
        from price_parser import Price

        amount = Price.fromstring(text).amount
    if amount is None:
        raise InvalidDecision(f"promised_amount {value!r} is not a number")
    if amount <= 0 or amount >= MAX_AMOUNT:
        raise InvalidDecision("promised_amount out of range")
    return amount.quantize(Decimal("0.01"))


def _clean_payload(payload: dict) -> dict:
    """Suggestions carry text for a user to read, nothing else: known keys, short strings."""
    return {k: str(v)[:MAX_TEXT] for k, v in payload.items() if k in PAYLOAD_KEYS and isinstance(v, (str, int, float))}


def clean_suggestions(suggested: list[SuggestionOut]) -> list[SuggestedAction]:
    """A1 types only (never a promise: tasks proposes that from facts), each once, plain-text payloads."""
    suggestions, seen = [], set()
    for s in suggested:
        if s.type not in SUGGESTIBLE_TYPES or (s.type, s.summary) in seen:
            continue
        seen.add((s.type, s.summary))
        suggestions.append(SuggestedAction(type=s.type, summary=s.summary[:500], payload=_clean_payload(s.payload)))
    return suggestions


def validate_output(out: ModelOutput, message: CommunicationReceived) -> Decision:
    """Accept a classifier's answer for ``message`` or raise :class:`InvalidDecision`."""
    if out.category not in CATEGORIES:
        raise InvalidDecision(f"unknown category {out.category!r}")
    open_ids = {str(t.id): t for t in message.open_tasks}
    task_id = None
    if out.decision == "linked":
        if not out.task_id:
            raise InvalidDecision("a linked decision needs a task_id")
        if str(out.task_id).strip().lower() not in open_ids:
            raise InvalidDecision("the decision names a task that is not one of this customer's open tasks")
        task_id = uuid.UUID(str(out.task_id).strip())
        title = None
    else:
        if out.task_id:
            raise InvalidDecision("a created decision may not name a task")
        title = out.title or default_title(out.category, out.facts.invoice_numbers, message.subject)
    if out.facts.currency and not (len(out.facts.currency) == 3 and out.facts.currency.isalpha()):
        raise InvalidDecision("currency must be an ISO 4217 code")
    facts = ExtractedFacts(
        promised_amount=_money(out.facts.promised_amount),
        currency=out.facts.currency.upper() if out.facts.currency else None,
        promised_date=out.facts.promised_date,
        invoice_numbers=[n.strip()[:64] for n in out.facts.invoice_numbers if n and n.strip()],
    )
    # B5: off means no suggestions at all
    suggestions = clean_suggestions(out.suggested_actions) if message.ai_suggestions_enabled else []
    return Decision(out.decision, task_id, title, out.category, round(float(out.confidence), 4), facts,
                    suggestions)


def default_title(category: str, invoice_numbers: list[str], subject: str | None) -> str:
    base = CATEGORY_TITLES.get(category, "Customer message")
    if invoice_numbers:
        return f"{base}: {', '.join(invoice_numbers[:3])}"[:200]
    if subject and subject.strip():
        return f"{base}: {subject.strip()}"[:200]
    return base


def _ts(value) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return 0.0
    return 0.0


def choose_task(open_tasks: list, category: str, invoice_numbers: list[str]) -> str | None:
    """The open task a message continues, or None for a new task.

    1. the task holding an invoice the message names (most overlap, then most recent);
    2. a task of the same category (most recent);
    3. an out-of-office reply answers the most recently active task.
    """
    def get(t, key):
        return t.get(key) if isinstance(t, dict) else getattr(t, key)

    if not open_tasks:
        return None
    named = {n.lower() for n in invoice_numbers}
    by_recency = sorted(open_tasks, key=lambda t: _ts(get(t, "last_activity_at")), reverse=True)
    if named:
        scored = [(len(named & {n.lower() for n in get(t, "invoice_numbers") or []}), t) for t in by_recency]
        best = max(scored, key=lambda p: p[0])
        if best[0] > 0:
            return str(get(best[1], "id"))
    for t in by_recency:
        if get(t, "category") == category:
            return str(get(t, "id"))
    if category == "out_of_office":
        return str(get(by_recency[0], "id"))
    return None


def default_suggestions(category: str, facts: ExtractedFacts, language: str | None) -> list[SuggestionOut]:
    out = []
    for type_, summary in DEFAULT_SUGGESTIONS.get(category, DEFAULT_SUGGESTIONS["other"]):
        payload = {"language": language or "en"}
        if facts.invoice_numbers:
            payload["text"] = "Invoices mentioned: " + ", ".join(facts.invoice_numbers)
        out.append(SuggestionOut(type=type_, summary=summary, payload=payload))
    return out


def input_digest(message: CommunicationReceived, model: str) -> str:
    """What the decision was made from: the message and its context, and the model asked."""
    canonical = json.dumps({"model": model, "input": message.model_dump(mode="json")}, sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# ---- fallback rules ---------------------------------------------------------------------------------

Outcome = Literal["ok", "timeout", "error", "invalid", "rejected", "circuit_open", "disabled"]


def needs_fallback(outcome: str) -> bool:
    """Anything but an accepted model answer is triaged by the local classifier."""
    return outcome != "ok"


# ---- circuit breaker --------------------------------------------------------------------------------

@dataclass
class CircuitBreaker:
    """Stops calling a failing model for ``reset_after_s``; then lets one probe through."""

    failure_threshold: int = 5
    reset_after_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    state: str = "closed"
    failures: int = 0
    opened_at: float = 0.0
    probing: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allow(self) -> bool:
        with self._lock:
            if self.state == "closed":
                return True
            if self.state == "open":
                if self.clock() - self.opened_at < self.reset_after_s:
                    return False
                self.state = "half_open"
                self.probing = False
            if self.probing:  # half-open: one probe at a time
                return False
            self.probing = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self.state, self.failures, self.probing = "closed", 0, False

    def record_failure(self) -> None:
        with self._lock:
            self.probing = False
            if self.state == "half_open":
                self.state, self.opened_at = "open", self.clock()
                return
            self.failures += 1
            if self.failures >= self.failure_threshold:
                self.state, self.opened_at = "open", self.clock()
