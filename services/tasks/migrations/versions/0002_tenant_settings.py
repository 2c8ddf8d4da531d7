"""Per-tenant settings of the task manager (B5 AI suggestions switch, time zone for schedules).

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
    create table tenant_settings (
        tenant_id uuid primary key,
        ai_suggestions boolean not null default true,
        timezone text not null default 'UTC',
        updated_at timestamptz not null default now(),
        updated_by_user_id uuid
    );
    """)
    enable_tenant_rls(op, "tenant_settings")
