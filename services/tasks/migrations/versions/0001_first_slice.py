"""Customers, contacts, invoices, payments, tasks, actions, timeline; platform tables.

Revision ID: 0001
"""
from alembic import op

from common.schema import create_platform_tables, enable_tenant_rls

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TENANT_TABLES = ("customers", "contacts", "invoices", "payments", "tasks", "actions", "timeline_entries")


def upgrade():
    create_platform_tables(op)
    op.execute("""
    create table customers (
        id uuid primary key,
        tenant_id uuid not null,
        external_id text,
        name text not null,
        owner_user_id uuid not null,
        timezone text not null default 'UTC',
        location jsonb,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        unique (tenant_id, external_id)
    );
    create index customers_tenant_owner on customers (tenant_id, owner_user_id);

    create table contacts (
        id uuid primary key,
        tenant_id uuid not null,
        customer_id uuid not null references customers (id),
        name text not null,
        email text,
        phone text,
        is_main boolean not null default false,
        created_at timestamptz not null
    );
    create index contacts_customer on contacts (tenant_id, customer_id);
    create index contacts_email on contacts (tenant_id, lower(email));
    create index contacts_phone on contacts (tenant_id, phone);

    create table invoices (
        id uuid primary key,
        tenant_id uuid not null,
        external_id text not null,
        customer_id uuid not null references customers (id),
        number text not null,
        issue_date date not null,
        due_date date not null check (due_date >= issue_date),
        amount numeric(14, 2) not null check (amount >= 0),
        amount_paid numeric(14, 2) not null default 0,
        currency char(3) not null,
        status text not null check (status in ('open', 'paid', 'cancelled', 'disputed')),
        created_at timestamptz not null,
        updated_at timestamptz not null,
        unique (tenant_id, external_id)
    );
    create index invoices_customer on invoices (tenant_id, customer_id);

    create table payments (
        id uuid primary key,
        tenant_id uuid not null,
        customer_id uuid not null references customers (id),
        invoice_ids uuid[] not null,
        amount numeric(14, 2) not null check (amount > 0),
        currency char(3) not null,
        paid_at timestamptz not null,
        created_at timestamptz not null
    );
    create index payments_customer on payments (tenant_id, customer_id);

    create table tasks (
        id uuid primary key,
        tenant_id uuid not null,
        customer_id uuid not null references customers (id),
        invoice_ids uuid[] not null default '{}',
        title text not null,
        category text,
        owner_user_id uuid not null,
        status text not null check (status in ('open', 'waiting', 'completed', 'cancelled')),
        origin text not null check (origin in ('manual', 'inbound', 'workflow', 'promise')),
        priority int not null default 0,
        due_at timestamptz,
        created_by_user_id uuid,
        created_at timestamptz not null,
        updated_at timestamptz not null
    );
    create index tasks_owner_queue on tasks (tenant_id, owner_user_id, status, due_at);
    create index tasks_customer on tasks (tenant_id, customer_id, status);

    create table actions (
        id uuid primary key,
        tenant_id uuid not null,
        task_id uuid not null references tasks (id),
        type text not null check (type in ('email', 'sms', 'call', 'internal_note', 'promise_to_pay', 'generic')),
        status text not null check (status in ('draft', 'new', 'in_progress', 'blocked', 'completed', 'skipped')),
        assignee_user_id uuid,
        created_by_user_id uuid,
        due_at timestamptz,
        trigger_event_id uuid,
        payload jsonb not null default '{}',
        created_at timestamptz not null,
        updated_at timestamptz not null
    );
    create index actions_task on actions (tenant_id, task_id);
    create index actions_assignee on actions (tenant_id, assignee_user_id, status, due_at);

    create table timeline_entries (
        id uuid primary key,
        tenant_id uuid not null,
        customer_id uuid not null references customers (id),
        kind text not null,
        occurred_at timestamptz not null,
        actor_user_id uuid,
        subject_type text not null,
        subject_id uuid,
        summary text not null,
        data jsonb not null default '{}'
    );
    -- Keyset pagination newest first: (occurred_at, id) descending within a customer.
    create index timeline_customer on timeline_entries (tenant_id, customer_id, occurred_at desc, id desc);
    """)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)
