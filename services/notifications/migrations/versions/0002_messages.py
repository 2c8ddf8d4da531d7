"""Templates, messages, per-recipient deliveries and their history, tracking links, in-app inbox.

Revision ID: 0002
"""
from alembic import op

from common.schema import enable_tenant_rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DDL = """
create table templates (
    tenant_id uuid not null,
    name text not null,
    channel text not null,
    subject text,
    body_text text,
    body_html text,
    variables jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, name)
);

-- One row per accepted request. (tenant, idempotency_key) is unique, so a repeat is refused here too.
create table messages (
    id uuid primary key,
    tenant_id uuid not null,
    idempotency_key text not null,
    kind text not null,
    channel text not null,
    sender jsonb,
    content jsonb not null,
    subject_ref jsonb,
    registered boolean not null default false,
    created_at timestamptz not null default now(),
    unique (tenant_id, idempotency_key)
);

create table deliveries (
    id uuid primary key,
    tenant_id uuid not null,
    message_id uuid not null references messages (id),
    channel text not null,
    recipient text not null,
    role text not null default 'to',
    user_id uuid,
    state text not null,
    reason text,
    updated_at timestamptz not null,
    -- One provider call per recipient (per-recipient tracking links and Message-ID).
    -- send_state pending, sending, sent or failed. sending is committed before the call, so finding
    -- it again after a crash means an unknown outcome. The sender then looks it up instead of resending.
    provider text,
    send_state text not null default 'pending',
    attempts int not null default 0,
    last_error text,
    provider_ref text,
    accepted_at timestamptz
);
create index deliveries_message on deliveries (message_id);
create index deliveries_provider_ref on deliveries (provider, provider_ref);

create table delivery_events (
    id bigserial primary key,
    tenant_id uuid not null,
    delivery_id uuid not null references deliveries (id),
    state text not null,
    reason text,
    occurred_at timestamptz not null
);
create index delivery_events_delivery on delivery_events (delivery_id);

-- Unguessable tokens for the open pixel (url null) and click redirects. The tenant is the token
-- prefix, so unauthenticated routes know which tenant transaction to look in.
create table tracking_links (
    token text primary key,
    tenant_id uuid not null,
    delivery_id uuid not null references deliveries (id),
    url text
);
create index tracking_links_delivery on tracking_links (delivery_id);

create table inbox_items (
    seq bigserial primary key,
    id uuid not null unique,
    tenant_id uuid not null,
    user_id uuid not null,
    delivery_id uuid references deliveries (id),
    kind text not null,
    title text not null,
    body text,
    subject_ref jsonb,
    created_at timestamptz not null,
    read_at timestamptz
);
create index inbox_items_user on inbox_items (tenant_id, user_id, seq);
create index inbox_items_unread on inbox_items (tenant_id, user_id) where read_at is null;
"""

TENANT_TABLES = ("templates", "messages", "deliveries", "delivery_events", "tracking_links",
                 "inbox_items")


def upgrade():
    for statement in DDL.split(";"):
        if statement.strip():
            op.execute(statement)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade():
    for table in reversed(TENANT_TABLES):
        op.execute(f"drop table if exists {table}")
