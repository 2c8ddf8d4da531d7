"""In-app items numbered per user, in commit order (E5).

``seq`` was one ``bigserial`` for every tenant. A sequence hands out numbers when rows are
inserted, not when they commit: of two items for one user, the later number could commit first,
the stream moved past it, and the earlier one was never streamed. The numbers also told every user
how many notifications the whole platform had sent. Now each user has a counter, and taking the
next number locks it until the item commits, so one user's items become visible in their order.

Existing items keep their numbers (a stream resuming with a ``Last-Event-ID`` from before goes on
where it was); each counter starts at its user's highest.

Revision ID: 0006
"""
from alembic import op

from common.schema import enable_tenant_rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        create table inbox_counters (
            tenant_id uuid not null,
            user_id uuid not null,
            last_seq bigint not null,
            primary key (tenant_id, user_id)
        )""")
    enable_tenant_rls(op, "inbox_counters")
    op.execute("""
        insert into inbox_counters (tenant_id, user_id, last_seq)
        select tenant_id, user_id, max(seq) from inbox_items group by tenant_id, user_id""")
    op.execute("alter table inbox_items add column user_seq bigint")
    op.execute("update inbox_items set user_seq = seq")
    op.execute("alter table inbox_items drop column seq")  # with the global sequence, its key and index
    op.execute("alter table inbox_items rename column user_seq to seq")
    op.execute("alter table inbox_items alter column seq set not null")
    op.execute("alter table inbox_items drop constraint inbox_items_id_key")
    op.execute("alter table inbox_items add primary key (id)")
    op.execute("create unique index inbox_items_user on inbox_items (tenant_id, user_id, seq)")


def downgrade():
    op.execute("drop index if exists inbox_items_user")
    op.execute("alter table inbox_items drop constraint inbox_items_pkey")
    op.execute("alter table inbox_items add constraint inbox_items_id_key unique (id)")
    op.execute("alter table inbox_items rename column seq to user_seq")
    op.execute("alter table inbox_items add column seq bigserial primary key")
    op.execute("alter table inbox_items drop column user_seq")
    op.execute("create index inbox_items_user on inbox_items (tenant_id, user_id, seq)")
    op.execute("drop table if exists inbox_counters")
