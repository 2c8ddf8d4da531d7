"""Expired idempotency records are deleted; until now they were only taken over when their key came back.
And both SECURITY DEFINER functions resolve names with the caller's temporary schema last.

The gateway's role sees one tenant at a time (row-level security), so the purge runs with its owner's
rights, like ``authenticate``, and can do nothing but delete records older than it is told. A function
that runs with its owner's rights must not let the caller choose what its names mean: without
``pg_temp`` named last, PostgreSQL looks in the caller's temporary schema first, and a temporary table
called ``idempotency_records`` with a trigger (or a temporary view called ``api_keys``) would run the
caller's code, or answer the caller's rows, as the function's owner.

Revision ID: 0002
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SAFE_PATH = "pg_catalog, gateway, pg_temp"


def upgrade():
    op.execute(f"""
    create function purge_idempotency_records(p_older_than_s double precision, p_limit int)
    returns int language sql volatile security definer set search_path = {SAFE_PATH} as $$
        with gone as (
            delete from gateway.idempotency_records where ctid = any(array(
                select ctid from gateway.idempotency_records
                where created_at < now() - make_interval(secs => p_older_than_s)
                limit p_limit for update skip locked))
            returning 1)
        select count(*)::int from gone
    $$;
    revoke all on function purge_idempotency_records(double precision, int) from public;
    alter function authenticate(text) set search_path = {SAFE_PATH};
    """)


def downgrade():
    op.execute("alter function authenticate(text) set search_path = gateway")
    op.execute("drop function purge_idempotency_records(double precision, int)")
