"""incremental search: the log of committed search-data changes workers apply

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_change',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('services', sa.Text(), nullable=False),
        sa.Column('added', sa.Text(), nullable=False),
        sa.Column('removed', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
    )


def downgrade():
    op.drop_table('search_change')
