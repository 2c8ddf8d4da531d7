"""Rules of the tasks service: pure functions, no I/O, no nameko."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo
from decimal import Decimal
from typing import Iterable

from common.errors import Conflict, ValidationFailed

LIVE_ACTION_STATUSES = frozenset({"new", "in_progress", "blocked"})
CLOSED_ACTION_STATUSES = frozenset({"completed", "skipped"})
OPEN_INVOICE_STATUSES = frozenset({"open", "disputed"})
OPEN_PROMISE_STATUSES = frozenset({"waiting", "overdue"})


def initial_action_status(assignee_user_id) -> str:
    """A4: an action without an assignee is a draft; with one it is live."""
    return "new" if assignee_user_id else "draft"


@dataclass(frozen=True)
class InvoiceBalance:
    id: uuid.UUID
    amount: Decimal
    amount_paid: Decimal
    currency: str
    status: str

    @property
    def open_amount(self) -> Decimal:
        return max(Decimal("0"), self.amount - self.amount_paid)


@dataclass(frozen=True)
class Allocation:
    invoice_id: uuid.UUID
    applied: Decimal
    amount_paid: Decimal
    status: str


@dataclass(frozen=True)
class PaymentPlan:
    allocations: list[Allocation]
    unallocated: Decimal


def allocate_payment(amount: Decimal, currency: str, invoices: Iterable[InvoiceBalance]) -> PaymentPlan:
    """Spread a payment over its invoices in the order given; a fully paid invoice becomes ``paid``.

    A cancelled invoice takes nothing. What is left over stays unallocated
    (an overpayment is recorded, never invented onto another invoice).
    """
    invoices = list(invoices)
    mismatched = sorted({i.currency for i in invoices if i.currency != currency})
    if mismatched:
        raise ValidationFailed(
            f"payment in {currency} cannot settle invoices in {', '.join(mismatched)}",
            {"currency": currency, "invoice_currencies": mismatched}, code="CURRENCY_MISMATCH",
        )
    remaining = amount
    allocations = []
    for inv in invoices:
        if inv.status in ("cancelled", "paid"):  # owes nothing, whatever was recorded against it here
            continue
        applied = min(remaining, inv.open_amount)
        paid = inv.amount_paid + applied
        status = "paid" if paid >= inv.amount else inv.status
        allocations.append(Allocation(inv.id, applied, paid, status))
        remaining -= applied
    return PaymentPlan(allocations, remaining)


def invoice_status(requested: str | None, current: str | None, amount: Decimal, amount_paid: Decimal,
                   paid_elsewhere: bool = False) -> str:
    """An upserted invoice's status. The sender says when it is cancelled, disputed or paid elsewhere
    (``paid_elsewhere``: it said paid while the payments here fell short), and that holds until it says
    otherwise; without such a word the payments recorded here decide, so re-sending an invoice without a
    status (or with ``open``) does not reopen one they paid, and lowering its amount below them settles it."""
    if requested in ("cancelled", "disputed", "paid"):
        return requested
    if requested is None and (current in ("cancelled", "disputed") or (current == "paid" and paid_elsewhere)):
        return current
    return "paid" if amount_paid >= amount else "open"


def changed_at(now: datetime, previous: datetime) -> datetime:
    """A locked row's new ``updated_at``: its transaction's time, or just after the row's last change when
    a transaction that began earlier got the lock later. Events carry it and projections keep the state
    with the latest one, so it must never go back."""
    return max(now, previous + timedelta(microseconds=1))


def check_invoice_change(existing: dict, customer_id, currency: str, promised: bool = False) -> None:
    """An invoice stays with its customer (its tasks, promises and payments are that customer's), and
    keeps its currency once payments were applied to it in that currency, or while a promise to pay
    it (an amount in that currency) is open: a payment in the new currency would keep that promise."""
    if existing["customer_id"] != customer_id:
        raise Conflict("an invoice cannot move to another customer: cancel it and issue a new one",
                       {"customer_id": str(existing["customer_id"])}, code="INVOICE_CUSTOMER_FIXED")
    if existing["currency"] != currency and existing["amount_paid"] > 0:
        raise Conflict(f"payments in {existing['currency']} were applied to this invoice: its currency stays",
                       {"currency": existing["currency"], "amount_paid": format(existing["amount_paid"], "f")},
                       code="INVOICE_CURRENCY_FIXED")
    if existing["currency"] != currency and promised:
        raise Conflict(f"a promise to pay this invoice in {existing['currency']} is open: its currency stays "
                       "until the promise is closed", {"currency": existing["currency"]}, code="INVOICE_CURRENCY_FIXED")


PAYMENT_CLOCK_SKEW = timedelta(minutes=5)


def check_paid_at(paid_at: datetime, now: datetime) -> None:
    """A payment has happened: one dated in the future (beyond the senders' clock skew) is a mistake,
    and would sit at the top of the customer's timeline until that day."""
    if paid_at > now + PAYMENT_CLOCK_SKEW:
        raise ValidationFailed("a payment cannot be dated in the future", [{
            "loc": ["body", "paid_at"], "msg": f"must be {now.isoformat(timespec='seconds')} or earlier",
            "type": "datetime_in_future"}])


@dataclass(frozen=True)
class TimelineEntry:
    customer_id: uuid.UUID
    kind: str
    subject_type: str
    subject_id: uuid.UUID | None
    summary: str
    actor_user_id: str | None = None
    data: dict = field(default_factory=dict)


def changed_fields(before: dict, after: dict) -> dict:
    """Fields whose value differs, as ``{name: [old, new]}`` (for 'who changed what' entries)."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


@dataclass(frozen=True)
class ActionSections:
    groups: dict[uuid.UUID, list[dict]]
    pending: list[dict]


def never_live(action: dict) -> bool:
    """A4: a draft, or a draft discarded (skipped) before anyone was assigned. A live action always has an
    assignee (it must keep one), so having none is what tells them apart, whatever the status now."""
    return action["assignee_user_id"] is None


def visible_actions(actions: Iterable[dict], viewer_user_id: str | None) -> list[dict]:
    """A4: an action that never went live is seen by its creator only, whatever the viewer's role:
    skipping a half-written draft must not show it to everyone."""
    viewer = str(viewer_user_id) if viewer_user_id else None
    return [a for a in actions
            if not never_live(a) or (viewer is not None and str(a["created_by_user_id"]) == viewer)]


def section_actions(actions: Iterable[dict]) -> ActionSections:
    """A5/A6: actions tied to a trigger event are grouped by it; live ones without a trigger are pending."""
    groups: dict[uuid.UUID, list[dict]] = {}
    pending = []
    for action in actions:
        trigger = action.get("trigger_event_id")
        if trigger is not None:
            groups.setdefault(trigger, []).append(action)
        elif action["status"] in LIVE_ACTION_STATUSES:
            pending.append(action)
    return ActionSections(groups, pending)


# ---- A3: the action status machine ----------------------------------------------

# Every allowed (from, to). ``draft -> new`` happens only through assignment (A4),
# never by asking for the status, so it is not in this table.
TRANSITIONS: frozenset[tuple[str, str]] = frozenset({
    ("draft", "skipped"),
    ("new", "in_progress"), ("new", "blocked"), ("new", "completed"), ("new", "skipped"),
    ("in_progress", "new"), ("in_progress", "blocked"), ("in_progress", "completed"),
    ("in_progress", "skipped"),
    ("blocked", "new"), ("blocked", "in_progress"), ("blocked", "completed"), ("blocked", "skipped"),
})
ACTION_STATUSES = ("draft", "new", "in_progress", "blocked", "completed", "skipped")


class IllegalTransition(Exception):
    def __init__(self, current: str, requested: str, reason: str = ""):
        self.current, self.requested = current, requested
        super().__init__(reason or f"an action cannot go from {current} to {requested}")


@dataclass(frozen=True)
class ActionChange:
    """The outcome of a requested change: the new status and assignee, and what follows from it."""

    status: str
    assignee_user_id: str | None
    went_live: bool  # A4: a draft became visible and its assignee must be told
    assignee_changed: bool
    completed: bool


def change_action(current_status: str, current_assignee: str | None, *, requested_status: str | None = None,
                  requested_assignee: str | None = None, assign: bool = False) -> ActionChange:
    """Apply a status request and/or an (re)assignment to an action; raise IllegalTransition if refused."""
    assignee = str(requested_assignee) if assign and requested_assignee else (
        None if assign else current_assignee)
    status = current_status
    went_live = False
    if assign and current_status in CLOSED_ACTION_STATUSES:
        raise IllegalTransition(current_status, current_status, "a closed action cannot be reassigned")
    if current_status == "draft" and assignee:
        status, went_live = "new", True  # A4: assigning a draft makes it live
    if assign and assignee is None and current_status != "draft":
        raise IllegalTransition(current_status, current_status, "a live action must keep an assignee")
    if requested_status is not None and requested_status != status:
        if (status, requested_status) not in TRANSITIONS:
            reason = ("a draft goes live by being assigned" if status == "draft" and requested_status != "skipped"
                      else "")
            raise IllegalTransition(status, requested_status, reason)
        status = requested_status
    elif (requested_status is not None and requested_status == current_status and not went_live
          and assignee == current_assignee):  # restating the status beside a reassignment is no error
        raise IllegalTransition(current_status, requested_status, f"the action is already {requested_status}")
    return ActionChange(status, assignee, went_live, assignee != current_assignee,
                        status == "completed" and current_status != "completed")


def left_open(actions: Iterable[dict]) -> list[dict]:
    """A6: the actions a closing task still holds open (drafts included): they close with it, skipped,
    so no one is left with work, or a message to send, for a task that is over."""
    return [a for a in actions if a["status"] not in CLOSED_ACTION_STATUSES]


def can_hand_over(task: dict, user_id: str | None, role: str | None) -> bool:
    """Who may give a task another owner: its owner or an admin (or integration). The owner's live
    actions go with it, so anyone else could take over work ``can_act_on`` keeps them from touching."""
    return (user_id is not None and str(task["owner_user_id"]) == str(user_id)) or role in ("admin", "integration")


def can_act_on(action: dict, user_id: str | None, role: str | None) -> bool:
    """Who may change an action: its assignee, its creator, or (live actions) an admin or integration."""
    uid = str(user_id) if user_id else None
    if action["status"] == "draft":
        return uid is not None and str(action["created_by_user_id"]) == uid
    if uid and uid in (str(action.get("assignee_user_id")), str(action.get("created_by_user_id"))):
        return True
    return role in ("admin", "integration")


# ---- B3: duplicates ----------------------------------------------------------------

OPEN_TASK_STATUSES = frozenset({"open", "waiting"})


def find_duplicate(candidates: Iterable[dict], invoice_ids: Iterable) -> dict | None:
    """An open task of the same customer with exactly the same set of invoices.

    A task about no invoice in particular duplicates nothing: a customer can have
    several such tasks, and the check would only get in the way.
    """
    wanted = frozenset(str(i) for i in invoice_ids)
    if not wanted:
        return None
    for task in candidates:
        if task["status"] in OPEN_TASK_STATUSES and frozenset(str(i) for i in task["invoice_ids"]) == wanted:
            return task
    return None


# ---- C: promises to pay ---------------------------------------------------------------

@dataclass(frozen=True)
class PromiseSchedule:
    due_soon_at: datetime
    overdue_at: datetime


def promise_schedule(promised_date: date, tenant_timezone: str) -> PromiseSchedule:
    """C2/C3 in the tenant's time zone: Due Soon 24 h before the promised day starts;
    Overdue once the promised day is over."""
    zone = ZoneInfo(tenant_timezone)
    day_start = datetime.combine(promised_date, time.min, tzinfo=zone)
    day_end = datetime.combine(promised_date + timedelta(days=1), time.min, tzinfo=zone)
    # On the wall clock: the start of the day before, where the tenant works (23 or 25 elapsed hours
    # before the promised day when daylight saving changes in between).
    return PromiseSchedule(due_soon_at=day_start - timedelta(hours=24), overdue_at=day_end)


def tenant_today(now: datetime, tenant_timezone: str) -> date:
    return now.astimezone(ZoneInfo(tenant_timezone)).date()


def check_promise_date(promised_date: date, today: date) -> None:
    """C1/C2: a promise is for today or a later day where the tenant works; one for a past day would be
    overdue before anyone could act on it."""
    if promised_date < today:
        raise ValidationFailed("a promise is for today or a later day", [{
            "loc": ["promised_date"], "msg": f"must be {today.isoformat()} or later", "type": "date_in_past"}])


def open_balance(invoices: Iterable[dict]) -> Decimal:
    """What the invoices still owe: a paid or cancelled invoice owes nothing."""
    return sum((max(i["amount"] - i["amount_paid"], Decimal("0")) for i in invoices
                if i["status"] in OPEN_INVOICE_STATUSES), Decimal("0"))


def check_promise_amount(amount: Decimal, owed: Decimal) -> None:
    """C4: only payments to its invoices count towards a promise, so one for more than they owe could
    never be kept; it is refused rather than left to go overdue."""
    if amount > owed:
        raise ValidationFailed(f"the promise ({amount}) is more than its invoices still owe ({owed})",
                               {"amount": format(amount, "f"), "open_balance": format(owed, "f")},
                               code="PROMISE_EXCEEDS_BALANCE")


def promise_covered(amount: Decimal, received: Decimal) -> bool:
    return received >= amount


def promise_outcome_without_payment(invoices: list[dict]) -> str | None:
    """C4: a promise whose invoices came to owe nothing other than by a payment recorded here: the sender
    marked them paid (settled elsewhere: kept), cancelled them, or a credit note brought them down to
    what was paid. None while they still owe something: the promise waits for its payment."""
    if open_balance(invoices) > 0:
        return None
    return "cancelled" if all(i["status"] == "cancelled" for i in invoices) else "kept"


def due_cutoff(value: str, tenant_timezone: str) -> datetime:
    """C5: the instant of an actions filter's ``due_before``. A date or a time without an offset is the
    tenant's wall clock (``due_before=2026-12-01`` is the start of that day where the tenant works), as
    promise dates are; a time with an offset is taken as given."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationFailed("due_before is not an ISO 8601 date or date-time",
                               [{"loc": ["query", "due_before"], "msg": "not ISO 8601", "type": "datetime_parsing"}]
                               ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ZoneInfo(tenant_timezone))


def queue_rank(overdue_promise: bool) -> int:
    """C5: overdue promises come first (rank 0), everything else after (rank 1)."""
    return 0 if overdue_promise else 1


def validate_payload(action_type: str, payload: dict) -> dict:
    """A1: each type has its own payload; returns it normalised (raises pydantic's ValidationError)."""
    from common.contracts.tasks import ACTION_PAYLOADS

    return ACTION_PAYLOADS[action_type].model_validate(payload).model_dump(mode="json", exclude_none=True)


def edited_payload(action_type: str, stored: dict, sent: dict) -> dict:
    """A1: a PATCH's payload. What the user sends must be the type's own fields (validated as on
    creation); what an action holds beyond them (an AI suggestion's summary, model, decision) is not
    the user's to write, and is carried as it is, so an AI-made action is edited and sent as any."""
    from common.contracts.tasks import ACTION_PAYLOADS

    fields = ACTION_PAYLOADS[action_type].model_fields
    carried = {k: v for k, v in stored.items() if k not in fields}
    return {**carried, **validate_payload(action_type, {**{k: v for k, v in stored.items() if k in fields}, **sent})}


# Where an AI's free text goes in each type's payload; an SMS or an email gets it only when it offered
# some (its one-line summary is an instruction to the user, not words to send the customer).
AI_TEXT_FIELD = {"email": "body", "sms": "text", "call": "script", "internal_note": "text", "generic": "description"}


def ai_action_payload(action_type: str, offered: dict) -> dict:
    """A1/B1/B3: an AI-made action's payload: the offered text in the type's own fields, so a user edits
    and sends it as any action; the rest (summary, suggested_by, model...) carried beside them."""
    from pydantic import ValidationError

    from common.contracts.tasks import ACTION_PAYLOADS

    fields = ACTION_PAYLOADS[action_type].model_fields
    own = {k: v for k, v in offered.items() if k in fields}
    target = AI_TEXT_FIELD.get(action_type)
    text = next((offered[k] for k in ("text", "body") if k not in fields and offered.get(k)), None)
    if action_type not in ("email", "sms"):
        text = text or offered.get("summary")
    if target and text and not own.get(target):
        own[target] = text
    carried = {k: v for k, v in offered.items() if k not in fields}
    without_recipients = {k: v for k, v in own.items() if k not in ("to", "cc", "bcc")}
    fallback = {target: str(offered.get("summary") or action_type)[:500]} if action_type in (
        "internal_note", "generic", "call") else {}
    # What does not fit is dropped, the least first: an address the contract refuses (the user adds
    # one), then the offered text (the user starts from the summary).
    for attempt in (own, without_recipients, fallback):
        try:
            return {**carried, **validate_payload(action_type, attempt)}
        except ValidationError:
            continue
    raise AssertionError("the fallback payload always validates")


def check_sendable(action_type: str, payload: dict, sms_to: str | None) -> None:
    """D5/D6: what a completed email or SMS must hold before it leaves. A draft may be incomplete;
    sending is where it must not be: no recipient, or nothing to say, is refused (and nothing changes)
    rather than sent. An AI draft is not sent in the body's place: a user reviews it first (A1)."""
    if action_type == "email":
        if not any(payload.get(role) for role in ("to", "cc", "bcc")):
            raise ValidationFailed("an email needs at least one recipient (to, cc or bcc)", code="NO_RECIPIENT")
        missing = [f for f in ("subject", "body") if not str(payload.get(f) or "").strip()]
        if missing:
            raise ValidationFailed(f"an email needs a {' and a '.join(missing)} before it is sent",
                                   {"missing": missing}, code="EMPTY_MESSAGE")
    elif action_type == "sms":
        if not sms_to:
            raise ValidationFailed("the customer has no main contact with a phone number", code="NO_RECIPIENT")
        if not str(payload.get("text") or "").strip():
            raise ValidationFailed("an SMS needs a text before it is sent", {"missing": ["text"]},
                                   code="EMPTY_MESSAGE")


def needs_follow_up(delivery_state: str) -> bool:
    """A message that bounced or failed raises an action for the task's owner."""
    return delivery_state in ("bounced", "failed", "returned")
