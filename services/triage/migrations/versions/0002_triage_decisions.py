"""Triage decisions (input digest, model, output, confidence, latency, fallback) and conversation gradings.

Revision ID: 0002
"""
from alembic import op

from common.schema import enable_tenant_rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    create table triage_decisions (
        id uuid primary key,
        tenant_id uuid not null,
        communication_id uuid not null,
        customer_id uuid not null,
        input_digest text not null,
        model text not null,
        outcome text not null,
        fell_back boolean not null,
        decision text not null check (decision in ('linked', 'created')),
        task_id uuid,
        category text not null,
        confidence numeric(5, 4) not null,
        output jsonb not null,
        latency_ms int not null,
        received_at timestamptz,
        created_at timestamptz not null,
        unique (tenant_id, communication_id)
    );
    create index triage_decisions_created on triage_decisions (tenant_id, created_at);

    create table conversation_gradings (
        id uuid primary key,
        tenant_id uuid not null,
        input_digest text not null,
        model text not null,
        fell_back boolean not null,
        score numeric(5, 2) not null,
        output jsonb not null,
        latency_ms int not null,
        created_at timestamptz not null
    );
    """)
    enable_tenant_rls(op, "triage_decisions")
    enable_tenant_rls(op, "conversation_gradings")
