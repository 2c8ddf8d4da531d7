"""Contracts between tasks and triage: an inbound communication, and the decision about it (B1);
a task made by hand or by a promise, and the actions the AI suggests for it (B3).

Tasks stores the communication, matches its sender and publishes
``communication_received`` with the context triage needs (so triage never
reads tasks' data); triage publishes ``triage_decided``, which tasks applies.
Likewise ``suggestions_requested`` (only while the tenant has AI suggestions on)
and ``actions_suggested``.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from common.contracts.envelope import event
from common.contracts.types import Moment
from common.contracts.tasks import ActionType

CommunicationChannel = Literal["email", "sms", "call"]
Category = Literal["promise_to_pay", "payment_sent", "dispute", "invoice_request", "question", "out_of_office",
                   "wrong_contact", "unsubscribe", "other"]
CATEGORIES: tuple[str, ...] = Category.__args__


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenTaskSummary(Contract):
    id: uuid.UUID
    title: str
    category: str | None
    status: str
    invoice_numbers: list[str] = Field(default_factory=list)
    last_activity_at: datetime | None = None


class InvoiceSummary(Contract):
    id: uuid.UUID
    number: str
    amount: Decimal
    currency: str
    due_date: date
    status: str


class TimelineSummary(Contract):
    kind: str
    occurred_at: datetime
    summary: str


@event("communication_received", producers=("tasks",))
class CommunicationReceived(Contract):
    communication_id: uuid.UUID
    channel: CommunicationChannel
    from_address: str
    to_address: str | None = None
    subject: str | None = None
    body: str
    received_at: AwareDatetime
    customer_id: uuid.UUID
    customer_name: str
    contact_id: uuid.UUID | None = None
    language: str | None = None
    open_tasks: list[OpenTaskSummary] = Field(default_factory=list)
    invoices: list[InvoiceSummary] = Field(default_factory=list)
    recent_timeline: list[TimelineSummary] = Field(default_factory=list)
    ai_suggestions_enabled: bool = True


class ExtractedFacts(Contract):
    promised_amount: Decimal | None = None
    currency: str | None = None
    promised_date: date | None = None
    invoice_numbers: list[str] = Field(default_factory=list)


class SuggestedAction(Contract):
    type: ActionType
    summary: str = Field(max_length=500)
    payload: dict[str, Any] = Field(default_factory=dict)


@event("triage_decided", producers=("triage",))
class TriageDecided(Contract):
    decision_id: uuid.UUID
    communication_id: uuid.UUID
    customer_id: uuid.UUID
    decision: Literal["linked", "created"]
    task_id: uuid.UUID | None = Field(None, description="the open task linked to (decision=linked)")
    title: str | None = Field(None, description="title of the task to create (decision=created)")
    category: Category
    confidence: float = Field(ge=0, le=1)
    facts: ExtractedFacts = Field(default_factory=ExtractedFacts)
    suggested_actions: list[SuggestedAction] = Field(default_factory=list, max_length=10)
    model: str
    fell_back: bool = False


@event("suggestions_requested", producers=("tasks",))
class SuggestionsRequested(Contract):
    """B3: a task a user made, or a recorded promise's task, for the AI to suggest its first actions."""

    task_id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str
    origin: Literal["manual", "promise"]
    title: str
    category: str | None = None
    today: date = Field(description="the tenant's day when the task was made (what is overdue)")
    invoices: list[InvoiceSummary] = Field(default_factory=list, max_length=100)
    recent_timeline: list[TimelineSummary] = Field(default_factory=list, max_length=50)
    existing_actions: list[ActionType] = Field(default_factory=list, max_length=50,
                                               description="types of the actions the task already holds")


@event("actions_suggested", producers=("triage",))
class ActionsSuggested(Contract):
    task_id: uuid.UUID
    suggested_actions: list[SuggestedAction] = Field(default_factory=list, max_length=5)
    model: str
    fell_back: bool = False


# ---- inbound API command (gateway -> tasks.receive_communication) -----------------------------------

MAX_INBOUND_BODY = 200_000
MAX_INBOUND_SUBJECT = 1000


class InboundCommunication(Contract):
    """One inbound message as the gateway normalised it from JSON or a provider's webhook shape."""

    channel: CommunicationChannel
    from_address: str = Field(min_length=1, max_length=320)
    to_address: str | None = Field(None, max_length=320)
    subject: str | None = Field(None, max_length=1000)
    # Empty when a provider forwards a message with no text (a subject-only email, a picture by MMS, a
    # call nobody spoke on): the message was received all the same.
    body: str = Field(max_length=MAX_INBOUND_BODY)
    received_at: Moment
    external_id: str = Field(min_length=1, max_length=300)

    @field_validator("from_address", "to_address", "subject", "body", "external_id", mode="before")
    @classmethod
    def _without_nul(cls, value):
        # A received message is kept whatever it holds; NUL characters, which PostgreSQL cannot store and
        # no reader needs, are dropped (an API request carrying one is refused instead: NUL_CHARACTER).
        return value.replace("\x00", "") if isinstance(value, str) else value


class GradingCriterion(Contract):
    """P8: one thing a conversation is scored on."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    weight: float = Field(1.0, gt=0, le=100)


class GradingRequest(Contract):
    transcript: str = Field(min_length=1, max_length=100_000)
    criteria: list[GradingCriterion] = Field(min_length=1, max_length=50)
    action_id: uuid.UUID | None = None
