"""Sender identities are used only once verified (E1).

Any tenant could declare any domain, then send as it: tenant A declaring ``tenantb.example``
mailed B's customers from B's addresses through the platform's SMTP, which B's SPF and DKIM
vouch for. An identity now proves control first: a link mailed to the mailbox itself, or for a
domain to one of the addresses only its owner receives (``postmaster@`` and the others the CA/B
Forum accepts for domain validation), must be followed.

Identities declared before keep working (``verified_at`` = when they were declared) where no other
tenant declared the same domain (or a mailbox on it): stopping a tenant's mail without warning is its
own harm. Where two tenants claim one domain, neither is trusted until it verifies.

Revision ID: 0007
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("alter table sender_identities add column verified_at timestamptz")
    op.execute("alter table sender_identities add column verification_sent_to text")
    op.execute("alter table sender_identities add column verification_token_hash text")
    op.execute("alter table sender_identities add column verification_expires_at timestamptz")
    op.execute("alter table sender_identities add column verification_requested_by jsonb")
    op.execute("""
        update sender_identities s set verified_at = s.updated_at
        where not exists (
            select 1 from sender_identities other
            where other.tenant_id <> s.tenant_id
              and split_part(other.address, '@', (position('@' in other.address) > 0)::int + 1)
                = split_part(s.address, '@', (position('@' in s.address) > 0)::int + 1))""")
    op.execute("create unique index sender_identities_token on sender_identities (verification_token_hash)"
               " where verification_token_hash is not null")


def downgrade():
    op.execute("drop index if exists sender_identities_token")
    for column in ("verification_requested_by", "verification_expires_at", "verification_token_hash",
                   "verification_sent_to", "verified_at"):
        op.execute(f"alter table sender_identities drop column if exists {column}")
