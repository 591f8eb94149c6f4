"""tip: unread reply flag

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 08:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tip') as batch:
        batch.add_column(sa.Column('unread', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('tip') as batch:
        batch.drop_column('unread')
