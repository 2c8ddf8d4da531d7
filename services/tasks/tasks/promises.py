"""Promise to pay (C1-C5): a waiting task, Due Soon and Overdue timers, completion by payment.

Mixed into TasksService. Timers are the platform's durable timers, keyed by
promise id: moving a promise moves them, cancelling or keeping it removes them.
"""
from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from common.contracts import tasks as c
from common.contracts.notifications import SubjectRef
from common.errors import Conflict, NotFound, ValidationFailed
from common.rpc import rpc, validation_details
from common.timers import DueTimer, due_timer
from tasks import domain, models as m, notify, repository as repo
from tasks.views import view

DUE_SOON, OVERDUE = "promise_due_soon", "promise_overdue"


def promise_view(row: dict) -> dict:
    return view(c.PromiseView, row)


def promise_subject(promise: dict) -> SubjectRef:
    return SubjectRef(type="promise", id=promise["id"], customer_id=promise["customer_id"], task_id=promise["task_id"])


class PromiseEntrypoints:
    @rpc
    def record_promise(self, task_id: str, payload: dict) -> dict:
        cmd = c.PromiseCreate.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            replayed, result = uow.begin_request("record_promise")
            if replayed:
                return result
            source = repo.require_task(uow, task_id)
            result = promise_view(self._record_promise(uow, source, cmd))
            uow.finish_request(result)
            return result

    def _promise_from_action(self, uow, task: dict, action: dict) -> None:
        """A1: completing a promise-to-pay action starts the promise flow with its payload."""
        try:
            cmd = c.PromiseCreate.model_validate({k: action["payload"].get(k) for k in
                                                  ("amount", "currency", "promised_date", "invoice_ids")})
        except ValidationError as exc:
            raise ValidationFailed("a promise needs amount, currency, promised_date and invoice_ids",
                                   validation_details(exc)) from None
        self._record_promise(uow, task, cmd)

    def _record_promise(self, uow, source: dict, cmd: c.PromiseCreate) -> dict:
        # Its days are the tenant's: a time-zone change going on now is waited for, or it would miss this
        # promise (not yet committed) and leave it on the old zone's days.
        zone = repo.tenant_settings(uow, share=True)["timezone"]
        # The invoices' row locks serialise two promises recorded at once on the same invoice.
        customer, invoices = repo.require_customer_invoices(uow, source["customer_id"], cmd.invoice_ids, lock=True)
        if any(i["currency"] != cmd.currency for i in invoices):
            raise ValidationFailed("the promise's currency differs from its invoices'", code="CURRENCY_MISMATCH")
        domain.check_promise_date(cmd.promised_date, domain.tenant_today(uow.now, zone))
        domain.check_promise_amount(cmd.amount, domain.open_balance(invoices))
        existing = repo.open_promise_on_invoices(uow, cmd.invoice_ids)
        if existing is not None:
            # A payment to an invoice counts towards every open promise on it: two would both be kept by it.
            raise Conflict("an open promise already covers these invoices: move or cancel it first",
                           {"promise": promise_view(existing)}, code="PROMISE_EXISTS")
        schedule = domain.promise_schedule(cmd.promised_date, zone)
        task = repo.insert_row(uow, m.tasks, {
            "customer_id": customer["id"], "invoice_ids": cmd.invoice_ids,
            "title": f"Promise to pay {cmd.amount} {cmd.currency} by {cmd.promised_date.isoformat()}",
            "category": "promise_to_pay", "owner_user_id": customer["owner_user_id"],  # B4: the account owner
            "status": "waiting", "origin": "promise", "priority": 0, "due_at": schedule.overdue_at,
            "created_by_user_id": self.caller.user_id, "created_at": uow.now, "updated_at": uow.now})
        promise = repo.insert_row(uow, m.promises, {
            "task_id": task["id"], "source_task_id": source["id"], "customer_id": customer["id"],
            "amount": cmd.amount, "amount_received": Decimal("0"), "currency": cmd.currency,
            "promised_date": cmd.promised_date, "invoice_ids": cmd.invoice_ids, "status": "waiting",
            "due_soon_at": schedule.due_soon_at, "overdue_at": schedule.overdue_at,
            "created_at": uow.now, "updated_at": uow.now})
        self._schedule_promise(uow, promise)
        repo.add_timeline(uow, domain.TimelineEntry(
            customer["id"], "promise_recorded", "promise", promise["id"],
            f"Promise to pay {cmd.amount} {cmd.currency} by {cmd.promised_date.isoformat()}",
            self.caller.user_id, {"task_id": str(task["id"]), "source_task_id": str(source["id"])}))
        uow.publish(c.TaskCreated(task=c.TaskView.model_validate(task), action_ids=[]))
        uow.publish(c.PromiseRecorded(promise=c.PromiseView.model_validate(promise)))
        self._request_suggestions(uow, task, "promise", [])
        return promise

    def _schedule_promise(self, uow, promise: dict) -> None:
        key = str(promise["id"])
        uow.schedule(DUE_SOON, key, promise["due_soon_at"], {"promise_id": key})
        uow.schedule(OVERDUE, key, promise["overdue_at"], {"promise_id": key})

    def _reschedule_waiting_promises(self, uow, zone: str) -> None:
        """C2/C3: the tenant's time zone changed, so its days start at other instants: each waiting
        promise's Due Soon and Overdue move with them. A Due Soon that already fired stays fired."""
        schedules = []
        for promise in repo.waiting_promises(uow):
            schedule = domain.promise_schedule(promise["promised_date"], zone)
            schedules.append({"id": promise["id"], "task_id": promise["task_id"],
                              "due_soon_at": schedule.due_soon_at, "overdue_at": schedule.overdue_at})
        repo.set_promise_schedules(uow, schedules)
        uow.move_pending(DUE_SOON, [(str(s["id"]), s["due_soon_at"]) for s in schedules])
        uow.move_pending(OVERDUE, [(str(s["id"]), s["overdue_at"]) for s in schedules])

    def _cancel_timers(self, uow, promise: dict) -> None:
        uow.cancel(DUE_SOON, str(promise["id"]))
        uow.cancel(OVERDUE, str(promise["id"]))

    @rpc
    def update_promise(self, promise_id: str, payload: dict) -> dict:
        cmd = c.PromiseUpdate.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            # A retry after a lost reply (same Idempotency-Key) gets the first answer, not a 409 for
            # a change already made.
            return uow.once("update_promise", lambda: self._update_promise(uow, promise_id, cmd))

    def _update_promise(self, uow, promise_id: str, cmd) -> dict:
        # The zone first, shared (settings before promises): a time-zone change going on now is waited
        # for, or this move would land on the old zone's days.
        zone = repo.tenant_settings(uow, share=True)["timezone"]
        promise = repo.get_promise(uow, promise_id, lock=True)
        if promise is None:
            raise NotFound("promise not found", code="PROMISE_NOT_FOUND")
        if promise["status"] not in domain.OPEN_PROMISE_STATUSES:
            raise Conflict(f"the promise is {promise['status']}", code="ILLEGAL_TRANSITION")
        if cmd.status == "cancelled":
            updated = self._close_promise(uow, promise, "cancelled", "cancelled", "Promise cancelled",
                                          self.caller.user_id)
        elif cmd.promised_date is not None and cmd.promised_date != promise["promised_date"]:
            domain.check_promise_date(cmd.promised_date, domain.tenant_today(uow.now, zone))
            schedule = domain.promise_schedule(cmd.promised_date, zone)
            updated = repo.update_row(uow, m.promises, promise["id"], {
                "promised_date": cmd.promised_date, "due_soon_at": schedule.due_soon_at,
                "overdue_at": schedule.overdue_at, "status": "waiting", "updated_at": uow.now})
            repo.update_row(uow, m.tasks, promise["task_id"], {
                "due_at": schedule.overdue_at, "overdue_promise": False, "status": "waiting",
                "updated_at": uow.now})
            self._schedule_promise(uow, updated)  # moves both timers
            uow.publish(c.PromiseMoved(promise=c.PromiseView.model_validate(updated)))
            repo.add_timeline(uow, domain.TimelineEntry(
                promise["customer_id"], "promise_moved", "promise", promise["id"],
                f"Promise moved to {cmd.promised_date.isoformat()}", self.caller.user_id,
                {"from": promise["promised_date"].isoformat(), "to": cmd.promised_date.isoformat()}))
        else:
            return promise_view(promise)
        return promise_view(updated)

    def _close_promise(self, uow, promise: dict, promise_status: str, task_status: str, summary: str,
                       actor=None) -> dict:
        self._cancel_timers(uow, promise)
        updated = repo.update_row(uow, m.promises, promise["id"], {"status": promise_status, "updated_at": uow.now})
        uow.publish(c.PromiseClosed(promise=c.PromiseView.model_validate(updated)))
        repo.add_timeline(uow, domain.TimelineEntry(promise["customer_id"], f"promise_{promise_status}", "promise",
                                                    promise["id"], summary, actor))
        task = repo.get_task(uow, promise["task_id"])
        if task["status"] in domain.OPEN_TASK_STATUSES:
            # As any close: the task's open actions are skipped, and a completion is announced.
            self._close_task(uow, task, task_status, actor)
        return updated

    def _settle_promises_of_invoice(self, uow, invoice: dict) -> None:
        """C4: an invoice changed by its sender (marked paid or cancelled, or credited down to what was
        paid): a promise on it that can no longer be kept by a payment closes now, kept or cancelled,
        instead of going overdue for money no one owes."""
        for promise in repo.open_promises_on_invoice(uow, invoice["id"]):
            outcome = domain.promise_outcome_without_payment(repo.invoices_by_ids(uow, promise["invoice_ids"]))
            if outcome is not None:
                summary = ("Promise kept: its invoices were settled" if outcome == "kept"
                           else "Promise cancelled: its invoices were cancelled")
                self._close_promise(uow, promise, outcome, "completed" if outcome == "kept" else "cancelled", summary)

    def _apply_payment_to_promises(self, uow, customer_id, allocations) -> None:
        """C4: a payment that covers a promise completes it by itself."""
        applied = {a.invoice_id: a.applied for a in allocations}
        for promise in repo.open_promises_of_customer(uow, customer_id):
            received = sum((applied.get(i, Decimal("0")) for i in promise["invoice_ids"]), Decimal("0"))
            if not received:
                continue
            total = promise["amount_received"] + received
            promise = repo.update_row(uow, m.promises, promise["id"], {"amount_received": total,
                                                                       "updated_at": uow.now})
            if domain.promise_covered(promise["amount"], total):
                self._close_promise(uow, promise, "kept", "completed",
                                    f"Promise kept: {total} {promise['currency']} received")
            elif domain.promise_outcome_without_payment(repo.invoices_by_ids(uow, promise["invoice_ids"])) == "kept":
                # Less than promised, but all that its invoices still owed (a credit note came first).
                self._close_promise(uow, promise, "kept", "completed",
                                    f"Promise kept: {total} {promise['currency']} received, its invoices are paid")

    # ---- durable timers -------------------------------------------------------------
    def _alert_owner(self, uow, promise: dict, task: dict, kind: str, title: str, verb: str, summary: str):
        """The task owner's in-app alert (once per kind and promised date) and its timeline entry."""
        date = promise["promised_date"].isoformat()
        notify.in_app(uow, kind=kind, user_id=task["owner_user_id"], key=f"promise:{promise['id']}:{kind}:{date}",
                      title=title, body=f"{promise['amount']} {promise['currency']} {verb} {date}",
                      subject=promise_subject(promise))
        repo.add_timeline(uow, domain.TimelineEntry(promise["customer_id"], kind, "promise", promise["id"], summary))

    @due_timer(DUE_SOON)
    def on_promise_due_soon(self, timer: DueTimer):
        """C2: 24 h before the promised date, the owner is told (once)."""
        with self.db.timer_transaction(self.caller, timer) as uow:
            promise = repo.get_promise(uow, timer.payload["promise_id"], lock=True)
            if promise is not None and promise["status"] == "waiting":
                self._alert_owner(uow, promise, repo.get_task(uow, promise["task_id"]), DUE_SOON,
                                  "Promise to pay due soon", "promised for", "Due Soon reminder sent to the owner")

    @due_timer(OVERDUE)
    def on_promise_overdue(self, timer: DueTimer):
        """C3: the date passed without a covering payment: notify, and the task rises to the top."""
        with self.db.timer_transaction(self.caller, timer) as uow:
            promise = repo.get_promise(uow, timer.payload["promise_id"], lock=True)
            if promise is not None and promise["status"] == "waiting":
                overdue = repo.update_row(uow, m.promises, promise["id"], {"status": "overdue", "updated_at": uow.now})
                uow.publish(c.PromiseOverdue(promise=c.PromiseView.model_validate(overdue)))
                task = repo.update_row(uow, m.tasks, promise["task_id"], {"overdue_promise": True,
                                                                          "updated_at": uow.now})
                self._alert_owner(uow, promise, task, OVERDUE, "Promise to pay overdue", "was promised for",
                                  "Promise overdue: no covering payment")
