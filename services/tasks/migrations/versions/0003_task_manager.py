"""Task manager: action versions and completion, delivery states, promises, the ordered queue.

Revision ID: 0003
"""
from alembic import op

from common.schema import enable_tenant_rls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    alter table actions
        add column version int not null default 1,
        add column completed_at timestamptz,
        add column completed_by_user_id uuid;
    create index actions_trigger on actions (tenant_id, trigger_event_id) where trigger_event_id is not null;
    create index actions_creator_drafts on actions (tenant_id, created_by_user_id) where status = 'draft';

    create table action_deliveries (
        id uuid primary key,
        tenant_id uuid not null,
        action_id uuid not null references actions (id),
        notification_id uuid not null,
        channel text not null,
        recipient text not null,
        state text not null,
        occurred_at timestamptz not null,
        reason text,
        unique (action_id, recipient, state)
    );
    create index action_deliveries_action on action_deliveries (tenant_id, action_id);

    -- C5 queue order, derived from the task so it can never drift: overdue promises first,
    -- then due date (none last: 9999-12-31, as psycopg cannot load 'infinity'), then priority (highest first); id breaks ties for keyset paging.
    alter table tasks
        add column overdue_promise boolean not null default false,
        add column workflow_ref jsonb,
        add column wait_for_completion boolean not null default false,
        add column closed_at timestamptz,
        add column closed_by_user_id uuid,
        add column is_open boolean generated always as (status in ('open', 'waiting')) stored,
        add column queue_rank smallint generated always as (case when overdue_promise then 0 else 1 end) stored,
        add column queue_due_at timestamptz generated always as (coalesce(due_at, '9999-12-31 00:00:00+00'::timestamptz)) stored,
        add column sort_priority int generated always as (-priority) stored;
    drop index tasks_owner_queue;
    create index tasks_queue on tasks (tenant_id, owner_user_id, is_open, queue_rank, queue_due_at, sort_priority, id);

    create table promises (
        id uuid primary key,
        tenant_id uuid not null,
        task_id uuid not null references tasks (id),
        source_task_id uuid references tasks (id),
        customer_id uuid not null references customers (id),
        amount numeric(14, 2) not null check (amount > 0),
        amount_received numeric(14, 2) not null default 0,
        currency char(3) not null,
        promised_date date not null,
        invoice_ids uuid[] not null,
        status text not null check (status in ('waiting', 'kept', 'overdue', 'completed', 'cancelled')),
        due_soon_at timestamptz not null,
        overdue_at timestamptz not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
    );
    create index promises_open_by_customer on promises (tenant_id, customer_id) where status in ('waiting', 'overdue');
    create unique index promises_task on promises (task_id);
    """)
    enable_tenant_rls(op, "action_deliveries")
    enable_tenant_rls(op, "promises")
