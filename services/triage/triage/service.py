"""Entrypoints of the triage service: validate -> engine (model or local) -> persist -> publish.

B1: every ``communication_received`` gets a decision, published as ``triage_decided`` (tasks applies it).
B3: every ``suggestions_requested`` gets its ``actions_suggested``, once (the inbox and the event commit together).
The model call happens outside any transaction; the decision, its inbox record and the event commit
together, and a redelivered message is decided once (unique per communication).
"""
from __future__ import annotations

import uuid

from common.context import CallerContext
from common.contracts.triage import ActionsSuggested, GradingRequest, TriageDecided
from common.errors import ValidationFailed
from common.events import receive, reliable_event_handler
from common.observability import PlatformEndpoints
from common.rpc import rpc
from common.store import DatabaseProvider
from triage import drafting, repository as repo
from triage.dependencies import EngineProvider
from triage.domain import input_digest


class TriageService(PlatformEndpoints):
    name = "triage"

    db = DatabaseProvider()
    caller = CallerContext()
    engine = EngineProvider()

    @reliable_event_handler("tasks", "communication_received")
    def on_communication_received(self, body):
        envelope, message = receive("tasks", body, self.caller)
        with self.db.transaction(self.caller) as uow:
            if repo.decision_for(uow, message.communication_id) is not None:
                return  # redelivered after it was decided
        decision, meta, _ = self.engine.decide(message)
        with self.db.transaction(self.caller) as uow:
            if not uow.first_delivery("triage.on_communication_received", str(envelope.event_id)):
                return
            decision_id = uuid.uuid4()
            event = TriageDecided(
                decision_id=decision_id, communication_id=message.communication_id,
                customer_id=message.customer_id, decision=decision.decision, task_id=decision.task_id,
                title=decision.title, category=decision.category, confidence=decision.confidence,
                facts=decision.facts, suggested_actions=decision.suggested_actions, model=meta.model,
                fell_back=meta.fell_back)
            stored = repo.store_decision(uow, {
                "id": decision_id, "communication_id": message.communication_id,
                "customer_id": message.customer_id, "input_digest": input_digest(message, meta.model),
                "model": meta.model, "outcome": meta.outcome, "fell_back": meta.fell_back,
                "decision": decision.decision, "task_id": decision.task_id, "category": decision.category,
                "confidence": decision.confidence,
                "output": {**event.model_dump(mode="json"), "error": meta.error},
                "latency_ms": meta.latency_ms, "received_at": message.received_at, "created_at": uow.now})
            if stored:
                uow.publish(event)

    @reliable_event_handler("tasks", "suggestions_requested")
    def on_suggestions_requested(self, body):
        """B3: first actions for a task a user made or a promise's task (tasks asks only while AI is on)."""
        envelope, request = receive("tasks", body, self.caller)
        suggestions, meta = self.engine.suggest(request)  # outside any transaction: the model may be slow
        with self.db.transaction(self.caller) as uow:
            if uow.first_delivery("triage.on_suggestions_requested", str(envelope.event_id)):
                uow.publish(ActionsSuggested(task_id=request.task_id, suggested_actions=suggestions,
                                             model=meta.model, fell_back=meta.fell_back))

    @rpc
    def get_decision(self, communication_id: str) -> dict | None:
        with self.db.transaction(self.caller) as uow:
            return repo.decision_view(repo.decision_for(uow, communication_id))

    @rpc
    def draft_reply(self, context: dict) -> dict:
        """A1: a reply email for the task's latest communication, for a user to review before sending."""
        if not isinstance(context, dict) or not context.get("communication"):
            raise ValidationFailed("the task has no communication to reply to", code="NOTHING_TO_REPLY_TO")
        self.caller.tenant_id  # noqa: B018 - refuses a call without a tenant
        draft, meta = self.engine.draft(context)
        return {**draft, "model": meta.model, "fell_back": meta.fell_back, "latency_ms": meta.latency_ms}

    @rpc
    def grade_conversation(self, payload: dict) -> dict:
        """P8: score a transcript against a pipeline action's criteria, per criterion with feedback."""
        request = GradingRequest.model_validate(payload)
        criteria = [c.model_dump() for c in request.criteria]
        graded, meta = self.engine.grade(request.transcript, criteria)
        score = drafting.weighted_score(graded, criteria)
        with self.db.transaction(self.caller) as uow:
            row = repo.store_grading(uow, {
                "input_digest": repo.digest({"transcript": request.transcript, "criteria": criteria}),
                "model": meta.model, "fell_back": meta.fell_back, "score": score,
                "output": {"criteria": graded, "action_id": str(request.action_id) if request.action_id else None},
                "latency_ms": meta.latency_ms, "created_at": uow.now})
        return {"id": str(row["id"]), "score": score, "criteria": graded, "model": meta.model,
                "fell_back": meta.fell_back, "action_id": str(request.action_id) if request.action_id else None}
