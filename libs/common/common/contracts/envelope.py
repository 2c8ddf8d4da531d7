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


# (producer, event_type) -> model of ``data``; filled by each producer's contract module.
EVENT_MODELS: dict[tuple[str, str], type[BaseModel]] = {}


def event(producer: str, event_type: str):
    """Register a model as the ``data`` of ``producer``'s ``event_type`` events."""

    def register(model: type[BaseModel]) -> type[BaseModel]:
        EVENT_MODELS[(producer, event_type)] = model
        model.producer = producer
        model.event_type = event_type
        return model

    return register


def parse_event(producer: str, body: dict) -> tuple[EventEnvelope, BaseModel]:
    """Validate an event body against its envelope and its registered data model."""
    envelope = EventEnvelope.model_validate(body)
    if envelope.producer != producer:
        raise ValueError(f"event from {envelope.producer!r} arrived on {producer!r}'s exchange")
    importlib.import_module(f"common.contracts.{producer}")  # registers that producer's models
    model = EVENT_MODELS.get((producer, envelope.event_type))
    if model is None:
        raise ValueError(f"no contract for {producer}.{envelope.event_type}")
    return envelope, model.model_validate(envelope.data)
