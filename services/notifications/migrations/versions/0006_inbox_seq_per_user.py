"""In-app items numbered per user, in commit order (E5).

``seq`` was one ``bigserial`` for every tenant. A sequence hands out numbers when rows are
inserted, not when they commit: of two items for one user, the later number could commit first,
the stream moved past it, and the earlier one was never streamed. The numbers also told every user
how many notifications the whole platform had sent. Now each user has a counter, and taking the
next number locks it until the item commits, so one user's items become visible in their order.

The number is taken by a trigger on insert, not by the inserting code: replicas of the release before
(a rolling deploy keeps them serving after this migration) insert without ``seq``, and theirs must
be numbered the same way, or fail on the NOT NULL.

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
    # Runs as the inserting role, under its tenant's row-level security; the search path is the schema's.
    op.execute("""
        create function number_inbox_item() returns trigger language plpgsql
        set search_path from current as $$
        begin
            insert into inbox_counters (tenant_id, user_id, last_seq) values (new.tenant_id, new.user_id, 1)
            on conflict (tenant_id, user_id) do update set last_seq = inbox_counters.last_seq + 1
            returning last_seq into new.seq;
            return new;
        end $$""")
    op.execute("create trigger number_inbox_item before insert on inbox_items"
               " for each row execute function number_inbox_item()")


def downgrade():
    op.execute("drop trigger if exists number_inbox_item on inbox_items")
    op.execute("drop function if exists number_inbox_item()")
    op.execute("drop index if exists inbox_items_user")
    op.execute("alter table inbox_items drop constraint inbox_items_pkey")
    op.execute("alter table inbox_items add constraint inbox_items_id_key unique (id)")
    op.execute("alter table inbox_items rename column seq to user_seq")
    # Numbered again in the order the items came, each user's order kept (not the rows' order on disk).
    op.execute("alter table inbox_items add column seq bigint")
    op.execute("""
        update inbox_items i set seq = n.seq from (
            select id, row_number() over (order by created_at, user_seq, id) as seq from inbox_items) n
        where n.id = i.id""")
    op.execute("create sequence inbox_items_seq_seq owned by inbox_items.seq")
    op.execute("select setval('inbox_items_seq_seq', coalesce((select max(seq) from inbox_items), 0) + 1, false)")
    op.execute("alter table inbox_items alter column seq set default nextval('inbox_items_seq_seq')")
    op.execute("alter table inbox_items alter column seq set not null")
    op.execute("alter table inbox_items add primary key (seq)")
    op.execute("alter table inbox_items drop column user_seq")
    op.execute("create index inbox_items_user on inbox_items (tenant_id, user_id, seq)")
    op.execute("drop table if exists inbox_counters")
