"""Contracts of the notifications service: what others ask it to send, and what it reports back.

``notification_requested`` is published by any service that needs a message
delivered (on its own exchange); ``delivery_status_changed`` is published by
notifications for every state a delivery reaches (E2).
"""
from __future__ import annotations

import uuid
from typing import Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from common.contracts.envelope import event

Channel = Literal["email", "sms", "letter", "in_app"]
DeliveryState = Literal["queued", "sent", "delivered", "bounced", "failed", "opened", "clicked", "returned"]
NotificationKind = Literal[
    "action_email", "action_sms", "action_letter", "action_assigned", "promise_due_soon", "promise_overdue",
    "client_task_active", "workflow_step_waiting", "dunning_email", "task_raised", "sender_verification",
    "generic",
]
# E5: what reaches a user's in-app inbox; a user may also have any of these emailed to them (A4).
InAppKind = Literal["action_assigned", "task_raised", "promise_due_soon", "promise_overdue",
                    "client_task_active", "workflow_step_waiting"]
IN_APP_KINDS: tuple[str, ...] = get_args(InAppKind)
MAX_RECIPIENTS = 100  # of one message (an email's To, Cc and Bcc together)
# An action's own send: only these kinds' delivery states are the action's (E2).
ACTION_SEND_KINDS = ("action_email", "action_sms", "action_letter")


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Recipient(Contract):
    """An email address, an E.164 phone number, or (in-app) a user id."""

    address: str = Field(min_length=1, max_length=320)
    name: str | None = None
    role: Literal["to", "cc", "bcc"] = "to"
    user_id: uuid.UUID | None = None


class PostalAddress(Contract):
    name: str
    lines: list[str] = Field(min_length=1, max_length=4)
    postal_code: str
    city: str
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")


class Attachment(Contract):
    filename: str = Field(min_length=1, max_length=200)
    content_type: str
    content_base64: str


class Content(Contract):
    subject: str | None = Field(None, max_length=998)
    body_text: str | None = None
    body_html: str | None = None


class Sender(Contract):
    """Who the message is sent as (D5: a manual email leaves from the completing user's address)."""

    user_id: uuid.UUID | None = None
    email: str | None = None
    name: str | None = None


class SubjectRef(Contract):
    """What the message is about, so delivery states find their way back (an action, a task, an order task)."""

    type: str
    id: uuid.UUID
    customer_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None


class NotificationSettings(Contract):
    """A user's choice of which in-app notifications also come to their email address (A4, E5)."""

    email_kinds: list[InAppKind] = Field(max_length=50)

    @model_validator(mode="after")
    def _each_once(self):
        self.email_kinds = sorted(set(self.email_kinds), key=IN_APP_KINDS.index)
        return self


@event("notification_requested", producers=("tasks", "workflows", "orders"))
class NotificationRequested(Contract):
    idempotency_key: str = Field(min_length=1, max_length=200, description="unique per tenant; a repeat sends nothing")
    kind: NotificationKind
    channel: Channel
    recipients: list[Recipient] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    sender: Sender | None = None
    template: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    content: Content | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)
    postal_address: PostalAddress | None = None
    registered: bool = False
    subject_ref: SubjectRef | None = None

    @model_validator(mode="after")
    def _template_or_content(self):
        if (self.template is None) == (self.content is None):
            raise ValueError("give exactly one of template or content")
        if self.channel == "letter" and self.postal_address is None:
            raise ValueError("a letter needs a postal_address")
        return self


@event("delivery_status_changed", producers=("notifications",))
class DeliveryStatusChanged(Contract):
    notification_id: uuid.UUID
    idempotency_key: str
    kind: NotificationKind
    channel: Channel
    recipient: str
    state: DeliveryState
    occurred_at: AwareDatetime
    reason: str | None = None
    subject_ref: SubjectRef | None = None
    # Added compatibly (optional): which delivery, and the recipient's role (to/cc/bcc) on an email.
    delivery_id: uuid.UUID | None = None
    role: Literal["to", "cc", "bcc"] | None = None
