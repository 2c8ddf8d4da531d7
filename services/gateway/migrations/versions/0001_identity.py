"""Tenants, users, API keys, idempotency records.

Revision ID: 0001
"""
from alembic import op

from common.schema import enable_tenant_rls

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    create table tenants (
        id uuid primary key,
        tenant_id uuid generated always as (id) stored,
        name text not null,
        features text[] not null default '{}',
        timezone text not null default 'UTC',
        created_at timestamptz not null default now()
    );

    create table users (
        id uuid primary key,
        tenant_id uuid not null references tenants (id),
        email text not null,
        name text not null,
        role text not null check (role in ('admin', 'member', 'client', 'integration')),
        created_at timestamptz not null default now()
    );
    create unique index users_email on users (tenant_id, lower(email));

    -- Keys are looked up by hash before the tenant is known; only authenticate() reads them.
    create table api_keys (
        id uuid primary key,
        tenant_id uuid not null references tenants (id),
        user_id uuid not null references users (id),
        key_hash text not null unique,
        prefix text not null,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
    );

    create table idempotency_records (
        tenant_id uuid not null,
        key text not null,
        method text not null,
        path text not null,
        request_hash text not null,
        state text not null check (state in ('in_progress', 'done')),
        response_status int,
        response_body text,  -- the exact bytes sent, so a replay is identical
        locked_until timestamptz not null,
        created_at timestamptz not null default now(),
        primary key (tenant_id, key)
    );
    create index idempotency_created on idempotency_records (created_at);

    -- Runs with its owner's rights so the gateway role can resolve a key without
    -- any read access to api_keys or to other tenants' users.
    create function authenticate(p_key_hash text)
    returns table (tenant_id uuid, user_id uuid, role text, features text[], email text)
    language sql stable security definer set search_path = gateway as $$
        select k.tenant_id, u.id, u.role, t.features, u.email
        from api_keys k join users u on u.id = k.user_id join tenants t on t.id = k.tenant_id
        where k.key_hash = p_key_hash and k.revoked_at is null
    $$;
    revoke all on function authenticate(text) from public;
    """)
    for table in ("tenants", "users", "idempotency_records"):
        enable_tenant_rls(op, table)
