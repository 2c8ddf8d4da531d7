"""The engine: model first, local classifier on every kind of failure, counted in the metrics (X7)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import httpx
import openai
import pytest

from common import metrics
from common.contracts.triage import CommunicationReceived
from triage.dependencies import Engine
from triage.domain import ModelOutput
from triage.evaluate import TARGET_LINKING, TARGET_MACRO_F1
from triage.local_model import LocalClassifier, load_corpus
from triage.settings import AiSettings

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def local():
    return LocalClassifier(load_corpus("train"))


def message(**kw):
    return CommunicationReceived(**{
        "communication_id": uuid.uuid4(), "channel": "email", "from_address": "a@b.example",
        "subject": "Re: Relance facture FAC-8812",
        "body": "Bonjour, nous nous engageons à régler 1 250,00 € le 28.11.2026 pour la facture FAC-8812.",
        "received_at": NOW, "customer_id": uuid.uuid4(), "customer_name": "Dupont", **kw})


class StubModel:
    name = "stub"

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.calls = 0

    def classify(self, message):
        self.calls += 1
        return self.behaviour(message)


def fallbacks(reason):
    return metrics.AI_FALLBACKS.labels(reason)._value.get()


def engine(local, behaviour, failures=5):
    return Engine(AiSettings(ai_breaker_failures=failures), local, StubModel(behaviour))


def test_X7_local_only_without_a_key(local):
    decision, meta, _ = Engine(AiSettings(), local, None).decide(message())
    assert meta.model == "local-tfidf-logreg" and meta.outcome == "disabled" and meta.fell_back is False
    assert decision.category == "promise_to_pay" and decision.decision == "created"
    assert str(decision.facts.promised_amount) == "1250.00" and str(decision.facts.promised_date) == "2026-11-28"


def test_X7_model_answer_used_when_valid(local):
    e = engine(local, lambda m: ModelOutput(decision="created", title="Promise", category="promise_to_pay",
                                            confidence=0.9))
    decision, meta, _ = e.decide(message())
    assert meta.model == "stub" and meta.fell_back is False and decision.title == "Promise"


def _timeout(m):
    raise openai.APITimeoutError(request=httpx.Request("POST", "http://x"))


def _error(m):
    raise openai.InternalServerError("boom", response=httpx.Response(500, request=httpx.Request("POST", "http://x")),
                                     body=None)


def _invalid(m):
    return ModelOutput.model_validate_json('{"decision": "maybe"}')


def _foreign_task(m):
    return ModelOutput(decision="linked", task_id=str(uuid.uuid4()), category="other", confidence=0.99)


@pytest.mark.parametrize("behaviour,outcome", [(_timeout, "timeout"), (_error, "error"), (_invalid, "invalid"),
                                               (_foreign_task, "rejected")])
def test_X7_every_failure_falls_back_to_local_and_is_counted(local, behaviour, outcome):
    before = fallbacks(outcome)
    decision, meta, _ = engine(local, behaviour).decide(message())
    assert meta.fell_back is True and meta.outcome == outcome and meta.model == "local-tfidf-logreg"
    assert decision.category == "promise_to_pay"
    assert fallbacks(outcome) == before + 1


def test_X7_open_circuit_stops_calling_the_model(local):
    e = engine(local, _error, failures=2)
    for _ in range(2):
        e.decide(message())
    assert e.breaker.state == "open"
    _, meta, _ = e.decide(message())
    assert meta.outcome == "circuit_open" and e.model.calls == 2


def test_X7_rejected_answers_do_not_open_the_circuit(local):
    e = engine(local, _foreign_task, failures=1)
    e.decide(message())
    e.decide(message())
    assert e.breaker.state == "closed" and e.model.calls == 2


def test_B1_local_classifier_meets_targets_on_held_out_corpus(local):
    from sklearn.metrics import f1_score

    from triage.evaluate import as_message

    heldout = load_corpus("heldout")
    assert len(heldout) + len(load_corpus("train")) >= 200
    predicted = [c for c, _ in local.predict_many([(r["channel"], r["subject"], r["body"]) for r in heldout])]
    assert f1_score([r["category"] for r in heldout], predicted, average="macro") >= TARGET_MACRO_F1
    several = [r for r in heldout if r["gold_task"] and len(r["open_tasks"]) >= 2]
    right = 0
    for row in several:
        msg, ids = as_message(row)
        right += local.classify(msg).task_id == ids[row["gold_task"]]
    assert right / len(several) >= TARGET_LINKING


def test_B1_corpus_split_is_template_disjoint_and_covers_everything():
    train, heldout = load_corpus("train"), load_corpus("heldout")
    assert not {r["template"] for r in train} & {r["template"] for r in heldout}
    for key in ("category", "language", "channel"):
        assert {r[key] for r in heldout} == {r[key] for r in train + heldout}
    held_templates = {r["template"] for r in heldout}
    assert len(held_templates) >= 0.25 * len(held_templates | {r["template"] for r in train})


def test_B1_fast_path_matches_the_fitted_model(local):
    import numpy as np
    from scipy import sparse

    from triage.local_model import CHAR_WEIGHT, CUE_WEIGHT, features_text

    rows = load_corpus("train")[::7]
    texts = [features_text(r["channel"], r["subject"], r["body"]) for r in rows]
    weights = (1.0, CHAR_WEIGHT, CUE_WEIGHT)
    matrix = sparse.hstack([v.transform(texts) * w for v, w in zip(local.vectorizers, weights)]).tocsr()
    probas = local.model.predict_proba(matrix)
    for text, row in zip(texts, probas):
        category, confidence = local._predict_one(text)
        assert category == local.classes[int(np.argmax(row))]
        assert abs(confidence - float(row.max())) < 1e-4


def test_B1_every_cue_occurs_in_training_text():
    """The cue list may only hold entries the training part uses (none written for a held-out message)."""
    import re

    from triage import cues
    from triage.local_model import features_text

    texts = [features_text(r["channel"], r["subject"], r["body"]) for r in load_corpus("train")]
    unused = [(family, p) for family, patterns in cues.CUES.items() for p in patterns
              if not any(re.search(p if p.startswith(("^", r"\b")) else rf"\b{p}", t, re.MULTILINE) for t in texts)]
    assert unused == []


def test_B1_a_message_with_an_impossible_amount_is_still_triaged(local):
    decision, meta, _ = Engine(AiSettings(), local, None).decide(message(
        body="Bonjour, nous nous engageons à régler 1 000 000 000 000 € le 28.11.2026 pour la facture FAC-8812."))
    assert decision.category == "promise_to_pay" and decision.facts.promised_amount is None
    assert decision.facts.invoice_numbers == ["FAC-8812"]
