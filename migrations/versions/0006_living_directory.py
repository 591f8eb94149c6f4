"""living directory: revisions, verification, reviewed translations, roles and invitations

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service') as batch:
        batch.add_column(sa.Column('assurer', sa.Text(), nullable=True))
        batch.add_column(sa.Column('assurer_email', sa.Text(), nullable=True))
        batch.add_column(sa.Column('assured_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('revision', sa.Integer(), nullable=False,
                                   server_default='1'))
    with op.batch_alter_table('service_translation') as batch:
        batch.add_column(sa.Column('reviewed_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('reviewed_by', sa.Integer(), nullable=True))
    with op.batch_alter_table('staff_user') as batch:
        batch.add_column(sa.Column('organization_id', sa.String(length=36), nullable=True))
    op.create_table(
        'staff_invite',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('organization_id', sa.String(length=36), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.Column('used_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['staff_user.id']),
        sa.ForeignKeyConstraint(['used_by'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_table(
        'listing_revision',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('service_id', sa.String(length=36), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('snapshot', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_listing_revision_service_id', 'listing_revision', ['service_id'])


def downgrade():
    op.drop_index('ix_listing_revision_service_id', table_name='listing_revision')
    op.drop_table('listing_revision')
    op.drop_table('staff_invite')
    with op.batch_alter_table('staff_user') as batch:
        batch.drop_column('organization_id')
    with op.batch_alter_table('service_translation') as batch:
        batch.drop_column('reviewed_by')
        batch.drop_column('reviewed_on')
    with op.batch_alter_table('service') as batch:
        batch.drop_column('revision')
        batch.drop_column('assured_by')
        batch.drop_column('assurer_email')
        batch.drop_column('assurer')
