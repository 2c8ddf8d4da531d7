"""Contracts of the tasks service: API commands, views and the events it publishes."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from common.contracts.envelope import event
from common.contracts.notifications import MAX_RECIPIENTS
from common.contracts.types import (Currency, Day, ExternalId, JsonObject, Moment, Money, Name, PositiveMoney,
                                    SendableEmail, TimeZone, UniqueIds)

ACTION_TYPES = ("email", "sms", "call", "internal_note", "promise_to_pay", "generic")
ActionType = Literal["email", "sms", "call", "internal_note", "promise_to_pay", "generic"]
InvoiceStatus = Literal["open", "paid", "cancelled", "disputed"]
TaskStatus = Literal["open", "waiting", "completed", "cancelled"]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Location(Command):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CustomerCreate(Command):
    external_id: ExternalId | None = None
    name: Name
    owner_user_id: uuid.UUID
    timezone: TimeZone = "UTC"
    location: Location | None = None


class ContactCreate(Command):
    name: Name
    email: SendableEmail | None = None
    phone: str | None = Field(None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164, e.g. +33612345678")
    is_main: bool = False


class InvoiceUpsert(Command):
    customer_id: uuid.UUID
    number: Name
    issue_date: Day
    due_date: Day
    amount: Money
    currency: Currency
    status: InvoiceStatus | None = Field(None, description=(
        "cancelled, disputed or paid (settled outside this system) as the sender says; omitted or open, it "
        "follows the payments recorded here: paid once they cover the amount, else open"))

    @model_validator(mode="after")
    def _due_after_issue(self):
        if self.due_date < self.issue_date:
            raise ValueError("due_date must be on or after issue_date")
        return self


class PaymentCreate(Command):
    customer_id: uuid.UUID
    invoice_ids: UniqueIds = Field(min_length=1, max_length=100)
    amount: PositiveMoney
    currency: Currency
    paid_at: Moment


class TaskCreate(Command):
    customer_id: uuid.UUID
    invoice_ids: UniqueIds = Field(default_factory=list, max_length=100)
    title: Name
    category: str | None = Field(None, max_length=64)
    assignee_user_id: uuid.UUID
    actions: list["ActionCreate"] = Field(default_factory=list, max_length=50)


# ---- views (what the API returns) ----------------------------------------


class View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CustomerView(View):
    id: uuid.UUID
    external_id: str | None
    name: str
    owner_user_id: uuid.UUID
    timezone: str
    location: Location | None = None
    created_at: datetime
    updated_at: datetime


class ContactView(View):
    id: uuid.UUID
    customer_id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    is_main: bool
    created_at: datetime


class InvoiceView(View):
    id: uuid.UUID
    external_id: str
    customer_id: uuid.UUID
    number: str
    issue_date: date
    due_date: date
    amount: Money
    amount_paid: Money
    currency: str
    status: InvoiceStatus
    created_at: datetime
    updated_at: datetime


class PaymentView(View):
    id: uuid.UUID
    customer_id: uuid.UUID
    invoice_ids: list[uuid.UUID]
    amount: Money
    currency: str
    paid_at: datetime
    created_at: datetime


class ActionView(View):
    version: int = 1
    completed_at: datetime | None = None
    completed_by_user_id: uuid.UUID | None = None
    delivery: list[dict[str, Any]] = Field(default_factory=list)
    id: uuid.UUID
    task_id: uuid.UUID
    type: ActionType
    status: str
    assignee_user_id: uuid.UUID | None
    created_by_user_id: uuid.UUID | None
    due_at: datetime | None
    trigger_event_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class TimelineEntryView(View):
    id: uuid.UUID
    customer_id: uuid.UUID
    kind: str
    occurred_at: datetime
    actor_user_id: uuid.UUID | None
    subject_type: str
    subject_id: uuid.UUID | None
    summary: str
    data: dict[str, Any]


class TaskView(View):
    id: uuid.UUID
    overdue_promise: bool = False
    customer_id: uuid.UUID
    invoice_ids: list[uuid.UUID]
    title: str
    category: str | None
    owner_user_id: uuid.UUID
    status: TaskStatus
    origin: str
    priority: int
    due_at: datetime | None
    created_by_user_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ActionGroupView(BaseModel):
    trigger_event_id: uuid.UUID
    actions: list[ActionView]


class CaseFileView(BaseModel):
    task: TaskView
    promise: "PromiseView | None" = None
    customer: CustomerView
    invoices: list[InvoiceView]
    action_groups: list[ActionGroupView]
    pending_actions: list[ActionView]
    actions: list[ActionView] = Field(default_factory=list)
    timeline: list[TimelineEntryView]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next_cursor`` (null on the last page) is the next request's ``cursor``."""
    items: list[T]
    next_cursor: str | None


class CustomerFileView(CustomerView):
    contacts: list[ContactView]


class PaymentRecordedView(PaymentView):
    unallocated: Money = Field(description="what no invoice of the payment could take (it is recorded all the same)")


class SettingsView(BaseModel):
    ai_suggestions: bool
    timezone: str


# ---- events ---------------------------------------------------------------


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid")


@event("customer_upserted", producers=("tasks",))
class CustomerUpserted(EventData):
    customer: CustomerView
    created: bool


@event("invoice_upserted", producers=("tasks",))
class InvoiceUpserted(EventData):
    invoice: InvoiceView
    created: bool


@event("payment_recorded", producers=("tasks",))
class PaymentRecorded(EventData):
    payment: PaymentView


@event("task_created", producers=("tasks",))
class TaskCreated(EventData):
    task: TaskView
    action_ids: list[uuid.UUID]


# ---- action payloads (A1), one model per type ---------------------------------

class AiDraft(BaseModel):
    """An AI-drafted reply an external system attaches for review (the email's own body is what is sent).
    Its known fields are checked; others (a prompt version...) are carried, as they were before it had a
    model, so an action stored then stays editable. Its depth is bounded by the payload's (JsonObject)."""
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    body: str | None = Field(None, max_length=100_000)
    subject: str | None = Field(None, max_length=998)
    model: str | None = Field(None, max_length=200)
    confidence: float | None = Field(None, ge=0, le=1)


class EmailPayload(Command):
    to: list[SendableEmail] = Field(default_factory=list, max_length=50)
    cc: list[SendableEmail] = Field(default_factory=list, max_length=50)
    bcc: list[SendableEmail] = Field(default_factory=list, max_length=50)
    subject: str = Field("", max_length=998)
    body: str = Field("", max_length=100_000)
    ai_draft: AiDraft | None = Field(None, description="an AI-drafted reply for review")

    @model_validator(mode="after")
    def _sendable_recipient_count(self):
        # What the notifications service takes in one message: refused here, when the email is written,
        # not when it is completed, where the error would name a field the user never sent.
        if len(self.to) + len(self.cc) + len(self.bcc) > MAX_RECIPIENTS:
            raise ValueError(f"an email has at most {MAX_RECIPIENTS} recipients (to, cc and bcc together)")
        return self


class SmsPayload(Command):
    text: str = Field("", max_length=1600)
    to: str | None = Field(None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164; default: the main contact")


class CallPayload(Command):
    script: str = Field("", max_length=20_000)
    outcome_notes: str | None = Field(None, max_length=20_000)


class NotePayload(Command):
    text: str = Field(min_length=1, max_length=20_000)


class PromisePayload(Command):
    amount: PositiveMoney | None = None
    currency: Currency | None = None
    promised_date: Day | None = None
    invoice_ids: UniqueIds = Field(default_factory=list, max_length=100)


class GenericPayload(Command):
    description: str = Field("", max_length=20_000)
    caused_by_action_id: uuid.UUID | None = Field(None, description="set when raised by a bounced send")


ACTION_PAYLOADS: dict[str, type[Command]] = {
    "email": EmailPayload, "sms": SmsPayload, "call": CallPayload, "internal_note": NotePayload,
    "promise_to_pay": PromisePayload, "generic": GenericPayload,
}
ActionStatus = Literal["draft", "new", "in_progress", "blocked", "completed", "skipped"]


class ActionCreate(Command):
    type: ActionType
    assignee_user_id: uuid.UUID | None = None
    due_at: Moment | None = None
    payload: JsonObject = Field(default_factory=dict)
    trigger_event_id: uuid.UUID | None = Field(None, description="A5: the customer timeline entry that triggered it")


class ActionUpdate(Command):
    status: ActionStatus | None = None
    assignee_user_id: uuid.UUID | None = None
    due_at: Moment | None = None
    payload: JsonObject | None = None


class TaskUpdate(Command):
    status: Literal["completed", "cancelled", "open"] | None = None
    title: Name | None = None
    category: str | None = Field(None, max_length=64)
    priority: int | None = Field(None, ge=-100, le=100)
    due_at: Moment | None = None
    owner_user_id: uuid.UUID | None = Field(None, description="hand the task to another user of the tenant")

    @field_validator("title", "priority", "owner_user_id")
    @classmethod
    def _kept_not_cleared(cls, value):
        # Left out, a field keeps its value; null clears it, and a task always has these.
        if value is None:
            raise ValueError("cannot be cleared: leave it out to keep it")
        return value


class PromiseCreate(Command):
    amount: PositiveMoney
    currency: Currency
    promised_date: Day
    invoice_ids: UniqueIds = Field(min_length=1, max_length=100)


class PromiseUpdate(Command):
    promised_date: Day | None = None
    status: Literal["cancelled"] | None = None


class WorkflowTaskCreate(Command):
    """B2: a workflow step's task, with exactly one pre-set action and no AI suggestions."""

    customer_id: uuid.UUID
    invoice_ids: UniqueIds = Field(default_factory=list, max_length=100)
    title: Name
    category: str | None = Field(None, max_length=64)
    owner_user_id: uuid.UUID
    action: ActionCreate
    wait_for_completion: bool = True
    workflow_ref: dict[str, Any] = Field(default_factory=dict, description="ids the workflow needs back")


class SettingsUpdate(Command):
    ai_suggestions: bool | None = None
    timezone: TimeZone | None = None


class PromiseView(View):
    id: uuid.UUID
    task_id: uuid.UUID
    source_task_id: uuid.UUID | None
    customer_id: uuid.UUID
    amount: Money
    amount_received: Money
    currency: str
    promised_date: date
    invoice_ids: list[uuid.UUID]
    status: str
    due_soon_at: datetime
    overdue_at: datetime
    created_at: datetime
    updated_at: datetime


@event("task_completed", producers=("tasks",))
class TaskCompleted(EventData):
    task: TaskView
    workflow_ref: dict[str, Any] = Field(default_factory=dict)


@event("task_cancelled", producers=("tasks",))
class TaskCancelled(EventData):
    """A task closed without being done: a workflow step waiting for it (B2) hears it will not be."""

    task: TaskView
    workflow_ref: dict[str, Any] = Field(default_factory=dict)


@event("action_completed", producers=("tasks",))
class ActionCompleted(EventData):
    action: ActionView


@event("promise_recorded", producers=("tasks",))
class PromiseRecorded(EventData):
    promise: PromiseView


@event("promise_moved", producers=("tasks",))
class PromiseMoved(EventData):
    """A promise given a new date: waiting again, even if it was overdue."""

    promise: PromiseView


@event("promise_overdue", producers=("tasks",))
class PromiseOverdue(EventData):
    """C3: the promised day passed without a covering payment (a paused dunning resumes, say)."""

    promise: PromiseView


@event("promise_closed", producers=("tasks",))
class PromiseClosed(EventData):
    """C4: kept (a covering payment), completed or cancelled by a user: ``promise.status`` says which."""

    promise: PromiseView

CaseFileView.model_rebuild()
TaskCreate.model_rebuild()
