"""The local classifier: needs no network; the default with no OPENAI_API_KEY and the fallback otherwise.

It reads the subject and the new part of a message (an e-mail's quoted history cut by
:func:`extract.strip_quoted`, its closing and signature by :func:`cues.strip_signature`), normalised by
:func:`cues.normalise`: lower case, accents folded, invoice numbers / amounts / dates / e-mail addresses as
placeholders, so messages differing only in those read the same. Three TF-IDF blocks feed one logistic
regression: words; characters (2-5 grams, so "Rechnung"/"facture"/"invoice" inflections and typos still
match); and multilingual keyword-cue families (:mod:`triage.cues`: "promise", "paid", "dispute", "future",
"past"..., plus question-mark/amount/date shape tokens) at weight ``CUE_WEIGHT``. The cue families are what
carries over to wording never seen in training. Trained on the labelled corpus in ``corpus/`` at start
(about a second for the ~800 messages; nothing is downloaded). Facts come from :mod:`triage.extract`,
linking from :func:`triage.domain.choose_task`.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
from scipy import sparse

from common.contracts.triage import CommunicationReceived, ExtractedFacts
from triage import cues, extract
from triage.domain import FactsOut, ModelOutput, choose_task, default_suggestions

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
MODEL_NAME = "local-tfidf-logreg"
C = 10.0
CUE_WEIGHT = 0.5
CHAR_WEIGHT = 1.0


def load_corpus(*parts: str) -> list[dict]:
    rows = []
    for part in parts:
        with open(CORPUS_DIR / f"{part}.jsonl", encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows


READ_CHARS = 20_000


def features_text(channel: str, subject: str | None, body: str) -> str:
    """What the classifier reads: the subject and the new part of an e-mail (no quoted history or signature),
    or the SMS / call transcript, normalised (:func:`triage.cues.normalise`)."""
    cleaned = cues.strip_signature(extract.strip_quoted(body)) if channel == "email" else body
    return f"__{channel}__ " + cues.normalise(f"{subject or ''}\n{cleaned}")


class LocalClassifier:
    name = MODEL_NAME

    def __init__(self, rows: list[dict] | None = None, *, c: float = C, cue_weight: float = CUE_WEIGHT,
                 char_weight: float = CHAR_WEIGHT):
        import sklearn
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        # Per-message predictions are tiny: skip sklearn's per-call input validation (half the cost).
        sklearn.set_config(assume_finite=True, skip_parameter_validation=True)
        rows = rows if rows is not None else load_corpus("train", "heldout")
        texts = [features_text(r["channel"], r["subject"], r["body"]) for r in rows]
        # (vectorizer, weight of its block): each block is l2-normalised by its vectorizer, then scaled.
        blocks = [
            (TfidfVectorizer(sublinear_tf=True, dtype=np.float32), 1.0),
            (TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32),
             char_weight),
            (TfidfVectorizer(analyzer=cues.cue_tokens, sublinear_tf=True, dtype=np.float32), cue_weight),
        ]
        matrix = sparse.hstack([v.fit_transform(texts) * w for v, w in blocks]).tocsr()
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        model.fit(matrix, [r["category"] for r in rows])
        self.vectorizers, self.model = [v for v, _ in blocks], model
        self.classes = [str(cl) for cl in model.classes_]
        self.coef = np.ascontiguousarray(model.coef_.T, dtype=np.float32)
        self.intercept = model.intercept_.astype(np.float32)
        self._parts, offset = [], 0
        for v, w in blocks:
            self._parts.append((v.build_analyzer(), v.vocabulary_, v.idf_.astype(np.float32), offset,
                                np.float32(w)))
            offset += len(v.vocabulary_)

    def predict(self, channel: str, subject: str | None, body: str) -> tuple[str, float]:
        return self.predict_many([(channel, subject, body)])[0]

    def predict_many(self, items: list[tuple[str, str | None, str]]) -> list[tuple[str, float]]:
        return [self._predict_one(features_text(*i)) for i in items]

    def _predict_one(self, text: str) -> tuple[str, float]:
        # The fitted vectorizers' own maths (sublinear tf x idf, l2 per vectorizer) done directly: sklearn's
        # transform() costs ~2 ms of input checks per call, the arithmetic a few microseconds.
        indices, values = [], []
        for analyzer, vocabulary, idf, offset, block_weight in self._parts:
            counts = Counter(t for t in analyzer(text) if t in vocabulary)
            if not counts:
                continue
            cols = np.fromiter((vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
            weights = tf * idf[cols]
            weights *= block_weight / (np.linalg.norm(weights) or 1.0)
            indices.append(cols + offset)
            values.append(weights)
        scores = self.intercept.copy()
        if indices:
            scores += np.concatenate(values) @ self.coef[np.concatenate(indices)]
        scores = np.exp(scores - scores.max())
        probas = scores / scores.sum()
        best = int(probas.argmax())
        return self.classes[best], float(probas[best])

    def classify(self, message: CommunicationReceived) -> ModelOutput:
        # What a person writes comes first; a 200,000-character body would hold the service's one thread
        # for a second of regular expressions (the model is sent 8,000).
        message = message.model_copy(update={"body": message.body[:READ_CHARS]})
        category, confidence = self.predict(message.channel, message.subject, message.body)
        return self.decide(message, category, confidence)

    def decide(self, message: CommunicationReceived, category: str, confidence: float) -> ModelOutput:
        text = f"{message.subject or ''}\n{extract.strip_quoted(message.body)}"
        language = message.language or extract.detect_language(text)
        known = sorted({n for t in message.open_tasks for n in t.invoice_numbers} |
                       {i.number for i in message.invoices})
        # A reply naming no invoice is about the one our quoted reminder names ("Re: Payment reminder").
        numbers = extract.invoice_numbers(text, known) or extract.invoice_numbers(message.body, known)
        facts = FactsOut(invoice_numbers=numbers)
        if category in ("promise_to_pay", "payment_sent", "dispute"):
            amount, currency = extract.amount(text)
            if amount is not None:
                facts.promised_amount, facts.currency = str(amount), currency
        if category == "promise_to_pay":
            facts.promised_date = extract.promised_date(text, message.received_at.date(), language)
        task_id = choose_task(message.open_tasks, category, numbers)
        suggestions = default_suggestions(category, ExtractedFacts(invoice_numbers=numbers), language) \
            if message.ai_suggestions_enabled else []
        return ModelOutput(decision="linked" if task_id else "created", task_id=task_id,
                           title=None, category=category, confidence=round(confidence, 4), facts=facts,
                           suggested_actions=suggestions)


def today() -> date:
    return date.today()
