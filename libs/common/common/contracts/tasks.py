"""Contracts of the tasks service: API commands, views and the events it publishes."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, model_validator

from common.contracts.envelope import event
from common.contracts.types import Currency, ExternalId, Money, Name, PositiveMoney, TimeZone

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
    email: EmailStr | None = None
    phone: str | None = Field(None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164, e.g. +33612345678")
    is_main: bool = False


class InvoiceUpsert(Command):
    customer_id: uuid.UUID
    number: Name
    issue_date: date
    due_date: date
    amount: Money
    currency: Currency
    status: InvoiceStatus = "open"

    @model_validator(mode="after")
    def _due_after_issue(self):
        if self.due_date < self.issue_date:
            raise ValueError("due_date must be on or after issue_date")
        return self


class PaymentCreate(Command):
    customer_id: uuid.UUID
    invoice_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    amount: PositiveMoney
    currency: Currency
    paid_at: AwareDatetime


class ActionSpec(Command):
    type: ActionType
    assignee_user_id: uuid.UUID | None = None
    due_at: AwareDatetime | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


class TaskCreate(Command):
    customer_id: uuid.UUID
    invoice_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    title: Name
    category: str | None = Field(None, max_length=64)
    assignee_user_id: uuid.UUID
    actions: list[ActionSpec] = Field(default_factory=list, max_length=50)


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
    customer: CustomerView
    invoices: list[InvoiceView]
    action_groups: list[ActionGroupView]
    pending_actions: list[ActionView]
    timeline: list[TimelineEntryView]


class Page(BaseModel):
    items: list[Any]
    next_cursor: str | None


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
