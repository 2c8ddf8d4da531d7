"""Inbound communications in the tasks service (B1): receive, match, publish for triage; apply decisions.

A mixin of entrypoints that ``TasksService`` inherits, kept apart from the rest of the service:
- ``receive_communication`` stores the message (idempotent per channel + provider id), matches the sender
  to a contact and customer; matched -> ``communication_received`` with the context triage needs (open
  tasks, invoices, recent timeline, the tenant's B5 switch), unmatched -> the unmatched list;
- ``on_triage_decided`` links to or creates the task (origin inbound, owner = account owner, B4), puts the
  communication on the timeline, and records the suggested actions grouped under it (A5);
- ``_request_suggestions`` / ``on_actions_suggested``: the AI's first actions for a task made by hand or
  by a promise (B3), while the tenant has them on (B5);
- ``draft_context`` / ``store_draft_reply`` back the AI-drafted reply email (A1).
"""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import Column, DateTime, Text, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB, UUID

from common.contracts import tasks as c
from common.contracts.triage import (CommunicationReceived, InboundCommunication, InvoiceSummary,
                                     OpenTaskSummary, SuggestionsRequested, TimelineSummary)
from common.db import retry_on_key_race
from common.errors import Conflict, NotFound
from common.events import receive, reliable_event_handler
from common.pagination import clamp_limit, decode_cursor, encode_cursor, identifier, moment
from common.rpc import rpc
from tasks import domain, inbound_domain as rules, models as m, repository as repo

log = logging.getLogger(__name__)

communications = m._tenant_table(
    "communications",
    Column("channel", Text, nullable=False), Column("external_id", Text, nullable=False),
    Column("from_address", Text, nullable=False), Column("to_address", Text), Column("subject", Text),
    Column("body", Text, nullable=False), Column("received_at", DateTime(timezone=True), nullable=False),
    Column("customer_id", UUID(as_uuid=True)), Column("contact_id", UUID(as_uuid=True)),
    Column("status", Text, nullable=False), Column("task_id", UUID(as_uuid=True)), Column("decision", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False), Column("decided_at", DateTime(timezone=True)),
)
OPEN_TASKS_IN_CONTEXT = 20
TIMELINE_IN_CONTEXT = 10


def communication_view(row: dict) -> dict:
    return {"id": str(row["id"]), "channel": row["channel"], "external_id": row["external_id"],
            "from": row["from_address"], "to": row["to_address"], "subject": row["subject"], "body": row["body"],
            "received_at": row["received_at"].isoformat(),
            "customer_id": str(row["customer_id"]) if row["customer_id"] else None,
            "contact_id": str(row["contact_id"]) if row["contact_id"] else None,
            "status": row["status"], "matched": row["customer_id"] is not None,
            "task_id": str(row["task_id"]) if row["task_id"] else None, "decision": row["decision"],
            "created_at": row["created_at"].isoformat(),
            "decided_at": row["decided_at"].isoformat() if row["decided_at"] else None}


def _rows(result) -> list[dict]:
    return [dict(r) for r in result.mappings()]


# What triage is told of a customer, for an inbound message (B1) and for a new task (B3) alike.
def _invoice_summaries(invoices: list[dict]) -> list[InvoiceSummary]:
    return [InvoiceSummary(id=x["id"], number=x["number"], amount=x["amount"], currency=x["currency"],
                           due_date=x["due_date"], status=x["status"]) for x in invoices]


def _timeline_summaries(uow, customer_id) -> list[TimelineSummary]:
    return [TimelineSummary(kind=e["kind"], occurred_at=e["occurred_at"], summary=e["summary"])
            for e in repo.recent_timeline(uow, customer_id, TIMELINE_IN_CONTEXT)]


class InboundEntrypoints:
    # ---- receive -----------------------------------------------------------------------------------
    @rpc
    @retry_on_key_race  # a provider redelivering a message at once: the second finds the first, a duplicate
    def receive_communication(self, payload: dict) -> dict:
        cmd = InboundCommunication.model_validate(payload)
        with self.db.transaction(self.caller) as uow:
            replayed, result = uow.begin_request("receive_communication")
            if replayed:
                return result
            existing = repo._row(uow.execute(select(communications).where(
                communications.c.channel == cmd.channel, communications.c.external_id == cmd.external_id)))
            if existing:  # the provider delivered the same message again
                result = {**self._receipt(existing), "duplicate": True}
                uow.finish_request(result)  # a keyed replay of this answer gets this answer
                return result
            contact = self._match(uow, cmd)
            row = repo.insert_row(uow, communications, {
                "channel": cmd.channel, "external_id": cmd.external_id, "from_address": cmd.from_address,
                "to_address": cmd.to_address, "subject": cmd.subject, "body": cmd.body,
                "received_at": cmd.received_at, "customer_id": contact["customer_id"] if contact else None,
                "contact_id": contact["id"] if contact else None,
                "status": "pending" if contact else "unmatched", "created_at": uow.now})
            if contact:
                uow.publish(self._context(uow, row))
            result = {**self._receipt(row), "duplicate": False}
            uow.finish_request(result)
            return result

    @staticmethod
    def _receipt(row: dict) -> dict:
        return {"communication_id": str(row["id"]), "status": row["status"],
                "customer_id": str(row["customer_id"]) if row["customer_id"] else None}

    def _match(self, uow, cmd: InboundCommunication) -> dict | None:
        sender = rules.normalise_sender(cmd.channel, cmd.from_address)
        if sender.kind == "email":
            where = func.lower(m.contacts.c.email) == sender.value
        elif sender.kind == "phone":
            where = m.contacts.c.phone == sender.value
        else:
            return None
        return rules.pick_contact(_rows(uow.execute(select(m.contacts).where(where).limit(50))))

    def _context(self, uow, comm: dict) -> CommunicationReceived:
        customer = repo.get_customer(uow, comm["customer_id"])
        t = m.tasks
        tasks = _rows(uow.execute(select(t).where(t.c.customer_id == customer["id"],
                                                  t.c.status.in_(rules.OPEN_TASK_STATUSES))
                                  .order_by(t.c.updated_at.desc()).limit(OPEN_TASKS_IN_CONTEXT)))
        i = m.invoices
        invoices = _rows(uow.execute(select(i).where(i.c.customer_id == customer["id"])
                                     .order_by(i.c.due_date.desc()).limit(100)))
        numbers = {inv["id"]: inv["number"] for inv in invoices}
        settings = repo.tenant_settings(uow)
        return CommunicationReceived(
            communication_id=comm["id"], channel=comm["channel"], from_address=comm["from_address"],
            to_address=comm["to_address"], subject=comm["subject"], body=comm["body"],
            received_at=comm["received_at"], customer_id=customer["id"], customer_name=customer["name"],
            contact_id=comm["contact_id"],
            open_tasks=[OpenTaskSummary(id=x["id"], title=x["title"], category=x["category"], status=x["status"],
                                        invoice_numbers=[numbers[n] for n in x["invoice_ids"] if n in numbers],
                                        last_activity_at=x["updated_at"]) for x in tasks],
            invoices=_invoice_summaries([x for x in invoices if x["status"] in domain.OPEN_INVOICE_STATUSES][:50]),
            recent_timeline=_timeline_summaries(uow, customer["id"]),
            ai_suggestions_enabled=bool(settings["ai_suggestions"]))

    # ---- read --------------------------------------------------------------------------------------
    @rpc
    def get_communication(self, communication_id: str) -> dict:
        with self.db.transaction(self.caller) as uow:
            row = repo._row(uow.execute(select(communications).where(communications.c.id == communication_id)))
            if row is None:
                raise NotFound("communication not found", code="COMMUNICATION_NOT_FOUND")
            return communication_view(row)

    @rpc
    def list_communications(self, unmatched: bool | None = None, limit: int | None = None,
                            cursor: str | None = None) -> dict:
        limit = clamp_limit(limit)
        k = communications
        query = select(k)
        if unmatched is True:
            query = query.where(k.c.status == "unmatched")
        elif unmatched is False:
            query = query.where(k.c.status != "unmatched")
        after = decode_cursor(cursor, (moment, identifier))
        if after:
            query = query.where(tuple_(k.c.created_at, k.c.id) < tuple_(
                func.cast(after[0], k.c.created_at.type), func.cast(after[1], k.c.id.type)))
        with self.db.transaction(self.caller) as uow:
            rows = _rows(uow.execute(query.order_by(k.c.created_at.desc(), k.c.id.desc()).limit(limit + 1)))
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_cursor([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])])
        return {"items": [communication_view(r) for r in rows], "next_cursor": next_cursor}

    # ---- apply a decision --------------------------------------------------------------------------
    @reliable_event_handler("triage", "triage_decided")
    def on_triage_decided(self, body):
        envelope, data = receive("triage", body, self.caller)
        with self.db.transaction(self.caller) as uow:
            if not uow.first_delivery("tasks.on_triage_decided", str(envelope.event_id)):
                return
            # B5 as it stands when the decision lands: a switch-off committing meanwhile waits for this (or
            # this for it). Settings first, as every path that takes them (README, lock order).
            settings = repo.tenant_settings(uow, share=True)
            comm = repo._row(uow.execute(select(communications).where(
                communications.c.id == data.communication_id).with_for_update()))
            if comm is None or comm["status"] == "decided":
                return
            if comm["customer_id"] is None or str(comm["customer_id"]) != str(data.customer_id):
                log.warning("decision for another customer than the communication's; ignored",
                            extra={"communication_id": str(comm["id"])})
                return
            customer = repo.get_customer(uow, comm["customer_id"])
            # Locked, as a close locks it: actions are never added to a task closing at the same moment.
            linked = repo.get_task(uow, data.task_id, lock=True) if data.task_id else None
            invoices = _rows(uow.execute(select(m.invoices).where(m.invoices.c.customer_id == customer["id"])))
            decision = data.model_dump(mode="json")
            plan = rules.plan_decision(decision, customer["id"], linked, invoices, bool(settings["ai_suggestions"]))
            if plan.link_task_id:
                task = repo.update_row(uow, m.tasks, plan.link_task_id, {"updated_at": uow.now})
            else:
                task = repo.insert_row(uow, m.tasks, {
                    "customer_id": customer["id"], "invoice_ids": plan.invoice_ids, "title": plan.title,
                    "category": plan.category, "owner_user_id": customer["owner_user_id"],  # B4: inbound
                    "status": "open", "origin": "inbound", "priority": 0, "due_at": None,
                    "created_by_user_id": None, "created_at": uow.now, "updated_at": uow.now})
            action_rows = [repo.insert_row(uow, m.actions, {
                "task_id": task["id"], "type": a.type, "status": "new", "assignee_user_id": task["owner_user_id"],
                "created_by_user_id": None, "due_at": None, "trigger_event_id": comm["id"],  # A5 group
                "payload": domain.ai_action_payload(a.type, {**a.payload, "decision_id": str(data.decision_id)}),
                "created_at": uow.now, "updated_at": uow.now}) for a in plan.actions]
            if not plan.link_task_id:
                repo.add_timeline(uow, domain.TimelineEntry(
                    customer["id"], "task_created", "task", task["id"], f"Task created: {task['title']}", None,
                    {"origin": "inbound", "communication_id": str(comm["id"]), "action_count": len(action_rows)}))
                uow.publish(c.TaskCreated(task=c.TaskView.model_validate(task).model_dump(mode="json"),
                                          action_ids=[a["id"] for a in action_rows]))
            effective = "linked" if plan.link_task_id else "created"
            stored = {
                "decision": effective, "task_id": str(task["id"]), "category": data.category,
                "confidence": data.confidence, "title": task["title"],
                "facts": decision["facts"], "model": data.model, "fell_back": data.fell_back,
                "decision_id": str(data.decision_id), "rejected_link": plan.rejected_link,
                "suggested_actions": [c.ActionView.model_validate(a).model_dump(mode="json") for a in action_rows],
            }
            repo.add_timeline(uow, domain.TimelineEntry(
                customer["id"], "communication_received", "communication", comm["id"],
                rules.timeline_summary(comm["channel"], comm["from_address"], comm["subject"], comm["body"]),
                None, {"channel": comm["channel"], "task_id": str(task["id"]), "decision": effective,
                       "category": data.category, "action_ids": [str(a["id"]) for a in action_rows]}),
                occurred_at=comm["received_at"])
            uow.execute(update(communications).where(communications.c.id == comm["id"]).values(
                status="decided", task_id=task["id"], decision=stored, decided_at=uow.now))

    # ---- what triggered an action (A5) ----------------------------------------------------------------
    def _trigger_of(self, uow, trigger_id, customer_id=None):
        """A5: the id an action group goes by. An incoming message's group is its communication's (as
        triage files its actions under it), whether a user names the communication or its timeline entry;
        any other timeline entry is its own. None when neither is this customer's (or this tenant's)."""
        k, t = communications, m.timeline_entries
        query = select(k.c.id).where(k.c.id == trigger_id)
        if customer_id is not None:
            query = query.where(k.c.customer_id == customer_id)
        if uow.execute(query).first() is not None:
            return uuid.UUID(str(trigger_id))
        query = select(t.c.id, t.c.subject_type, t.c.subject_id).where(t.c.id == trigger_id)
        if customer_id is not None:
            query = query.where(t.c.customer_id == customer_id)
        entry = uow.execute(query).first()
        if entry is None:
            return None
        return entry.subject_id if entry.subject_type == "communication" else entry.id

    # ---- AI-suggested first actions of a task made by hand or by a promise (B3) -------------------------
    def _request_suggestions(self, uow, task: dict, origin: str, existing_types: list[str]) -> None:
        """B3: "once created, if AI suggestions are on, the AI suggests actions". Asked with the context
        triage needs (it never reads tasks' data); answered by ``actions_suggested``."""
        settings = repo.tenant_settings(uow)
        if not settings["ai_suggestions"]:  # B5
            return
        customer = repo.get_customer(uow, task["customer_id"])
        invoices = repo.invoices_by_ids(uow, task["invoice_ids"])
        uow.publish(SuggestionsRequested(
            task_id=task["id"], customer_id=customer["id"], customer_name=customer["name"], origin=origin,
            title=task["title"], category=task["category"],
            today=domain.tenant_today(uow.now, settings["timezone"]),
            invoices=_invoice_summaries(invoices), recent_timeline=_timeline_summaries(uow, customer["id"]),
            existing_actions=sorted(set(existing_types))))

    @reliable_event_handler("triage", "actions_suggested")
    def on_actions_suggested(self, body):
        """B3: the suggestions join the task's pending actions (A6), live and assigned to its owner, unless
        the task closed or the tenant switched AI suggestions off (B5) in the meantime."""
        envelope, data = receive("triage", body, self.caller)
        with self.db.transaction(self.caller) as uow:
            if not uow.first_delivery("tasks.on_actions_suggested", str(envelope.event_id)):
                return
            ai_suggestions = repo.tenant_settings(uow, share=True)["ai_suggestions"]  # settings before the task
            task = repo.get_task(uow, data.task_id, lock=True)
            if (task is None or task["status"] not in domain.OPEN_TASK_STATUSES or not data.suggested_actions
                    or not ai_suggestions):
                return
            # An email suggested for the customer goes to its main contact unless the user changes it.
            main = repo.main_contact(uow, task["customer_id"])
            main_email = main["email"] if main else None
            added = [repo.insert_row(uow, m.actions, {
                "task_id": task["id"], "type": s.type, "status": "new", "assignee_user_id": task["owner_user_id"],
                "created_by_user_id": None, "due_at": None, "trigger_event_id": None,
                "payload": domain.ai_action_payload(s.type, {
                    **s.payload, "summary": s.summary, "suggested_by": "ai", "model": data.model,
                    **({"to": [main_email]} if s.type == "email" and main_email else {})}),
                "created_at": uow.now, "updated_at": uow.now}) for s in data.suggested_actions]
            repo.update_row(uow, m.tasks, task["id"], {"updated_at": uow.now})
            repo.add_timeline(uow, domain.TimelineEntry(
                task["customer_id"], "actions_suggested", "task", task["id"],
                f"AI suggested {len(added)} action{'s' if len(added) > 1 else ''} for '{task['title']}'", None,
                {"action_ids": [str(a["id"]) for a in added], "model": data.model, "fell_back": data.fell_back}))

    # ---- AI-drafted reply (A1) ---------------------------------------------------------------------
    @rpc
    def draft_context(self, task_id: str) -> dict:
        with self.db.transaction(self.caller) as uow:
            task = repo.get_task(uow, task_id)
            if task is None:
                raise NotFound("task not found", code="TASK_NOT_FOUND")
            # A reply is an email, to the task's latest email (an SMS or a call has no address to write to).
            comm = repo._row(uow.execute(select(communications).where(
                communications.c.task_id == task["id"], communications.c.channel == "email")
                .order_by(communications.c.received_at.desc()).limit(1)))
            contact = repo._row(uow.execute(select(m.contacts).where(m.contacts.c.id == comm["contact_id"]))) \
                if comm and comm["contact_id"] else None
            customer = repo.get_customer(uow, task["customer_id"])
            return {"task_id": str(task["id"]), "task_title": task["title"], "category": task["category"],
                    "customer_name": customer["name"], "contact_name": contact["name"] if contact else None,
                    "agent_name": None,
                    "communication": {"id": str(comm["id"]), "channel": comm["channel"], "from": comm["from_address"],
                                      "subject": comm["subject"], "body": comm["body"][:8000],
                                      "decision": comm["decision"]} if comm else None}

    @rpc
    def store_draft_reply(self, task_id: str, communication_id: str, draft: dict) -> dict:
        with self.db.transaction(self.caller) as uow:
            replayed, result = uow.begin_request("store_draft_reply")
            if replayed:
                return result
            task = repo.get_task(uow, task_id, lock=True)  # as adding any action: never live on a closed task
            comm = repo._row(uow.execute(select(communications).where(communications.c.id == communication_id)))
            if task is None or comm is None or comm["task_id"] != task["id"]:
                raise NotFound("task not found", code="TASK_NOT_FOUND")
            if task["status"] not in domain.OPEN_TASK_STATUSES:
                raise Conflict("the task is closed", code="TASK_CLOSED")
            sender = rules.reply_address(comm["from_address"])  # "Jane <jane@x>" as a provider sends it
            action = self._insert_action(uow, task, c.ActionCreate(
                type="email", assignee_user_id=task["owner_user_id"], trigger_event_id=comm["id"]),
                shaped_payload=domain.ai_action_payload("email", {
                    **({"to": [sender]} if sender else {}), "subject": draft["subject"], "body": draft["body"],
                    "draft": True, "review_required": True, "suggested_by": "ai",
                    "model": draft.get("model"), "fell_back": draft.get("fell_back", False)}))
            uow.execute(update(m.tasks).where(m.tasks.c.id == task["id"]).values(updated_at=uow.now))
            result = c.ActionView.model_validate(action).model_dump(mode="json")
            uow.finish_request(result)
            return result
