"""Token buckets of the per-tenant and per-provider rate limits, shared by every replica.

Revision ID: 0004
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # Not a tenant table: it holds counters keyed "tenant:<id>" or "provider:<name>", and a
    # provider's bucket is shared by all tenants, so it is read outside any one tenant's rows.
    op.execute("""
        create table rate_buckets (
            key text primary key,
            tokens double precision not null,
            at timestamptz not null
        )""")


def downgrade():
    op.execute("drop table if exists rate_buckets")
