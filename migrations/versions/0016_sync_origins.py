"""mirrored listings: each one's source and what it said when last fetched (sync_origin),
and how far the pull from each source has got (sync_cursor)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 09:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # service.id's type since 0011: uuid on PostgreSQL, text elsewhere
    id_type = (postgresql.UUID(as_uuid=False) if op.get_bind().dialect.name == 'postgresql'
               else sa.String(36))
    op.create_table(
        'sync_origin',
        sa.Column('service_id', id_type, sa.ForeignKey('service.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('fetched_at', sa.DateTime(), nullable=False),
        sa.Column('upstream_modified', sa.DateTime(), nullable=True),
        sa.Column('upstream_hash', sa.String(64), nullable=False),
        sa.Column('upstream_fields', sa.Text(), nullable=False),
        sa.Column('local_fields', sa.Text(), nullable=False),
        sa.Column('conflicts', sa.Text(), nullable=True),
        sa.Column('conflict_at', sa.DateTime(), nullable=True),
    )
    op.create_index('ix_sync_origin_source', 'sync_origin', ['source'])
    op.create_table(
        'sync_cursor',
        sa.Column('source', sa.String(500), primary_key=True),
        sa.Column('since', sa.DateTime(), nullable=True),
        sa.Column('next_page', sa.Integer(), nullable=False),
        sa.Column('run_mark', sa.DateTime(), nullable=True),
        sa.Column('mark', sa.DateTime(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
    )


def downgrade():
    op.drop_table('sync_cursor')
    op.drop_index('ix_sync_origin_source', table_name='sync_origin')
    op.drop_table('sync_origin')
