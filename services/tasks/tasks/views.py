"""Rows as the API shows them."""
from __future__ import annotations


def view(model, row: dict) -> dict:
    """A row as the API shows it: the view model's fields, serialised by orjson on the wire.

    Rows come from our own schema, so they are not validated again: on reads that
    round trip through pydantic cost more than the query.
    """
    return {name: row[name] if name in row else field.get_default(call_default_factory=True)
            for name, field in model.model_fields.items()}
