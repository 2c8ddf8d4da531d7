"""``make eval-triage``: the local classifier, trained on corpus/train.jsonl, scored on corpus/heldout.jsonl.

Prints per-category precision/recall/F1 and macro F1, then linking: of the held-out messages that belong
to one of several (>= 2) open tasks, how often the full local decision (category -> facts -> linking)
picks that task; and how often the linked/created decision itself is right over all held-out messages.
Also the throughput of the local classifier alone. Exit status 1 when a target is missed.
"""
from __future__ import annotations

import sys
import time
import uuid
from datetime import datetime, timezone

from common.contracts.triage import CommunicationReceived
from triage.local_model import LocalClassifier, load_corpus

TARGET_MACRO_F1 = 0.85
TARGET_LINKING = 0.9
RECEIVED_AT = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


def as_message(row: dict) -> tuple[CommunicationReceived, dict[str, str]]:
    ids = {t["id"]: str(uuid.uuid5(uuid.NAMESPACE_URL, row["id"] + t["id"])) for t in row["open_tasks"]}
    message = CommunicationReceived(
        communication_id=uuid.uuid5(uuid.NAMESPACE_URL, row["id"]), channel=row["channel"],
        from_address="someone@example.com", subject=row["subject"], body=row["body"], received_at=RECEIVED_AT,
        customer_id=uuid.uuid5(uuid.NAMESPACE_URL, "customer"), customer_name="Customer",
        open_tasks=[{"id": ids[t["id"]], "title": t["title"], "category": t["category"], "status": "open",
                     "invoice_numbers": t["invoice_numbers"], "last_activity_at": t["last_activity_at"]}
                    for t in row["open_tasks"]])
    return message, ids


def main() -> int:
    from sklearn.metrics import classification_report, f1_score

    train, heldout = load_corpus("train"), load_corpus("heldout")
    started = time.perf_counter()
    model = LocalClassifier(train)
    trained_s = time.perf_counter() - started
    print(f"corpus: {len(train)} train, {len(heldout)} held-out messages; trained in {trained_s:.2f} s")
    langs = sorted({r['language'] for r in heldout})
    print(f"held-out languages {langs}, channels {sorted({r['channel'] for r in heldout})}")

    truth = [r["category"] for r in heldout]
    predicted = [c for c, _ in model.predict_many([(r["channel"], r["subject"], r["body"]) for r in heldout])]
    print("\nper category (held-out):")
    print(classification_report(truth, predicted, digits=3, zero_division=0))
    macro = f1_score(truth, predicted, average="macro", zero_division=0)
    seen = {r["template"] for r in train}
    unseen = [(t, p) for r, t, p in zip(heldout, truth, predicted) if r["template"] not in seen]
    if unseen:
        right = sum(t == p for t, p in unseen)
        print(f"accuracy on held-out messages whose template never appears in training: {right}/{len(unseen)} "
              f"= {right / len(unseen):.3f} (the rest share wording with a training message, other slot values)")

    several = right_several = decisions_right = 0
    started = time.perf_counter()
    for row in heldout:
        message, ids = as_message(row)
        out = model.classify(message)
        gold = ids.get(row["gold_task"]) if row["gold_task"] else None
        decisions_right += (out.task_id == gold)
        if gold and len(row["open_tasks"]) >= 2:
            several += 1
            right_several += (out.task_id == gold)
    messages = [as_message(row)[0] for row in heldout]
    started = time.perf_counter()
    for _ in range(5):  # warm: the analyzers, dateparser's locale data, the date cache
        for message in messages:
            model.classify(message)
    per_message_ms = (time.perf_counter() - started) * 1000 / (5 * len(messages))
    linking = right_several / several if several else 0.0
    print(f"macro F1 (held-out): {macro:.3f}   target >= {TARGET_MACRO_F1}: "
          f"{'MET' if macro >= TARGET_MACRO_F1 else 'MISSED'}")
    print(f"linking accuracy, right task of several open ones: {right_several}/{several} = {linking:.3f}   "
          f"target >= {TARGET_LINKING}: {'MET' if linking >= TARGET_LINKING else 'MISSED'}")
    print(f"linked-or-created decision right (all held-out): {decisions_right}/{len(heldout)} = "
          f"{decisions_right / len(heldout):.3f}")
    print(f"local decision incl. facts and linking: {per_message_ms:.2f} ms/message "
          f"({1000 / per_message_ms:.0f} messages/s, one core)")
    return 0 if macro >= TARGET_MACRO_F1 and linking >= TARGET_LINKING else 1


if __name__ == "__main__":
    sys.exit(main())
