"""Expired idempotency records are deleted; until now they were only taken over when their key came back.

The gateway's role sees one tenant at a time (row-level security), so the purge runs with its owner's
rights, like ``authenticate``, and can do nothing but delete records older than it is told.

Revision ID: 0002
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    create function purge_idempotency_records(p_older_than_s double precision, p_limit int)
    returns int language sql volatile security definer set search_path = gateway as $$
        with gone as (
            delete from idempotency_records where ctid = any(array(
                select ctid from idempotency_records
                where created_at < now() - make_interval(secs => p_older_than_s)
                limit p_limit for update skip locked))
            returning 1)
        select count(*)::int from gone
    $$;
    revoke all on function purge_idempotency_records(double precision, int) from public;
    """)


def downgrade():
    op.execute("drop function purge_idempotency_records(double precision, int)")
