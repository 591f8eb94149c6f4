"""Shelter space counts: the number of free places staff may give with a status (and what it
counts), and each member's choice to show it publicly (off by default)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE on both backends (SQLite 3.35+), as 0017.
    op.add_column('member', sa.Column('public_space_counts', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.add_column('service_space', sa.Column('free_places', sa.Integer(), nullable=True))
    op.add_column('service_space', sa.Column('unit', sa.String(length=10), nullable=True))


def downgrade():
    op.execute(sa.text('ALTER TABLE service_space DROP COLUMN unit'))
    op.execute(sa.text('ALTER TABLE service_space DROP COLUMN free_places'))
    op.execute(sa.text('ALTER TABLE member DROP COLUMN public_space_counts'))
