"""Platform tables and the invoice projection (invoice dates kept from tasks' events).

Revision ID: 0001
"""
from alembic import op

from common.schema import create_platform_tables, enable_tenant_rls

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_platform_tables(op)
    op.execute("""
    create table invoice_projection (
        invoice_id uuid primary key,
        tenant_id uuid not null,
        customer_id uuid not null,
        number text not null,
        issue_date date not null,
        due_date date not null,
        amount numeric(14, 2) not null,
        amount_paid numeric(14, 2) not null,
        currency char(3) not null,
        status text not null,
        source_updated_at timestamptz not null,
        projected_at timestamptz not null default now()
    );
    create index invoice_projection_due on invoice_projection (tenant_id, due_date);
    """)
    enable_tenant_rls(op, "invoice_projection")
