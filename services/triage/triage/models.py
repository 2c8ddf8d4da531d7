"""Tables of the triage schema (SQLAlchemy Core; the DDL lives in migrations/)."""
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, Numeric, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()
TS = DateTime(timezone=True)

triage_decisions = Table(
    "triage_decisions", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True), Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("communication_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("input_digest", Text, nullable=False), Column("model", Text, nullable=False),
    Column("outcome", Text, nullable=False), Column("fell_back", Boolean, nullable=False),
    Column("decision", Text, nullable=False), Column("task_id", UUID(as_uuid=True)),
    Column("category", Text, nullable=False), Column("confidence", Numeric(5, 4), nullable=False),
    Column("output", JSONB, nullable=False), Column("latency_ms", Integer, nullable=False),
    Column("received_at", TS), Column("created_at", TS, nullable=False),
)
conversation_gradings = Table(
    "conversation_gradings", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True), Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("input_digest", Text, nullable=False), Column("model", Text, nullable=False),
    Column("fell_back", Boolean, nullable=False), Column("score", Numeric(5, 2), nullable=False),
    Column("output", JSONB, nullable=False), Column("latency_ms", Integer, nullable=False),
    Column("created_at", TS, nullable=False),
)
