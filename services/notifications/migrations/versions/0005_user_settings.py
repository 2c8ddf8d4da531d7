"""Per-user notification settings: which in-app notifications also go to the user's email (A4, E5).

Revision ID: 0005
"""
from alembic import op

from common.schema import enable_tenant_rls

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    # The address is the user's as the gateway knew it when they saved: users are the gateway's, and
    # a request names only user ids, so the address an email copy goes to must be kept here.
    op.execute("""
        create table user_settings (
            tenant_id uuid not null,
            user_id uuid not null,
            email text not null,
            email_kinds text[] not null,
            updated_at timestamptz not null,
            primary key (tenant_id, user_id)
        )""")
    enable_tenant_rls(op, "user_settings")


def downgrade():
    op.execute("drop table if exists user_settings")
