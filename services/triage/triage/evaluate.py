"""``make eval-triage``: the local classifier, trained on corpus/train.jsonl, scored on corpus/heldout.jsonl.

First checks that the split is template-disjoint (no template, i.e. no wording, on both sides: the held-out
part is text never seen in training) and that held-out covers every category, language and channel; exit
status 2 if not. Prints per-category precision/recall/F1 and macro F1, accuracy per language and per
channel, then linking: of the held-out messages that belong to one of several (>= 2) open tasks, how often
the full local decision (category -> facts -> linking) picks that task; and how often the linked/created
decision itself is right over all held-out messages. Also the throughput of the full local decision.
Exit status 1 when the macro F1 or linking target is missed.
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
TARGET_MESSAGES_PER_S = 500  # reported, not enforced: timings depend on the machine
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
    train_templates, held_templates = {r["template"] for r in train}, {r["template"] for r in heldout}
    shared = sorted(train_templates & held_templates)
    print(f"corpus: {len(train_templates)} train templates, {len(held_templates)} held-out templates; "
          f"{len(train)} train, {len(heldout)} held-out messages")
    if shared:
        print(f"SPLIT NOT TEMPLATE-DISJOINT: {len(shared)} templates on both sides, e.g. {shared[:5]}")
        return 2
    missing = {key: sorted({r[key] for r in train + heldout} - {r[key] for r in heldout})
               for key in ("category", "language", "channel")}
    if any(missing.values()):
        print(f"held-out part does not cover: {missing}")
        return 2
    print("split: template-disjoint (no held-out template appears in training); held-out covers every "
          f"category, languages {sorted({r['language'] for r in heldout})}, "
          f"channels {sorted({r['channel'] for r in heldout})}")
    started = time.perf_counter()
    model = LocalClassifier(train)
    print(f"trained in {time.perf_counter() - started:.2f} s")

    truth = [r["category"] for r in heldout]
    predicted = [c for c, _ in model.predict_many([(r["channel"], r["subject"], r["body"]) for r in heldout])]
    print("\nper category (held-out):")
    print(classification_report(truth, predicted, digits=3, zero_division=0))
    macro = f1_score(truth, predicted, average="macro", zero_division=0)
    for key in ("language", "channel"):
        groups: dict[str, list[bool]] = {}
        for row, t, p in zip(heldout, truth, predicted):
            groups.setdefault(row[key], []).append(t == p)
        print(f"accuracy per {key} (held-out): " + ", ".join(
            f"{k} {sum(v)}/{len(v)} = {sum(v) / len(v):.3f}" for k, v in sorted(groups.items())))
    print()

    several = right_several = decisions_right = 0
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
          f"({1000 / per_message_ms:.0f} messages/s, one core; target >= {TARGET_MESSAGES_PER_S})")
    return 0 if macro >= TARGET_MACRO_F1 and linking >= TARGET_LINKING else 1


if __name__ == "__main__":
    sys.exit(main())
