"""Tables of the tasks schema (SQLAlchemy Core; the DDL lives in migrations/)."""
from sqlalchemy import (
    Boolean, Column, Date, DateTime, Integer, MetaData, Numeric, Table, Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData()


def _tenant_table(name, *columns):
    return Table(name, metadata, Column("id", UUID(as_uuid=True), primary_key=True),
                 Column("tenant_id", UUID(as_uuid=True), nullable=False), *columns)


TS = DateTime(timezone=True)

customers = _tenant_table(
    "customers",
    Column("external_id", Text), Column("name", Text, nullable=False),
    Column("owner_user_id", UUID(as_uuid=True), nullable=False), Column("timezone", Text, nullable=False),
    Column("location", JSONB), Column("created_at", TS, nullable=False), Column("updated_at", TS, nullable=False),
)
contacts = _tenant_table(
    "contacts",
    Column("customer_id", UUID(as_uuid=True), nullable=False), Column("name", Text, nullable=False),
    Column("email", Text), Column("phone", Text), Column("is_main", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
)
invoices = _tenant_table(
    "invoices",
    Column("external_id", Text, nullable=False), Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("number", Text, nullable=False), Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False), Column("amount", Numeric(14, 2), nullable=False),
    Column("amount_paid", Numeric(14, 2), nullable=False), Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False), Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)
payments = _tenant_table(
    "payments",
    Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("invoice_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False), Column("currency", Text, nullable=False),
    Column("paid_at", TS, nullable=False), Column("created_at", TS, nullable=False),
)
tasks = _tenant_table(
    "tasks",
    Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("invoice_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("title", Text, nullable=False), Column("category", Text),
    Column("owner_user_id", UUID(as_uuid=True), nullable=False), Column("status", Text, nullable=False),
    Column("origin", Text, nullable=False), Column("priority", Integer, nullable=False),
    Column("due_at", TS), Column("created_by_user_id", UUID(as_uuid=True)),
    Column("created_at", TS, nullable=False), Column("updated_at", TS, nullable=False),
)
actions = _tenant_table(
    "actions",
    Column("task_id", UUID(as_uuid=True), nullable=False), Column("type", Text, nullable=False),
    Column("status", Text, nullable=False), Column("assignee_user_id", UUID(as_uuid=True)),
    Column("created_by_user_id", UUID(as_uuid=True)), Column("due_at", TS),
    Column("trigger_event_id", UUID(as_uuid=True)), Column("payload", JSONB, nullable=False),
    Column("created_at", TS, nullable=False), Column("updated_at", TS, nullable=False),
)
timeline_entries = _tenant_table(
    "timeline_entries",
    Column("customer_id", UUID(as_uuid=True), nullable=False), Column("kind", Text, nullable=False),
    Column("occurred_at", TS, nullable=False), Column("actor_user_id", UUID(as_uuid=True)),
    Column("subject_type", Text, nullable=False), Column("subject_id", UUID(as_uuid=True)),
    Column("summary", Text, nullable=False), Column("data", JSONB, nullable=False),
)

tenant_settings = Table(
    "tenant_settings", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("ai_suggestions", Boolean, nullable=False), Column("timezone", Text, nullable=False),
    Column("updated_at", TS, nullable=False), Column("updated_by_user_id", UUID(as_uuid=True)),
)
