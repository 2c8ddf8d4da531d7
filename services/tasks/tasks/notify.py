"""Messages the task manager asks the notifications service to deliver (E5 in-app, D5/D6 sends)."""
from __future__ import annotations

from common.contracts.notifications import Content, NotificationRequested, Recipient, Sender, SubjectRef
from common.db import UnitOfWork


def in_app(uow: UnitOfWork, *, kind: str, user_id, key: str, title: str, body: str, subject: SubjectRef) -> None:
    uow.publish(NotificationRequested(
        idempotency_key=key, kind=kind, channel="in_app",
        recipients=[Recipient(address=str(user_id), user_id=user_id)],
        content=Content(subject=title, body_text=body), subject_ref=subject))


def action_subject(action: dict, customer_id) -> SubjectRef:
    return SubjectRef(type="action", id=action["id"], customer_id=customer_id, task_id=action["task_id"])


def send_action(uow: UnitOfWork, action: dict, customer_id, sender: Sender, sms_to: str | None) -> None:
    """D5/D6: a completed email or SMS action is sent once, as the user who completed it."""
    payload = action["payload"]
    subject = action_subject(action, customer_id)
    key = f"action:{action['id']}:send"
    if action["type"] == "email":
        recipients = [Recipient(address=a, role=role) for role in ("to", "cc", "bcc") for a in payload.get(role, [])]
        uow.publish(NotificationRequested(
            idempotency_key=key, kind="action_email", channel="email", recipients=recipients, sender=sender,
            content=Content(subject=payload.get("subject", ""), body_text=payload.get("body", "")),
            subject_ref=subject))
    elif action["type"] == "sms":
        uow.publish(NotificationRequested(
            idempotency_key=key, kind="action_sms", channel="sms", recipients=[Recipient(address=sms_to)],
            sender=sender, content=Content(body_text=payload.get("text", "")), subject_ref=subject))
