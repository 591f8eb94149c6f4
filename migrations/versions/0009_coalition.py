"""coalition: member organisations with their own keys, staff and tips; sealed referrals;
shelter space, private update links, space requests and their anonymous outcomes

The organisation every install had becomes member 1 ("default"), migrated in place: its key,
staff, tips and audit log get member_id 1.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 19:00:00

"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Tables that gain member_id. On SQLite the column is added without its REFERENCES clause:
# SQLite cannot add a referencing column with a default while foreign keys are enforced, and
# rebuilding these tables would cascade-delete their children (tip photos, messages, notes).
MEMBER_COLUMNS = {"org_key": True, "tip": True, "staff_user": False, "staff_invite": False,
                  "audit_log": True}


def upgrade():
    op.create_table(
        'member',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('slug', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('organization_id', sa.String(length=36), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('slug'),
    )
    member = sa.table('member', sa.column('id', sa.Integer), sa.column('slug', sa.String),
                      sa.column('name', sa.String), sa.column('kind', sa.String),
                      sa.column('created_at', sa.DateTime))
    op.bulk_insert(member, [{"id": 1, "slug": "default", "name": "Default organisation",
                             "kind": "ngo",
                             "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None,
                                                                           microsecond=0)}])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('member', 'id'), 1)")
    for table, indexed in MEMBER_COLUMNS.items():
        op.add_column(table, sa.Column('member_id', sa.Integer(), nullable=False,
                                       server_default=sa.text('1')))
        if bind.dialect.name != "sqlite":
            op.create_foreign_key(f'fk_{table}_member', table, 'member', ['member_id'], ['id'])
        if indexed:
            op.create_index(f'ix_{table}_member_id', table, ['member_id'])
    op.create_table(
        'referral',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('tip_id', sa.String(length=32), nullable=False),
        sa.Column('from_member_id', sa.Integer(), nullable=False),
        sa.Column('to_member_id', sa.Integer(), nullable=False),
        sa.Column('to_key_id', sa.Integer(), nullable=False),
        sa.Column('from_key_id', sa.Integer(), nullable=False),
        sa.Column('key_for_partner', sa.LargeBinary(), nullable=False),
        sa.Column('key_for_sender', sa.LargeBinary(), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('fields', sa.String(length=200), nullable=False),
        sa.Column('with_photos', sa.Boolean(), nullable=False),
        sa.Column('consent', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('closed_by_member_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['tip_id'], ['tip.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['from_member_id'], ['member.id']),
        sa.ForeignKeyConstraint(['to_member_id'], ['member.id']),
        sa.ForeignKeyConstraint(['to_key_id'], ['org_key.id']),
        sa.ForeignKeyConstraint(['from_key_id'], ['org_key.id']),
        sa.ForeignKeyConstraint(['created_by'], ['staff_user.id']),
        sa.ForeignKeyConstraint(['closed_by_member_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_referral_tip_id', 'referral', ['tip_id'])
    op.create_index('ix_referral_from_member_id', 'referral', ['from_member_id'])
    op.create_index('ix_referral_to_member_id', 'referral', ['to_member_id'])
    op.create_table(
        'referral_photo',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('referral_id', sa.String(length=32), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_referral_photo_referral_id', 'referral_photo', ['referral_id'])
    op.create_table(
        'referral_event',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('referral_id', sa.String(length=32), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_referral_event_referral_id', 'referral_event', ['referral_id'])
    op.create_table(
        'referral_note',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('referral_id', sa.String(length=32), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['member.id']),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_referral_note_referral_id', 'referral_note', ['referral_id'])
    op.create_table(
        'service_space',
        sa.Column('service_id', sa.String(length=36), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('populations', sa.String(length=100), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('service_id'),
    )
    op.create_table(
        'space_link',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('service_id', sa.String(length=36), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('label', sa.String(length=60), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_space_link_service_id', 'space_link', ['service_id'])
    op.create_table(
        'space_request',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('household', sa.String(length=30), nullable=False),
        sa.Column('populations', sa.String(length=100), nullable=False),
        sa.Column('languages', sa.String(length=100), nullable=False),
        sa.Column('needs', sa.String(length=100), nullable=False),
        sa.Column('child_ages', sa.String(length=40), nullable=False),
        sa.Column('urgency', sa.String(length=10), nullable=False),
        sa.Column('area', sa.String(length=80), nullable=False),
        sa.Column('details', sa.String(length=400), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('open_until', sa.DateTime(), nullable=False),
        sa.Column('held_service_id', sa.String(length=36), nullable=True),
        sa.Column('held_member_id', sa.Integer(), nullable=True),
        sa.Column('accepted_at', sa.DateTime(), nullable=True),
        sa.Column('held_until', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['member.id']),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id']),
        sa.ForeignKeyConstraint(['held_member_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_space_request_member_id', 'space_request', ['member_id'])
    op.create_index('ix_space_request_created_at', 'space_request', ['created_at'])
    op.create_table(
        'space_answer',
        sa.Column('request_id', sa.String(length=32), nullable=False),
        sa.Column('service_id', sa.String(length=36), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('answer', sa.String(length=10), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['request_id'], ['space_request.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['member.id']),
        sa.PrimaryKeyConstraint('request_id', 'service_id'),
    )
    op.create_index('ix_space_answer_member', 'space_answer', ['member_id', 'answer'])
    op.create_table(
        'space_outcome',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('accepted', sa.Boolean(), nullable=False),
        sa.Column('minutes_to_accept', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_space_outcome_week', 'space_outcome', ['week'])


def downgrade():
    for table in ('space_outcome', 'space_answer', 'space_request', 'space_link',
                  'service_space', 'referral_note', 'referral_event', 'referral_photo',
                  'referral'):
        op.drop_table(table)
    bind = op.get_bind()
    for table, indexed in MEMBER_COLUMNS.items():
        if indexed:
            op.drop_index(f'ix_{table}_member_id', table_name=table)
        if bind.dialect.name != "sqlite":
            op.drop_constraint(f'fk_{table}_member', table, type_='foreignkey')
        op.drop_column(table, 'member_id')
    op.drop_table('member')
