"""Entrypoints of the tasks service: validate -> domain -> persist -> publish."""
from __future__ import annotations

import uuid


from common.context import CallerContext
from common.contracts import tasks as c
from common.errors import NotFound
from common.observability import PlatformEndpoints
from common.pagination import clamp_limit
from common.rpc import rpc
from common.store import DatabaseProvider
from tasks import domain, models as m, repository as repo
from tasks.inbound import InboundEntrypoints


def view(model, row: dict) -> dict:
    return model.model_validate(row).model_dump(mode="json")


def not_found(what: str) -> NotFound:
    return NotFound(f"{what} not found", code=f"{what.upper()}_NOT_FOUND")


class TasksService(InboundEntrypoints, PlatformEndpoints):
    name = "tasks"

    db = DatabaseProvider()
    caller = CallerContext()

    # ---- customers ---------------------------------------------------------
    @rpc
    def create_customer(self, payload: dict) -> dict:
        """Creates a customer; with a known ``external_id`` it updates that one (upsert)."""
        cmd = c.CustomerCreate.model_validate(payload)
        values = cmd.model_dump(mode="json", exclude={"external_id"})
        values["owner_user_id"] = cmd.owner_user_id
        with self.db.transaction(self.caller) as uow:
            replayed, result = uow.begin_request("create_customer")
            if replayed:
                return result
            existing = repo.get_customer_by_external_id(uow, cmd.external_id) if cmd.external_id else None
            if existing:
                changes = domain.changed_fields(
                    {k: existing[k] for k in values}, {**values, "owner_user_id": cmd.owner_user_id})
                row = repo.update_row(uow, m.customers, existing["id"], {**values, "updated_at": uow.now})
                summary = "Customer updated"
            else:
                row = repo.insert_row(uow, m.customers, {
                    **values, "external_id": cmd.external_id, "created_at": uow.now, "updated_at": uow.now})
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
                uow.execute(m.contacts.update().where(m.contacts.c.customer_id == customer_id)
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
    def upsert_invoice(self, external_id: str, payload: dict) -> dict:
        cmd = c.InvoiceUpsert.model_validate(payload)
        values = cmd.model_dump()
        with self.db.transaction(self.caller) as uow:
            if repo.get_customer(uow, cmd.customer_id) is None:
                raise not_found("customer")
            existing = repo.get_invoice_by_external_id(uow, external_id, lock=True)
            if existing is None:
                row = repo.insert_row(uow, m.invoices, {
                    **values, "external_id": external_id, "amount_paid": 0,
                    "created_at": uow.now, "updated_at": uow.now})
                changes, summary = {}, f"Invoice {row['number']} issued"
            else:
                changes = domain.changed_fields({k: existing[k] for k in values}, values)
                if not changes:
                    return {"invoice": view(c.InvoiceView, existing), "created": False}
                row = repo.update_row(uow, m.invoices, existing["id"], {**values, "updated_at": uow.now})
                summary = f"Invoice {row['number']} updated"
            invoice = view(c.InvoiceView, row)
            repo.add_timeline(uow, domain.TimelineEntry(
                row["customer_id"], "invoice_upserted", "invoice", row["id"], summary, self.caller.user_id,
                {"changes": {k: [str(v[0]), str(v[1])] for k, v in changes.items()}} if changes else {}))
            uow.publish(c.InvoiceUpserted(invoice=invoice, created=existing is None))
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
            if repo.get_customer(uow, cmd.customer_id) is None:
                raise not_found("customer")
            invoices = repo.invoices_by_ids(uow, cmd.invoice_ids, lock=True)
            if len(invoices) != len(set(cmd.invoice_ids)) or any(i["customer_id"] != cmd.customer_id
                                                                 for i in invoices):
                raise not_found("invoice")
            plan = domain.allocate_payment(cmd.amount, cmd.currency, [
                domain.InvoiceBalance(i["id"], i["amount"], i["amount_paid"], i["currency"], i["status"])
                for i in invoices])
            row = repo.insert_row(uow, m.payments, {**cmd.model_dump(), "created_at": uow.now})
            payment = view(c.PaymentView, row)
            for alloc in plan.allocations:
                updated = repo.update_row(uow, m.invoices, alloc.invoice_id, {
                    "amount_paid": alloc.amount_paid, "status": alloc.status, "updated_at": uow.now})
                uow.publish(c.InvoiceUpserted(invoice=view(c.InvoiceView, updated), created=False))
            repo.add_timeline(uow, domain.TimelineEntry(
                cmd.customer_id, "payment_recorded", "payment", row["id"],
                f"Payment of {payment['amount']} {cmd.currency} received", self.caller.user_id,
                {"allocations": [{"invoice_id": str(a.invoice_id), "applied": str(a.applied), "status": a.status}
                                 for a in plan.allocations], "unallocated": str(plan.unallocated)}),
                occurred_at=cmd.paid_at)
            uow.publish(c.PaymentRecorded(payment=payment))
            result = {**payment, "unallocated": str(plan.unallocated)}
            uow.finish_request(result)
            return result

    # ---- tasks ----------------------------------------------------------------
    @rpc
    def create_task(self, payload: dict) -> dict:
        cmd = c.TaskCreate.model_validate(payload)
        user = self.caller.user_id
        with self.db.transaction(self.caller) as uow:
            replayed, result = uow.begin_request("create_task")
            if replayed:
                return result
            if repo.get_customer(uow, cmd.customer_id) is None:
                raise not_found("customer")
            invoices = repo.invoices_by_ids(uow, cmd.invoice_ids)
            if len(invoices) != len(set(cmd.invoice_ids)) or any(i["customer_id"] != cmd.customer_id
                                                                 for i in invoices):
                raise not_found("invoice")
            task = repo.insert_row(uow, m.tasks, {
                "customer_id": cmd.customer_id, "invoice_ids": cmd.invoice_ids, "title": cmd.title,
                "category": cmd.category, "owner_user_id": cmd.assignee_user_id,  # B4: manual -> the assignee
                "status": "open", "origin": "manual", "priority": 0, "due_at": None,
                "created_by_user_id": user, "created_at": uow.now, "updated_at": uow.now})
            action_ids = []
            for spec in cmd.actions:
                action = repo.insert_row(uow, m.actions, {
                    "task_id": task["id"], "type": spec.type,
                    "status": domain.initial_action_status(spec.assignee_user_id),
                    "assignee_user_id": spec.assignee_user_id, "created_by_user_id": user,
                    "due_at": spec.due_at, "trigger_event_id": None, "payload": spec.payload,
                    "created_at": uow.now, "updated_at": uow.now})
                action_ids.append(action["id"])
            repo.add_timeline(uow, domain.TimelineEntry(
                cmd.customer_id, "task_created", "task", task["id"], f"Task created: {cmd.title}", user,
                {"origin": "manual", "action_count": len(action_ids)}))
            task_view = view(c.TaskView, task)
            uow.publish(c.TaskCreated(task=task_view, action_ids=action_ids))
            result = self._case_file(uow, task)
            uow.finish_request(result)
            return result

    @rpc
    def get_task(self, task_id: str) -> dict:
        with self.db.transaction(self.caller) as uow:
            task = repo.get_task(uow, task_id)
            if task is None:
                raise not_found("task")
            return self._case_file(uow, task)

    def _case_file(self, uow, task: dict) -> dict:
        customer = repo.get_customer(uow, task["customer_id"])
        actions = domain.visible_actions(repo.actions_of(uow, task["id"]), self.caller.user_id)
        sections = domain.section_actions(actions)
        return c.CaseFileView(
            task=c.TaskView.model_validate(task),
            customer=c.CustomerView.model_validate(customer),
            invoices=[c.InvoiceView.model_validate(i) for i in repo.invoices_by_ids(uow, task["invoice_ids"])],
            action_groups=[c.ActionGroupView(trigger_event_id=t, actions=[c.ActionView.model_validate(a) for a in g])
                           for t, g in sections.groups.items()],
            pending_actions=[c.ActionView.model_validate(a) for a in sections.pending],
            timeline=[c.TimelineEntryView.model_validate(e) for e in repo.recent_timeline(uow, task["customer_id"])],
        ).model_dump(mode="json")

    @rpc
    def customer_timeline(self, customer_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.transaction(self.caller) as uow:
            if repo.get_customer(uow, customer_id) is None:
                raise not_found("customer")
            rows, next_cursor = repo.timeline_page(uow, customer_id, clamp_limit(limit), cursor)
            return {"items": [view(c.TimelineEntryView, r) for r in rows], "next_cursor": next_cursor}
