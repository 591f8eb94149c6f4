"""listing reports from readers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'listing_report',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('service_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('locale', sa.String(length=20), nullable=False),
        sa.Column('reported_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('handled_by', sa.Integer(), nullable=True),
        sa.Column('handled_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['handled_by'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_listing_report_service_id', 'listing_report', ['service_id'])
    op.create_index('ix_listing_report_status', 'listing_report', ['status'])


def downgrade():
    op.drop_index('ix_listing_report_status', table_name='listing_report')
    op.drop_index('ix_listing_report_service_id', table_name='listing_report')
    op.drop_table('listing_report')
