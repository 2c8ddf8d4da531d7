"""The envelope every event travels in."""
from __future__ import annotations

import importlib
import uuid
from datetime import datetime, timezone
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class EventEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    producer: str
    tenant_id: uuid.UUID
    occurred_at: AwareDatetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    schema_version: int = 1
    data: dict[str, Any]


# event_type -> model of ``data``, and which services may publish it; filled by the contract modules.
EVENT_MODELS: dict[str, type[BaseModel]] = {}
EVENT_PRODUCERS: dict[str, frozenset[str]] = {}


def event(event_type: str, producers: tuple[str, ...]):
    """Register a model as the ``data`` of ``event_type`` events, published by ``producers``."""

    def register(model: type[BaseModel]) -> type[BaseModel]:
        EVENT_MODELS[event_type] = model
        EVENT_PRODUCERS[event_type] = frozenset(producers)
        model.event_type = event_type
        return model

    return register


def load_contracts() -> None:
    import pkgutil

    import common.contracts as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"common.contracts.{module.name}")


def parse_event(producer: str, body: dict) -> tuple[EventEnvelope, BaseModel]:
    """Validate an event from ``producer``'s exchange against its envelope and its data contract."""
    envelope = EventEnvelope.model_validate(body)
    if envelope.producer != producer:
        raise ValueError(f"event from {envelope.producer!r} arrived on {producer!r}'s exchange")
    if envelope.event_type not in EVENT_MODELS:
        load_contracts()
    model = EVENT_MODELS.get(envelope.event_type)
    if model is None or producer not in EVENT_PRODUCERS[envelope.event_type]:
        raise ValueError(f"no contract for {producer}.{envelope.event_type}")
    return envelope, model.model_validate(envelope.data)
