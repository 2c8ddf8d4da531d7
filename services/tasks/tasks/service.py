"""Entrypoints of the tasks service: validate -> domain -> persist -> publish."""
from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import update

from common.context import CallerContext
from common.contracts import tasks as c
from common.errors import Conflict, Forbidden, NotFound
from common.observability import PlatformEndpoints
from common.pagination import clamp_limit
from common.rpc import rpc
from common.db import retry_on_key_race
from common.store import DatabaseProvider
from tasks import domain, models as m, repository as repo
from tasks.actions import ActionEntrypoints
from tasks import views
from tasks.views import view
from tasks.promises import PromiseEntrypoints
from tasks.inbound import InboundEntrypoints


def not_found(what: str) -> NotFound:
    return NotFound(f"{what} not found", code=f"{what.upper()}_NOT_FOUND")


class TasksService(InboundEntrypoints, ActionEntrypoints, PromiseEntrypoints, PlatformEndpoints):
    name = "tasks"

    db = DatabaseProvider()
    caller = CallerContext()

    # ---- customers ---------------------------------------------------------
    @rpc
    @retry_on_key_race
    def create_customer(self, payload: dict) -> dict:
        """Creates a customer; with a known ``external_id`` it updates that one (upsert)."""
        cmd = c.CustomerCreate.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            replayed, result = uow.begin_request("create_customer")
            if replayed:
                return result
            existing = repo.get_customer_by_external_id(uow, cmd.external_id) if cmd.external_id else None
            if existing:
                # An update writes what the sender sent: a field it leaves out (a time zone, a location)
                # keeps its value rather than going back to the default. Compared as JSON, as stored.
                sent = cmd.model_dump(mode="json", exclude={"external_id"}, exclude_unset=True)
                before = c.CustomerView.model_validate(existing).model_dump(mode="json")
                changes = domain.changed_fields({k: before[k] for k in sent}, sent)
                if not changes:
                    result = {"customer": view(c.CustomerView, existing), "created": False}
                    uow.finish_request(result)
                    return result
                row = repo.update_row(uow, m.customers, existing["id"], {
                    **{k: getattr(cmd, k) if k == "owner_user_id" else sent[k] for k in changes},
                    "updated_at": uow.now})
                summary = "Customer updated"
            else:
                values = cmd.model_dump(mode="json", exclude={"external_id"})
                row = repo.insert_row(uow, m.customers, {
                    **values, "owner_user_id": cmd.owner_user_id, "external_id": cmd.external_id,
                    "created_at": uow.now, "updated_at": uow.now})
                changes = {}
                summary = f"Customer {row['name']} created"
            customer = view(c.CustomerView, row)
            if existing is None or changes:
                repo.add_timeline(uow, domain.TimelineEntry(
                    row["id"], "customer_upserted", "customer", row["id"], summary,
                    self.caller.user_id, {"changes": changes} if changes else {}))
                uow.publish(c.CustomerUpserted(customer=customer, created=existing is None))
            result = {"customer": customer, "created": existing is None}
            uow.finish_request(result)
            return result

    @rpc
    def get_customer(self, customer_id: str) -> dict:
        with self.db.transaction(self.caller) as uow:
            row = repo.get_customer(uow, customer_id)
            if row is None:
                raise not_found("customer")
            return {**view(c.CustomerView, row),
                    "contacts": [view(c.ContactView, r) for r in repo.contacts_of(uow, customer_id)]}

    @rpc
    def add_contact(self, customer_id: str, payload: dict) -> dict:
        cmd = c.ContactCreate.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            replayed, result = uow.begin_request("add_contact")
            if replayed:
                return result
            if repo.get_customer(uow, customer_id) is None:
                raise not_found("customer")
            if cmd.is_main:
                # Two main contacts added at once take turns: each unsets the other's flag, never both kept.
                repo.lock_customer(uow, customer_id)
                uow.execute(m.contacts.update().where(m.contacts.c.customer_id == customer_id, m.contacts.c.is_main)
                            .values(is_main=False))
            row = repo.insert_row(uow, m.contacts, {
                **cmd.model_dump(mode="json"), "customer_id": customer_id, "created_at": uow.now})
            repo.add_timeline(uow, domain.TimelineEntry(
                uuid.UUID(customer_id), "contact_added", "contact", row["id"],
                f"Contact {row['name']} added", self.caller.user_id))
            result = view(c.ContactView, row)
            uow.finish_request(result)
            return result

    # ---- invoices and payments ----------------------------------------------
    @rpc
    @retry_on_key_race
    def upsert_invoice(self, external_id: str, payload: dict) -> dict:
        cmd = c.InvoiceUpsert.model_validate(payload)
        values = cmd.model_dump()
        with self.db.transaction(self.caller) as uow:
            if repo.get_customer(uow, cmd.customer_id) is None:
                raise not_found("customer")
            existing = repo.get_invoice_by_external_id(uow, external_id, lock=True)
            if existing is not None:
                # The invoice is locked: no promise can be recorded on it meanwhile (invoice before promises).
                domain.check_invoice_change(existing, cmd.customer_id, cmd.currency, promised=bool(
                    cmd.currency != existing["currency"] and repo.open_promises_on_invoice(uow, existing["id"])))
            values["status"] = domain.invoice_status(
                cmd.status, existing and existing["status"], cmd.amount,
                existing["amount_paid"] if existing else Decimal("0"),
                paid_elsewhere=bool(existing) and existing["status"] == "paid"
                and existing["amount_paid"] < existing["amount"])
            if existing is None:
                row = repo.insert_row(uow, m.invoices, {
                    **values, "external_id": external_id, "amount_paid": 0,
                    "created_at": uow.now, "updated_at": uow.now})
                changes, summary = {}, f"Invoice {row['number']} issued"
            else:
                changes = domain.changed_fields({k: existing[k] for k in values}, values)
                if not changes:
                    return {"invoice": view(c.InvoiceView, existing), "created": False}
                row = repo.update_row(uow, m.invoices, existing["id"], {
                    **values, "updated_at": domain.changed_at(uow.now, existing["updated_at"])})
                summary = f"Invoice {row['number']} updated"
            invoice = view(c.InvoiceView, row)
            repo.add_timeline(uow, domain.TimelineEntry(
                row["customer_id"], "invoice_upserted", "invoice", row["id"], summary, self.caller.user_id,
                {"changes": {k: [str(v[0]), str(v[1])] for k, v in changes.items()}} if changes else {}))
            uow.publish(c.InvoiceUpserted(invoice=invoice, created=existing is None))
            if existing is not None and (row["status"] != "open" or "amount" in changes):
                self._settle_promises_of_invoice(uow, row)
            return {"invoice": invoice, "created": existing is None}

    @rpc
    def get_invoice(self, external_id: str) -> dict:
        with self.db.transaction(self.caller) as uow:
            row = repo.get_invoice_by_external_id(uow, external_id)
            if row is None:
                raise not_found("invoice")
            return view(c.InvoiceView, row)

    @rpc
    def record_payment(self, payload: dict) -> dict:
        cmd = c.PaymentCreate.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            replayed, result = uow.begin_request("record_payment")
            if replayed:
                return result
            domain.check_paid_at(cmd.paid_at, uow.now)
            _, invoices = repo.require_customer_invoices(uow, cmd.customer_id, cmd.invoice_ids, lock=True)
            plan = domain.allocate_payment(cmd.amount, cmd.currency, [
                domain.InvoiceBalance(i["id"], i["amount"], i["amount_paid"], i["currency"], i["status"])
                for i in invoices])
            row = repo.insert_row(uow, m.payments, {**cmd.model_dump(), "created_at": uow.now})
            payment = view(c.PaymentView, row)
            last_changed = {i["id"]: i["updated_at"] for i in invoices}
            for alloc in plan.allocations:
                updated = repo.update_row(uow, m.invoices, alloc.invoice_id, {
                    "amount_paid": alloc.amount_paid, "status": alloc.status,
                    "updated_at": domain.changed_at(uow.now, last_changed[alloc.invoice_id])})
                uow.publish(c.InvoiceUpserted(invoice=view(c.InvoiceView, updated), created=False))
            repo.add_timeline(uow, domain.TimelineEntry(
                cmd.customer_id, "payment_recorded", "payment", row["id"],
                f"Payment of {payment['amount']} {cmd.currency} received", self.caller.user_id,
                {"allocations": [{"invoice_id": str(a.invoice_id), "applied": str(a.applied), "status": a.status}
                                 for a in plan.allocations], "unallocated": str(plan.unallocated)}),
                occurred_at=cmd.paid_at)
            self._apply_payment_to_promises(uow, cmd.customer_id, plan.allocations)
            uow.publish(c.PaymentRecorded(payment=payment))
            result = {**payment, "unallocated": str(plan.unallocated)}
            uow.finish_request(result)
            return result

    # ---- tasks ----------------------------------------------------------------
    @rpc
    def create_task(self, payload: dict, force: bool = False) -> dict:
        """Manual creation (B3/B4): refuses a duplicate open task unless ``force``."""
        cmd = c.TaskCreate.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            replayed, result = uow.begin_request("create_task")
            if replayed:
                return result
            # Two creations at once for one customer take turns, so the second sees the first (B3).
            repo.lock_customer(uow, cmd.customer_id)
            repo.require_customer_invoices(uow, cmd.customer_id, cmd.invoice_ids)
            duplicate = domain.find_duplicate(repo.open_tasks_of_customer(uow, cmd.customer_id), cmd.invoice_ids)
            if duplicate is not None and not force:
                raise Conflict("an open task of this customer already covers these invoices; "
                               "repeat with force=true to create another", {"task": view(c.TaskView, duplicate)},
                               code="DUPLICATE_TASK")
            task = self._new_task(uow, cmd.customer_id, cmd.invoice_ids, cmd.title, cmd.category,
                                  owner=cmd.assignee_user_id, origin="manual")  # B4: manual -> the assignee
            actions = [self._insert_action(uow, task, spec) for spec in cmd.actions]
            uow.publish(c.TaskCreated(task=c.TaskView.model_validate(task), action_ids=[a["id"] for a in actions]))
            self._request_suggestions(uow, task, "manual", [a["type"] for a in actions])
            result = self._case_file(uow, task)
            uow.finish_request(result)
            return result

    def _new_task(self, uow, customer_id, invoice_ids, title, category, *, owner, origin, **extra) -> dict:
        task = repo.insert_row(uow, m.tasks, {
            "customer_id": customer_id, "invoice_ids": list(invoice_ids), "title": title, "category": category,
            "owner_user_id": owner, "status": "open", "origin": origin, "priority": 0, "due_at": None,
            "created_by_user_id": self.caller.user_id, "created_at": uow.now, "updated_at": uow.now, **extra})
        repo.add_timeline(uow, domain.TimelineEntry(
            customer_id, "task_created", "task", task["id"], f"Task created: {title}", self.caller.user_id,
            {"origin": origin, "owner_user_id": str(owner)}))
        return task

    @rpc
    def create_task_from_workflow(self, payload: dict) -> dict:
        """B2: one pre-set action, no AI suggestions; ``task_completed`` reports back when it is done."""
        cmd = c.WorkflowTaskCreate.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            replayed, result = uow.begin_request("create_task_from_workflow")
            if replayed:
                return result
            repo.require_customer_invoices(uow, cmd.customer_id, cmd.invoice_ids)
            task = self._new_task(uow, cmd.customer_id, cmd.invoice_ids, cmd.title, cmd.category,
                                  owner=cmd.owner_user_id, origin="workflow",  # B4: the step's user
                                  workflow_ref=cmd.workflow_ref, wait_for_completion=cmd.wait_for_completion)
            spec = cmd.action.model_copy(update={"assignee_user_id": cmd.action.assignee_user_id or cmd.owner_user_id})
            action = self._insert_action(uow, task, spec)
            uow.publish(c.TaskCreated(task=c.TaskView.model_validate(task), action_ids=[action["id"]]))
            result = self._case_file(uow, task)
            uow.finish_request(result)
            return result

    def _maybe_finish_workflow_task(self, uow, task: dict) -> None:
        """B2: a workflow's task is done when its pre-set action, and any live action added since, is
        closed. A draft does not hold it open: only its creator sees it, and closing skips it."""
        if task["origin"] != "workflow" or task["status"] not in domain.OPEN_TASK_STATUSES:
            return
        if not domain.left_open(a for a in repo.actions_of(uow, task["id"]) if a["status"] != "draft"):
            self._close_task(uow, task, "completed", self.caller.user_id)

    def _close_task(self, uow, task: dict, status: str, actor) -> dict:
        """Close an open task: what it still holds open is skipped, the timeline says who closed it, and
        a completion is announced (a waiting workflow step hears of it)."""
        updated = repo.update_row(uow, m.tasks, task["id"], {
            "status": status, "overdue_promise": False, "closed_at": uow.now,
            "closed_by_user_id": actor, "updated_at": uow.now})
        still_open = domain.left_open(repo.actions_of(uow, task["id"]))
        done = repo.skip_actions(uow, [a["id"] for a in still_open], uow.now)
        # Drafts were never on the shared timeline (A4): only live actions are named there.
        skipped = [str(a["id"]) for a in still_open if a["id"] in done and a["status"] != "draft"]
        repo.add_timeline(uow, domain.TimelineEntry(
            task["customer_id"], "task_status_changed", "task", task["id"],
            f"Task {status}: {task['title']}" + (f" ({len(skipped)} open actions skipped)" if skipped else ""),
            actor, {"from": task["status"], "to": status, **({"skipped_actions": skipped} if skipped else {})}))
        event = c.TaskCompleted if status == "completed" else c.TaskCancelled
        uow.publish(event(task=c.TaskView.model_validate(updated), workflow_ref=task["workflow_ref"] or {}))
        return updated

    @rpc
    def update_task(self, task_id: str, payload: dict) -> dict:
        cmd = c.TaskUpdate.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            # A retry after a lost reply (same Idempotency-Key) gets the first answer, not a 409 for
            # a change already made.
            return uow.once("update_task", lambda: self._update_task(uow, task_id, cmd))

    def _update_task(self, uow, task_id: str, cmd) -> dict:
        fields = cmd.model_fields_set - {"status"}
        # A promise's row is locked before its task's, as payments and the promise timers lock them:
        # the other order deadlocked with a covering payment arriving while the user completed it.
        promise = repo.get_promise(uow, task_id=task_id, lock=True)  # None unless it is a promise's task
        task = repo.require_task(uow, task_id, lock=True)
        # Only what really changes is written and goes on the timeline: resending a field's value is no change.
        changes = domain.changed_fields(task, {f: getattr(cmd, f) for f in fields})
        if "owner_user_id" in changes and not domain.can_hand_over(task, self.caller.user_id, self.caller.role):
            raise Forbidden("only the task's owner or an admin can hand it over")
        if promise is not None and "due_at" in changes:  # a promise task is due when its promise is
            raise Conflict("a promise's task is due on the promised day: move the promise instead",
                           {"promise_id": str(promise["id"])}, code="PROMISE_DATE_FIXED")
        if changes:
            task = repo.update_row(uow, m.tasks, task["id"],
                                   {**{f: new for f, (_, new) in changes.items()}, "updated_at": uow.now})
            moved = []
            if "owner_user_id" in changes:  # handed over: the work the owner held goes with the task
                moved = repo.reassign_live_actions(uow, task["id"], *changes["owner_user_id"])
                for action in moved:
                    self._notify_assignee(uow, action, task["customer_id"], task["title"])
            repo.add_timeline(uow, domain.TimelineEntry(
                task["customer_id"], "task_updated", "task", task["id"], "Task updated", self.caller.user_id,
                {"fields": sorted(changes), **({"reassigned_actions": [str(a["id"]) for a in moved]} if moved else {})}))
        if cmd.status and cmd.status != task["status"]:
            if task["status"] not in domain.OPEN_TASK_STATUSES or cmd.status == "open":
                raise Conflict(f"a {task['status']} task cannot become {cmd.status}", code="ILLEGAL_TRANSITION")
            if promise is not None and promise["status"] in domain.OPEN_PROMISE_STATUSES:
                # C4: marking the promise task completed closes the promise (and its timers).
                self._close_promise(uow, promise, "completed" if cmd.status == "completed" else "cancelled",
                                    cmd.status, f"Promise {cmd.status} by a user", self.caller.user_id)
                task = repo.get_task(uow, task["id"])
            else:
                task = self._close_task(uow, task, cmd.status, self.caller.user_id)
        return self._case_file(uow, task)

    @rpc
    def list_tasks(self, assignee: str | None = None, status: str | None = None, customer_id: str | None = None,
                   category: str | None = None, limit: int | None = None, cursor: str | None = None) -> dict:
        """C5: the caller's queue (or ``assignee``'s), overdue promises first, then due date, then priority."""
        items, next_cursor = repo.task_queue(  # one statement: a read of its own, one round trip
            self.db.reader(self.caller), owner=assignee or self.caller.user_id, status=status,
            customer_id=customer_id, category=category, limit=clamp_limit(limit), cursor=cursor)
        return {"items": items, "next_cursor": next_cursor}

    @rpc
    def get_settings(self) -> dict:
        with self.db.transaction(self.caller) as uow:
            return repo.tenant_settings(uow)

    @rpc
    def update_settings(self, payload: dict) -> dict:
        cmd = c.SettingsUpdate.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            before = repo.lock_tenant_settings(uow, self.caller.user_id)
            values = {**before, **cmd.model_dump(exclude_none=True)}
            if values == before:
                return values
            uow.execute(update(m.tenant_settings).where(m.tenant_settings.c.tenant_id == uow.tenant_id).values(
                **values, updated_at=uow.now, updated_by_user_id=self.caller.user_id))
            if values["timezone"] != before["timezone"]:
                self._reschedule_waiting_promises(uow, values["timezone"])
            return values

    @rpc
    def get_task(self, task_id: str) -> dict:
        with self.db.transaction(self.caller) as uow:
            rows = repo.case_file_rows(uow, task_id)
            if rows is None:
                raise not_found("task")
            return views.case_file(**rows, viewer=self.caller.user_id)

    def _case_file(self, uow, task: dict) -> dict:
        return views.case_file(**repo.case_file_rows(uow, task["id"]), viewer=self.caller.user_id)

    @rpc
    def customer_timeline(self, customer_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.transaction(self.caller) as uow:
            if repo.get_customer(uow, customer_id) is None:
                raise not_found("customer")
            rows, next_cursor = repo.timeline_page(uow, customer_id, clamp_limit(limit), cursor)
            return {"items": [view(c.TimelineEntryView, r) for r in rows], "next_cursor": next_cursor}
