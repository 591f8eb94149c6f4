"""poster campaigns belong to the member organisation that made them: its staff see their
names and scan counts, other members' staff do not (existing campaigns go to member 1)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 20:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # As in 0009: on SQLite the column comes without its REFERENCES clause (adding one with a
    # default is refused while foreign keys are enforced, and a rebuild would cascade-delete
    # the campaign's daily counts).
    op.add_column('campaign', sa.Column('member_id', sa.Integer(), nullable=False,
                                        server_default=sa.text('1')))
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key('fk_campaign_member', 'campaign', 'member', ['member_id'], ['id'])
    op.create_index('ix_campaign_member_id', 'campaign', ['member_id'])


def downgrade():
    op.drop_index('ix_campaign_member_id', table_name='campaign')
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint('fk_campaign_member', 'campaign', type_='foreignkey')
    # ALTER TABLE … DROP COLUMN, not a batch rebuild (which would drop the daily counts).
    op.drop_column('campaign', 'member_id')
