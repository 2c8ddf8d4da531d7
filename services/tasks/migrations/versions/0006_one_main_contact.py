"""A customer has at most one main contact (the one an SMS goes to when an action names no number).

Two main contacts added at once could both keep the flag; the service now takes the customer's lock,
and this index makes a second main contact impossible whatever writes it. Where two exist already, the
most recently added keeps the flag, as it would have had they been added one after the other.

Revision ID: 0006
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        update contacts c set is_main = false
        where c.is_main and exists (
            select 1 from contacts newer
            where newer.customer_id = c.customer_id and newer.is_main
              and (newer.created_at, newer.id) > (c.created_at, c.id))""")
    op.execute("create unique index contacts_one_main on contacts (customer_id) where is_main")


def downgrade():
    op.execute("drop index if exists contacts_one_main")
