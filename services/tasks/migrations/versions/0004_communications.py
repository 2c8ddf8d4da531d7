"""Inbound communications (email, SMS, call transcripts), matched to a contact or kept as unmatched (B1).

Revision ID: 0004
"""
from alembic import op

from common.schema import enable_tenant_rls

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    create table communications (
        id uuid primary key,
        tenant_id uuid not null,
        channel text not null check (channel in ('email', 'sms', 'call')),
        external_id text not null,
        from_address text not null,
        to_address text,
        subject text,
        body text not null,
        received_at timestamptz not null,
        customer_id uuid references customers (id),
        contact_id uuid references contacts (id),
        status text not null check (status in ('unmatched', 'pending', 'decided')),
        task_id uuid references tasks (id),
        decision jsonb,
        created_at timestamptz not null,
        decided_at timestamptz,
        unique (tenant_id, channel, external_id)
    );
    create index communications_status on communications (tenant_id, status, created_at desc, id desc);
    create index communications_customer on communications (tenant_id, customer_id, received_at desc);
    create index communications_task on communications (tenant_id, task_id, received_at desc);
    """)
    enable_tenant_rls(op, "communications")
