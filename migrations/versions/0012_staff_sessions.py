"""staff sessions kept on the server: sign-out, idle and absolute limits, revocation

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staff_session',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen', sa.DateTime(), nullable=False),
        sa.Column('totp_at', sa.DateTime(), nullable=False),
        sa.Column('vault_handle', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_staff_session_user_id', 'staff_session', ['user_id'])


def downgrade():
    op.drop_index('ix_staff_session_user_id', table_name='staff_session')
    op.drop_table('staff_session')
