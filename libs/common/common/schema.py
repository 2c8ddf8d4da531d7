"""Helpers for migrations: the platform tables every service has, and tenant row-level security."""
from __future__ import annotations

PLATFORM_TABLES = ("outbox", "inbox", "timers", "alembic_version")

PLATFORM_DDL = """
create table outbox (
    id bigserial primary key,
    event_id uuid not null unique,
    tenant_id uuid not null,
    exchange text not null,
    routing_key text not null,
    body jsonb not null,
    headers jsonb not null default '{}',
    created_at timestamptz not null default now(),
    published_at timestamptz
);
create index outbox_unpublished on outbox (id) where published_at is null;
create index outbox_published_at on outbox (published_at) where published_at is not null;

create table inbox (
    consumer text not null,
    message_id text not null,
    tenant_id uuid,
    result jsonb,
    processed_at timestamptz not null default now(),
    primary key (consumer, message_id)
);
create index inbox_processed_at on inbox (processed_at);

create table timers (
    id bigserial primary key,
    tenant_id uuid not null,
    kind text not null,
    key text not null,
    due_at timestamptz not null,
    payload jsonb not null default '{}',
    attempts int not null default 0,
    claimed_by text,
    claimed_until timestamptz,
    done_at timestamptz,
    dead boolean not null default false,
    last_error text,
    created_at timestamptz not null default now(),
    unique (tenant_id, kind, key)
);
-- A tick reads only due, unfinished rows: its cost grows with them, not with the table.
create index timers_due on timers (due_at) where done_at is null;
"""

TENANT_PREDICATE = "tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid"


def create_platform_tables(op) -> None:
    for statement in PLATFORM_DDL.split(";"):
        if statement.strip():
            op.execute(statement)


def enable_tenant_rls(op, table: str) -> None:
    """Rows of ``table`` are visible and writable only inside their tenant's transaction."""
    op.execute(f"alter table {table} enable row level security")
    op.execute(f"alter table {table} force row level security")
    op.execute(
        f"create policy tenant_isolation on {table} using ({TENANT_PREDICATE}) with check ({TENANT_PREDICATE})"
    )
