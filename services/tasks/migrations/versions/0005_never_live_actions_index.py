"""Index the actions that never went live by their creator (A4).

A draft discarded unseen (skipped with no assignee) is as private as a draft, so a creator's own
actions are now found by ``assignee_user_id is null`` rather than by ``status = 'draft'``.

Revision ID: 0005
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("create index actions_creator_never_live on actions (tenant_id, created_by_user_id)"
               " where assignee_user_id is null")
    op.execute("drop index if exists actions_creator_drafts")


def downgrade():
    op.execute("create index actions_creator_drafts on actions (tenant_id, created_by_user_id) where status = 'draft'")
    op.execute("drop index if exists actions_creator_never_live")
