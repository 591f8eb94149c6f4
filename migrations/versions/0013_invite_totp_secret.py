"""staff invitation: the TOTP secret the server chose for the invitee, kept until the link is
spent

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_invite') as batch:
        batch.add_column(sa.Column('pending_secret', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('staff_invite') as batch:
        batch.drop_column('pending_secret')
