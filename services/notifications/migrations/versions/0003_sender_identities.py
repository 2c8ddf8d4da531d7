"""Per-tenant sender identities: the domains and mailboxes email may be sent from.

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
        create table sender_identities (
            tenant_id uuid not null,
            address text not null,          -- a domain (acme.example) or a mailbox (billing@acme.example)
            display_name text,
            is_default boolean not null default false,
            updated_at timestamptz not null default now(),
            primary key (tenant_id, address)
        )""")
    op.execute("create unique index sender_identities_one_default on sender_identities (tenant_id) where is_default")
    enable_tenant_rls(op, "sender_identities")


def downgrade():
    op.execute("drop table if exists sender_identities")
