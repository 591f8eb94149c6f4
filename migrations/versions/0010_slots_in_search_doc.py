"""open-now slots move into search_doc: one JSON object per service
(``{"Europe/London":[[0,540,1020]]}``) instead of a row per slot in open_slot, which was a
quarter of the rows an import writes and, on PostgreSQL, 1.2 KB per service

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 01:30:00

"""
import json
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

NO_SLOTS = '{}'
_doc = sa.table('search_doc', sa.column('service_id', sa.String), sa.column('slots', sa.Text))
_slot = sa.table('open_slot', sa.column('service_id', sa.String), sa.column('tz_name', sa.String),
                 sa.column('weekday', sa.Integer), sa.column('opens_min', sa.Integer),
                 sa.column('closes_min', sa.Integer))
_meta = sa.table('haven_meta', sa.column('key', sa.String), sa.column('value', sa.Text))


def _new_epoch(bind):
    """Every worker builds its index afresh from the new shape."""
    bind.execute(sa.text("DELETE FROM search_change"))
    bind.execute(_meta.delete().where(_meta.c.key.in_(("index_epoch", "index_seq"))))
    bind.execute(_meta.insert(), [{"key": "index_epoch", "value": uuid.uuid4().hex},
                                  {"key": "index_seq", "value": "0"}])


def upgrade():
    op.add_column('search_doc', sa.Column('slots', sa.Text(), nullable=False,
                                          server_default=NO_SLOTS))
    bind = op.get_bind()
    per_service = {}
    for sid, zone, weekday, opens, closes in bind.execute(
            sa.select(_slot.c.service_id, _slot.c.tz_name, _slot.c.weekday, _slot.c.opens_min,
                      _slot.c.closes_min)
            .order_by(_slot.c.service_id, _slot.c.tz_name, _slot.c.weekday, _slot.c.opens_min,
                      _slot.c.closes_min)):
        per_service.setdefault(sid, {}).setdefault(zone, []).append([weekday, opens, closes])
    rows = [{"sid": sid, "slots": json.dumps(zones, ensure_ascii=False, separators=(",", ":"))}
            for sid, zones in per_service.items()]
    update = _doc.update().where(_doc.c.service_id == sa.bindparam("sid")).values(
        slots=sa.bindparam("slots"))
    for i in range(0, len(rows), 5000):
        bind.execute(update, rows[i:i + 5000])
    op.drop_table('open_slot')
    _new_epoch(bind)


def downgrade():
    op.create_table(
        'open_slot',
        sa.Column('service_id', sa.String(36), nullable=False),
        sa.Column('tz_name', sa.String(64), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('opens_min', sa.Integer(), nullable=False),
        sa.Column('closes_min', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('service_id', 'tz_name', 'weekday', 'opens_min', 'closes_min'),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    rows = [{"service_id": sid, "tz_name": zone, "weekday": wd, "opens_min": opens,
             "closes_min": closes}
            for sid, slots in bind.execute(sa.select(_doc.c.service_id, _doc.c.slots)
                                           .where(_doc.c.slots != NO_SLOTS))
            for zone, entries in json.loads(slots).items() for wd, opens, closes in entries]
    for i in range(0, len(rows), 5000):
        bind.execute(_slot.insert(), rows[i:i + 5000])
    op.drop_column('search_doc', 'slots')
    _new_epoch(bind)
