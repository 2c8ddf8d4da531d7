"""Rules of inbound communications (B1, B4, B5, A5): pure functions, no I/O, no nameko.

- sender matching: an email address compared case-insensitively ("Marie <MARIE@x.fr>" -> marie@x.fr), a
  phone number in E.164 (phonenumbers; "+33 6 12 34 56 78", "0033612345678" -> +33612345678);
- how a triage decision becomes a task and actions: a link only to an open task of the same customer
  (another customer's task, or one closed meanwhile, is never touched: a new task is created instead);
  suggestions only when the tenant has AI suggestions on; a promise in the facts becomes a proposed
  promise_to_pay action for a user to confirm.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from email.utils import parseaddr

OPEN_TASK_STATUSES = ("open", "waiting")


@dataclass(frozen=True)
class Sender:
    kind: str  # "email" | "phone" | "unknown"
    value: str


def normalise_phone(raw: str, default_region: str | None = None) -> str | None:
    import phonenumbers

    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_sender(channel: str, raw: str) -> Sender:
    """The address to look a contact up by: email for email, E.164 for SMS and calls."""
    raw = (raw or "").strip()
    if channel == "email" or "@" in raw:
        _, address = parseaddr(raw)
        address = address.strip().lower()
        return Sender("email", address) if "@" in address else Sender("unknown", raw)
    phone = normalise_phone(raw)
    return Sender("phone", phone) if phone else Sender("unknown", raw)


def reply_address(raw: str) -> str | None:
    """A1: where a reply to an email goes: its sender's bare address ("Jane <jane@x>" as providers send
    it is jane@x), or None when the sender gave none to write to."""
    sender = normalise_sender("email", raw)
    return sender.value if sender.kind == "email" else None


def pick_contact(contacts: list[dict]) -> dict | None:
    """Several contacts share the address: the main contact first, then the oldest."""
    if not contacts:
        return None
    return sorted(contacts, key=lambda c: (not c.get("is_main"), c["created_at"]))[0]


@dataclass
class PlannedAction:
    type: str
    payload: dict


@dataclass
class Plan:
    link_task_id: uuid.UUID | None  # None: create a task
    title: str
    category: str
    invoice_ids: list[uuid.UUID]
    actions: list[PlannedAction] = field(default_factory=list)
    rejected_link: str | None = None  # why a proposed link was not applied


def invoice_ids_named(numbers: list[str], invoices: list[dict]) -> list[uuid.UUID]:
    wanted = {n.strip().lower() for n in numbers}
    return [i["id"] for i in invoices if i["number"].strip().lower() in wanted]


def plan_decision(decision: dict, customer_id, linked_task: dict | None, invoices: list[dict],
                  ai_suggestions: bool) -> Plan:
    """What applying ``decision`` (a TriageDecided payload) does.

    ``linked_task`` is the task row the decision names, read by id (None when absent or not visible).
    """
    facts = decision.get("facts") or {}
    named_ids = invoice_ids_named(facts.get("invoice_numbers") or [], invoices)
    rejected = None
    link = None
    if decision["decision"] == "linked":
        if linked_task is None:
            rejected = "the task does not exist"
        elif str(linked_task["customer_id"]) != str(customer_id):
            rejected = "the task belongs to another customer"
        elif linked_task["status"] not in OPEN_TASK_STATUSES:
            rejected = "the task is no longer open"
        else:
            link = linked_task["id"]
    title = decision.get("title") or _title(decision["category"], facts)
    actions: list[PlannedAction] = []
    if ai_suggestions:  # B5
        for s in decision.get("suggested_actions") or []:
            if s["type"] == "promise_to_pay":
                continue  # proposed from the facts below, once
            actions.append(PlannedAction(s["type"], {**(s.get("payload") or {}), "summary": s["summary"],
                                                      "suggested_by": "ai"}))
        promise = promise_payload(decision["category"], facts, named_ids)
        if promise:
            actions.append(PlannedAction("promise_to_pay", promise))
    return Plan(link, title, decision["category"], named_ids, actions, rejected)


def promise_payload(category: str, facts: dict, invoice_ids: list[uuid.UUID]) -> dict | None:
    """A promise in the message becomes a promise-to-pay proposal a user confirms (amount/date may be partial)."""
    if category != "promise_to_pay" or not (facts.get("promised_amount") or facts.get("promised_date")):
        return None
    amount = facts.get("promised_amount")
    return {
        "amount": format(Decimal(str(amount)), "f") if amount is not None else None,
        "currency": facts.get("currency"),
        "promised_date": str(facts["promised_date"]) if facts.get("promised_date") else None,
        "invoice_ids": [str(i) for i in invoice_ids],
        "invoice_numbers": facts.get("invoice_numbers") or [],
        "summary": "Customer promised to pay: confirm to start the promise flow",
        "requires_confirmation": True,
        "suggested_by": "ai",
    }


def _title(category: str, facts: dict) -> str:
    base = category.replace("_", " ").capitalize()
    numbers = facts.get("invoice_numbers") or []
    return f"{base}: {', '.join(numbers[:3])}" if numbers else base


def timeline_summary(channel: str, sender: str, subject: str | None, body: str) -> str:
    what = {"email": "Email", "sms": "SMS", "call": "Call"}[channel]
    text = subject or " ".join(body.split())[:80]
    return f"{what} from {sender}: {text}"[:300]


def as_date(value) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))
