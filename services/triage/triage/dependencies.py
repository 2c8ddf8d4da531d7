"""DependencyProviders of triage: the classifiers behind one interface, with fallback and circuit breaker.

``Engine.decide(message)`` asks the model (when a key is set and the breaker allows), validates its answer,
and on a timeout, an error, an invalid or rejected answer or an open circuit asks the local classifier
instead. Both are one process-wide instance (a SharedExtension): the local model is trained once at start,
the openai client's connection pool is shared by every green worker, so model calls run concurrently.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from nameko.extensions import DependencyProvider, SharedExtension
from pydantic import ValidationError

from common import metrics
from common.contracts.triage import CommunicationReceived, SuggestionsRequested
from triage import drafting, suggesting
from triage.domain import CircuitBreaker, Decision, InvalidDecision, validate_output
from triage.local_model import LocalClassifier
from triage.settings import AiSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallMeta:
    model: str
    outcome: str  # of the model call: ok, timeout, error, invalid, rejected, circuit_open, disabled
    fell_back: bool
    latency_ms: int
    error: str | None = None


def classify_error(exc: BaseException) -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, InvalidDecision):
        return "rejected"
    if isinstance(exc, (ValidationError, ValueError)):
        return "invalid"
    return "error"


class Engine:
    def __init__(self, settings: AiSettings, local: LocalClassifier, model=None):
        self.settings = settings
        self.local = local
        self.model = model
        self.breaker = CircuitBreaker(settings.ai_breaker_failures, settings.ai_breaker_reset_s)

    def _ask_model(self, call):
        """Runs ``call(model)``; returns (result, outcome, error)."""
        if self.model is None:
            return None, "disabled", None
        if not self.breaker.allow():
            metrics.AI_CALLS.labels(self.model.name, "circuit_open").inc()
            return None, "circuit_open", None
        started = time.perf_counter()
        try:
            result = call(self.model)
        except Exception as exc:  # noqa: BLE001 - every failure falls back; which one is counted
            outcome = classify_error(exc)
            if outcome != "rejected":  # a rejected answer is the message's doing, not the model being down
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
            metrics.AI_CALLS.labels(self.model.name, outcome).inc()
            metrics.AI_BREAKER_OPEN.labels(self.model.name).set(1 if self.breaker.state == "open" else 0)
            log.warning("model call failed; falling back to the local classifier",
                        extra={"outcome": outcome, "error": repr(exc)[:500]})
            return None, outcome, repr(exc)[:500]
        finally:
            metrics.AI_LATENCY.labels(self.model.name).observe(time.perf_counter() - started)
        self.breaker.record_success()
        metrics.AI_BREAKER_OPEN.labels(self.model.name).set(0)
        metrics.AI_CALLS.labels(self.model.name, "ok").inc()
        for kind, n in getattr(self.model, "last_usage", {}).items():
            metrics.AI_TOKENS.labels(self.model.name, kind).inc(n)
        return result, "ok", None

    def _fallback(self, outcome: str) -> bool:
        if self.model is not None:
            metrics.AI_FALLBACKS.labels(outcome).inc()
            return True
        return False

    def decide(self, message: CommunicationReceived) -> tuple[Decision, CallMeta, dict]:
        started = time.perf_counter()
        decision, outcome, error = self._ask_model(lambda m: validate_output(m.classify(message), message))
        if decision is not None:
            return decision, CallMeta(self.model.name, "ok", False, _ms(started)), {}
        local_started = time.perf_counter()
        output = self.local.classify(message)
        decision = validate_output(output, message)
        metrics.AI_CALLS.labels(self.local.name, "ok").inc()
        metrics.AI_LATENCY.labels(self.local.name).observe(time.perf_counter() - local_started)
        fell_back = self._fallback(outcome)
        return decision, CallMeta(self.local.name, outcome, fell_back, _ms(started), error), {}

    def draft(self, context: dict) -> tuple[dict, CallMeta]:
        started = time.perf_counter()
        result, outcome, error = self._ask_model(lambda m: m.draft(context).model_dump())
        if result is not None:
            return result, CallMeta(self.model.name, "ok", False, _ms(started))
        return drafting.local_draft(context), CallMeta("local-template", outcome, self._fallback(outcome),
                                                       _ms(started), error)

    def suggest(self, request: SuggestionsRequested) -> tuple[list, CallMeta]:
        """B3: the model's suggestions for a new task, or the local rules' when it fails or is off."""
        started = time.perf_counter()
        result, outcome, error = self._ask_model(lambda m: suggesting.accept(m.suggest(request).suggested_actions,
                                                                             request))
        if result is not None:
            return result, CallMeta(self.model.name, "ok", False, _ms(started))
        return suggesting.accept(suggesting.local_suggestions(request), request), CallMeta(
            "local-rules", outcome, self._fallback(outcome), _ms(started), error)

    def grade(self, transcript: str, criteria: list[dict]) -> tuple[list[dict], CallMeta]:
        started = time.perf_counter()

        def ask(m):
            graded = [g.model_dump() for g in m.grade(transcript, criteria).criteria]
            if {g["name"] for g in graded} != {c["name"] for c in criteria}:
                raise ValueError("the grading does not answer exactly the criteria asked")
            return graded

        result, outcome, error = self._ask_model(ask)
        if result is not None:
            return result, CallMeta(self.model.name, "ok", False, _ms(started))
        return drafting.local_grade(transcript, criteria), CallMeta(
            "local-keywords", outcome, self._fallback(outcome), _ms(started), error)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


class SharedEngine(SharedExtension):
    def setup(self):
        settings = AiSettings()
        model = None
        if settings.model_enabled:
            from triage.llm import OpenAIModel

            model = OpenAIModel(settings)
        self.engine = Engine(settings, LocalClassifier(), model)
        log.info("triage engine ready", extra={"model": model.name if model else None,
                                               "local": self.engine.local.name})


class EngineProvider(DependencyProvider):
    shared = SharedEngine()

    def get_dependency(self, worker_ctx):
        return self.shared.engine
