"""Action entrypoints (A1-A6, D5/D6 sending, E2 delivery states). Mixed into TasksService."""
from __future__ import annotations

import uuid

from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common.contracts import tasks as c
from common.contracts.notifications import ACTION_SEND_KINDS, Sender
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from common.events import receive, reliable_event_handler
from common.pagination import clamp_limit
from common.rpc import rpc, validation_details
from tasks import domain, models as m, notify, repository as repo
from tasks.views import view


def action_view(row: dict, deliveries: list | None = None) -> dict:
    return view(c.ActionView, {**row, "delivery": deliveries or []})


def action_not_found() -> NotFound:
    return NotFound("action not found", code="ACTION_NOT_FOUND")


def validated_payload(action_type: str, payload: dict) -> dict:
    try:
        return domain.validate_payload(action_type, payload)
    except ValidationError as exc:
        raise ValidationFailed(f"invalid {action_type} payload", validation_details(exc)) from None


class ActionEntrypoints:
    def _timeline(self, uow, customer_id, kind, subject_type, subject_id, summary, data=None):
        repo.add_timeline(uow, domain.TimelineEntry(customer_id, kind, subject_type, subject_id, summary,
                                                    self.caller.user_id, data or {}))

    def _notify_assignee(self, uow, action: dict, customer_id, title: str):
        """A4/E5: the assignee of a live action hears about it (not when assigning oneself)."""
        assignee = action["assignee_user_id"]
        if assignee is None or str(assignee) == str(self.caller.user_id):
            return
        notify.in_app(uow, kind="action_assigned", user_id=assignee,
                      key=f"action:{action['id']}:assigned:{assignee}:{action['version']}",
                      title="An action was assigned to you", body=f"{action['type']}: {title}",
                      subject=notify.action_subject(action, customer_id))

    def _insert_action(self, uow, task: dict, spec: c.ActionCreate, shaped_payload: dict | None = None) -> dict:
        """Insert a validated action (by any path: added, with a manual or a workflow's task, a drafted
        reply); a live one goes on the timeline and its assignee is told. ``shaped_payload``: one the
        service made itself (``domain.ai_action_payload``), in place of the caller's."""
        trigger = self._trigger_of(uow, spec.trigger_event_id, task["customer_id"]) if spec.trigger_event_id else None
        if spec.trigger_event_id and trigger is None:
            raise NotFound("no such timeline event for this customer", code="TIMELINE_EVENT_NOT_FOUND")
        action = repo.insert_row(uow, m.actions, {
            "task_id": task["id"], "type": spec.type, "status": domain.initial_action_status(spec.assignee_user_id),
            "assignee_user_id": spec.assignee_user_id, "created_by_user_id": self.caller.user_id,
            "due_at": spec.due_at, "trigger_event_id": trigger,
            "payload": shaped_payload if shaped_payload is not None else validated_payload(spec.type, spec.payload),
            "created_at": uow.now, "updated_at": uow.now})
        if action["status"] != "draft":  # drafts stay off the shared timeline until they go live
            self._timeline(uow, task["customer_id"], "action_created", "action", action["id"],
                           f"{spec.type.replace('_', ' ').capitalize()} action added to '{task['title']}'",
                           {"task_id": str(task["id"]), "assignee_user_id": str(spec.assignee_user_id)})
            self._notify_assignee(uow, action, task["customer_id"], task["title"])
        return action

    @rpc
    def add_action(self, task_id: str, payload: dict) -> dict:
        spec = c.ActionCreate.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            replayed, result = uow.begin_request("add_action")
            if replayed:
                return result
            # Locked: a close going on at the same time either sees this action (and skips it) or has
            # committed, and this is refused; never a live action on a closed task.
            task = repo.require_task(uow, task_id, lock=True)
            if task["status"] not in domain.OPEN_TASK_STATUSES:
                raise Conflict("the task is closed", code="TASK_CLOSED")
            result = action_view(self._insert_action(uow, task, spec))
            uow.finish_request(result)
            return result

    @rpc
    def get_action(self, action_id: str) -> dict:
        with self.db.transaction(self.caller) as uow:
            action = self._visible_action(uow, action_id)
            return action_view(action, repo.deliveries_of(uow, [action["id"]]).get(action["id"]))

    def _visible_action(self, uow, action_id, lock: bool = False) -> dict:
        action = repo.get_action(uow, action_id, lock=lock)
        if action is None or not domain.visible_actions([action], self.caller.user_id):
            raise action_not_found()  # A4: someone else's draft does not exist for you
        return action

    @rpc
    def update_action(self, action_id: str, payload: dict) -> dict:
        cmd = c.ActionUpdate.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            # A retry after a lost reply (same Idempotency-Key) gets the first answer, not a 409 for
            # a change already made.
            return uow.once("update_action", lambda: self._update_action(uow, action_id, cmd))

    def _update_action(self, uow, action_id: str, cmd) -> dict:
        fields = cmd.model_fields_set
        # Row locks serialise concurrent changes, the task's before the action's as when a task closes
        # (the other order could deadlock with it). The task's lock also makes two actions of one task
        # completed at once see each other: a workflow's task closes when its last action does.
        task = repo.lock_task_of_action(uow, action_id)
        if task is None:
            raise action_not_found()
        action = self._visible_action(uow, action_id, lock=True)
        if not domain.can_act_on(action, self.caller.user_id, self.caller.role):
            raise Forbidden("only the action's assignee or creator (or an admin) can change it")
        try:
            change = domain.change_action(
                action["status"], str(action["assignee_user_id"]) if action["assignee_user_id"] else None,
                requested_status=cmd.status, requested_assignee=cmd.assignee_user_id,
                assign="assignee_user_id" in fields)
        except domain.IllegalTransition as exc:
            raise Conflict(str(exc), {"status": exc.current, "requested": exc.requested},
                           code="ILLEGAL_TRANSITION") from None
        updates = {"status": change.status, "assignee_user_id": change.assignee_user_id,
                   "updated_at": uow.now, "version": action["version"] + 1}
        if "payload" in fields:
            if action["status"] in domain.CLOSED_ACTION_STATUSES:
                raise Conflict("a closed action cannot be edited", code="ILLEGAL_TRANSITION")
            try:
                updates["payload"] = domain.edited_payload(action["type"], action["payload"], cmd.payload or {})
            except ValidationError as exc:
                raise ValidationFailed(f"invalid {action['type']} payload", validation_details(exc)) from None
        if "due_at" in fields:
            if action["status"] in domain.CLOSED_ACTION_STATUSES and cmd.due_at != action["due_at"]:
                raise Conflict("a closed action's due date stays", code="ILLEGAL_TRANSITION")
            updates["due_at"] = cmd.due_at
        if change.completed:
            updates.update(completed_at=uow.now, completed_by_user_id=self.caller.user_id)
        current = {**action, "assignee_user_id": str(action["assignee_user_id"]) if action["assignee_user_id"] else None}
        if not domain.changed_fields(current, {k: v for k, v in updates.items() if k not in ("updated_at", "version")}):
            # A PATCH that changes nothing writes nothing: no new version for clients that compare them.
            return action_view(action, repo.deliveries_of(uow, [action["id"]]).get(action["id"]))
        updated = repo.update_row(uow, m.actions, action["id"], updates)
        self._after_action_change(uow, task, action, updated, change)
        return action_view(updated, repo.deliveries_of(uow, [updated["id"]]).get(updated["id"]))

    def _after_action_change(self, uow, task: dict, before: dict, after: dict, change: domain.ActionChange):
        customer_id = task["customer_id"]
        # Told of live work only: a draft assigned and skipped (or completed) in one PATCH is nothing to do.
        if (change.went_live or change.assignee_changed) and after["status"] in domain.LIVE_ACTION_STATUSES:
            self._notify_assignee(uow, after, customer_id, task["title"])
        if domain.never_live(after):  # a draft, or one discarded unseen: off the shared timeline (A4)
            return
        if change.went_live:
            self._timeline(uow, customer_id, "action_created", "action", after["id"],
                           f"{after['type'].replace('_', ' ').capitalize()} action added to '{task['title']}'")
        if before["status"] != after["status"]:
            self._timeline(uow, customer_id, "action_status_changed", "action", after["id"],
                           f"Action {after['type'].replace('_', ' ')} {before['status']} -> {after['status']}",
                           {"from": before["status"], "to": after["status"], "task_id": str(task["id"])})
        elif change.assignee_changed:
            self._timeline(uow, customer_id, "action_assigned", "action", after["id"],
                           "Action reassigned", {"assignee_user_id": str(after["assignee_user_id"])})
        if not change.completed:
            if after["status"] == "skipped":
                self._maybe_finish_workflow_task(uow, task)
            return
        if after["type"] in ("email", "sms"):
            sender = Sender(user_id=self.caller.user_id, email=self.caller.user_email)
            sms_to = (after["payload"].get("to") or self._main_phone(uow, customer_id)) if after["type"] == "sms" else None
            domain.check_sendable(after["type"], after["payload"], sms_to)
            notify.send_action(uow, after, customer_id, sender, sms_to)
        elif after["type"] == "internal_note":
            self._timeline(uow, customer_id, "note", "action", after["id"], after["payload"].get("text", "")[:500])
        elif after["type"] == "promise_to_pay":
            self._promise_from_action(uow, task, after)
        uow.publish(c.ActionCompleted(action=c.ActionView.model_validate(after)))
        self._maybe_finish_workflow_task(uow, task)

    def _main_phone(self, uow, customer_id) -> str | None:
        main = repo.main_contact(uow, customer_id)
        return main["phone"] if main else None

    @rpc
    def list_actions(self, status: str | None = None, type: str | None = None, due_before: str | None = None,
                     task_id: str | None = None, trigger_event_id: str | None = None, limit: int | None = None,
                     cursor: str | None = None) -> dict:
        with self.db.transaction(self.caller) as uow:
            cutoff = domain.due_cutoff(due_before, repo.tenant_settings(uow)["timezone"]) if due_before else None
            if trigger_event_id:  # a message's group by its timeline entry too (A5)
                trigger_event_id = self._trigger_of(uow, trigger_event_id) or trigger_event_id
            rows, next_cursor = repo.action_list(
                uow, viewer=self.caller.user_id, status=status, action_type=type, due_before=cutoff,
                task_id=task_id, trigger_event_id=trigger_event_id, limit=clamp_limit(limit), cursor=cursor)
            deliveries = repo.deliveries_of(uow, [r["id"] for r in rows])
            return {"items": [action_view(r, deliveries.get(r["id"])) for r in rows], "next_cursor": next_cursor}

    @reliable_event_handler("notifications", "delivery_status_changed")
    def on_delivery_status_changed(self, body):
        """E2: delivery states of a sent action, per recipient, as they arrive; each on the timeline."""
        envelope, data = receive("notifications", body, self.caller)
        ref = data.subject_ref
        # Only the action's own send: the in-app notice (and its email copy) telling the assignee
        # about the action is about the action too, but it is not a delivery of the action.
        if ref is None or ref.type != "action" or data.kind not in ACTION_SEND_KINDS:
            return
        with self.db.transaction(self.caller) as uow:
            if not uow.first_delivery("tasks.on_delivery_status_changed", str(envelope.event_id)):
                return
            # The task's lock first (task before action): a close at the same time either sees the
            # follow-up raised here, and skips it, or has committed, and none is raised.
            task = repo.lock_task_of_action(uow, ref.id)
            action = repo.get_action(uow, ref.id) if task is not None else None
            if action is None:
                return
            inserted = uow.execute(pg_insert(m.action_deliveries).values(
                id=uuid.uuid4(), tenant_id=uow.tenant_id, action_id=action["id"],
                notification_id=data.notification_id, channel=data.channel, recipient=data.recipient,
                state=data.state, occurred_at=data.occurred_at, reason=data.reason,
            ).on_conflict_do_nothing().returning(m.action_deliveries.c.id)).first()
            if inserted is None:  # the same state of the same recipient, reported twice
                return
            repo.add_timeline(uow, domain.TimelineEntry(
                task["customer_id"], "delivery_status", "action", action["id"],
                f"{data.channel.capitalize()} to {data.recipient}: {data.state}", None,
                {"state": data.state, "recipient": data.recipient, "reason": data.reason}), data.occurred_at)
            if domain.needs_follow_up(data.state):
                self._raise_bounce_action(uow, task, action, data)

    def _raise_bounce_action(self, uow, task: dict, action: dict, data) -> None:
        """A bounce that acts: the task's owner gets one action per failed send to fix the addresses and
        send again (a recipient failing later adds to it), and a notice. On a closed task (a workflow's
        closes as its email is completed) the notice still goes: no one else would hear of it."""
        line = (f"The {data.channel} to {data.recipient} {data.state}"
                f"{': ' + data.reason if data.reason else ''}.")
        subject = notify.action_subject(action, task["customer_id"])
        task_open = task["status"] in domain.OPEN_TASK_STATUSES
        if task_open:
            follow_up = repo.live_follow_up_of(uow, task["id"], action["id"])
            if follow_up is None:
                follow_up = repo.insert_row(uow, m.actions, {
                    "task_id": task["id"], "type": "generic", "status": "new", "assignee_user_id": task["owner_user_id"],
                    "created_by_user_id": None, "due_at": None, "trigger_event_id": None,
                    "payload": {"description": f"{line} Check the address and send again.",
                                "caused_by_action_id": str(action["id"])},
                    "created_at": uow.now, "updated_at": uow.now})
            else:
                described = follow_up["payload"]["description"]
                follow_up = repo.update_row(uow, m.actions, follow_up["id"], {
                    "payload": {**follow_up["payload"], "description": f"{line} {described}"[:20_000]},
                    "version": follow_up["version"] + 1, "updated_at": uow.now})
            subject = notify.action_subject(follow_up, task["customer_id"])
        notify.in_app(uow, kind="task_raised", user_id=task["owner_user_id"],
                      key=f"action:{action['id']}:{data.state}:{data.recipient}", title="A message did not arrive",
                      body=line if task_open else f"{line} (task {task['status']})",
                      subject=subject)
