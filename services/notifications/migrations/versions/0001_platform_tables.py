"""Platform tables (outbox, inbox, timers) of the notifications schema.

Revision ID: 0001
"""
from alembic import op

from common.schema import create_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_platform_tables(op)
