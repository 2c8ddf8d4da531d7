"""Rules of the tasks service: pure functions, no I/O, no nameko."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable

from common.errors import ValidationFailed

LIVE_ACTION_STATUSES = frozenset({"new", "in_progress", "blocked"})
CLOSED_ACTION_STATUSES = frozenset({"completed", "skipped"})
OPEN_INVOICE_STATUSES = frozenset({"open", "disputed"})


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
        if inv.status == "cancelled":
            continue
        applied = min(remaining, inv.open_amount)
        paid = inv.amount_paid + applied
        status = "paid" if paid >= inv.amount else inv.status
        allocations.append(Allocation(inv.id, applied, paid, status))
        remaining -= applied
    return PaymentPlan(allocations, remaining)


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


def visible_actions(actions: Iterable[dict], viewer_user_id: str | None) -> list[dict]:
    """A4: a draft is seen by its creator only, whatever the viewer's role."""
    viewer = str(viewer_user_id) if viewer_user_id else None
    return [a for a in actions
            if a["status"] != "draft" or (viewer is not None and str(a["created_by_user_id"]) == viewer)]


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
