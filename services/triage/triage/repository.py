"""Reads and writes of the triage schema, on a unit of work's connection (RLS scopes them to its tenant)."""
from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common.db import UnitOfWork
from triage import models as m


def decision_for(uow: UnitOfWork, communication_id) -> dict | None:
    row = uow.execute(select(m.triage_decisions).where(
        m.triage_decisions.c.communication_id == communication_id)).mappings().first()
    return dict(row) if row else None


def store_decision(uow: UnitOfWork, values: dict) -> bool:
    """Insert once per communication; False if it was already decided."""
    statement = pg_insert(m.triage_decisions).values(tenant_id=uow.tenant_id, **values) \
        .on_conflict_do_nothing(index_elements=["tenant_id", "communication_id"]).returning(m.triage_decisions.c.id)
    return uow.execute(statement).first() is not None


def decision_view(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {"id": str(row["id"]), "communication_id": str(row["communication_id"]), "model": row["model"],
            "outcome": row["outcome"], "fell_back": row["fell_back"], "decision": row["decision"],
            "task_id": str(row["task_id"]) if row["task_id"] else None, "category": row["category"],
            "confidence": float(row["confidence"]), "latency_ms": row["latency_ms"],
            "input_digest": row["input_digest"], "output": row["output"],
            "created_at": row["created_at"].isoformat()}


def store_grading(uow: UnitOfWork, values: dict) -> dict:
    row = uow.execute(insert(m.conversation_gradings).values(
        id=uuid.uuid4(), tenant_id=uow.tenant_id, **values).returning(m.conversation_gradings)).mappings().first()
    return dict(row)


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
