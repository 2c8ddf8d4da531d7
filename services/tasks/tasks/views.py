"""Rows as the API shows them."""
from __future__ import annotations


def view(model, row: dict) -> dict:
    """A row as the API shows it: the view model's fields, serialised by orjson on the wire.

    Rows come from our own schema, so they are not validated again: on reads that
    round trip through pydantic cost more than the query.
    """
    return {name: row[name] if name in row else field.get_default(call_default_factory=True)
            for name, field in model.model_fields.items()}


def delivery_rows_by_action(rows) -> dict:
    found: dict = {}
    for r in rows:
        found.setdefault(r["action_id"], []).append(
            {"recipient": r["recipient"], "channel": r["channel"], "state": r["state"],
             "occurred_at": r["occurred_at"], "reason": r["reason"]})
    return found


def case_file(*, task, customer, invoices, actions, deliveries, promise, timeline, viewer) -> dict:
    """A7: the case file as the API returns it, from rows (the tasks service and the bench baseline share it)."""
    from common.contracts import tasks as c
    from tasks import domain

    visible = domain.visible_actions(actions, viewer)
    views = {a["id"]: view(c.ActionView, {**a, "delivery": deliveries.get(a["id"], [])}) for a in visible}
    sections = domain.section_actions(visible)
    return {
        "task": view(c.TaskView, task),
        "promise": view(c.PromiseView, promise) if promise else None,
        "customer": view(c.CustomerView, customer),
        "invoices": [view(c.InvoiceView, i) for i in invoices],
        "action_groups": [{"trigger_event_id": t, "actions": [views[a["id"]] for a in group]}
                          for t, group in sections.groups.items()],
        "pending_actions": [views[a["id"]] for a in sections.pending],
        "actions": list(views.values()),
        "timeline": [view(c.TimelineEntryView, e) for e in timeline],
    }
