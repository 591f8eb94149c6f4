"""compact search data: search_token (a row per token) becomes search_doc (a row per
service); derived and link tables lose their rowid and redundant indexes, and languages,
phones and schedules are keyed by their service first

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 18:00:00

"""
import json
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_token = sa.table('search_token', sa.column('token', sa.String), sa.column('service_id', sa.String),
                  sa.column('weight', sa.Float))
_doc = sa.table('search_doc', sa.column('service_id', sa.String), sa.column('tokens', sa.Text))
_meta = sa.table('haven_meta', sa.column('key', sa.String), sa.column('value', sa.Text))


def _number(weight):
    return int(weight) if float(weight).is_integer() else float(weight)


def _new_epoch(bind):
    """Every worker builds its index afresh from the new table."""
    bind.execute(sa.text("DELETE FROM search_change"))
    bind.execute(_meta.delete().where(_meta.c.key.in_(("index_epoch", "index_seq"))))
    bind.execute(_meta.insert(), [{"key": "index_epoch", "value": uuid.uuid4().hex},
                                  {"key": "index_seq", "value": "0"}])


def _service_fk():
    return sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE')


# table -> (columns, primary key, extra constraints, indexes, copy distinct rows)
COMPACT = {
    'language': (lambda: [sa.Column('service_id', sa.String(36), nullable=False),
                          sa.Column('id', sa.String(36), nullable=False),
                          sa.Column('position', sa.Integer(), nullable=False),
                          sa.Column('code', sa.String(20), nullable=False),
                          sa.Column('name', sa.Text()), sa.Column('note', sa.Text())],
                 ['service_id', 'id'], lambda: [_service_fk()], {}, False),
    'open_slot': (lambda: [sa.Column('service_id', sa.String(36), nullable=False),
                           sa.Column('tz_name', sa.String(64), nullable=False),
                           sa.Column('weekday', sa.Integer(), nullable=False),
                           sa.Column('opens_min', sa.Integer(), nullable=False),
                           sa.Column('closes_min', sa.Integer(), nullable=False)],
                  ['service_id', 'tz_name', 'weekday', 'opens_min', 'closes_min'],
                  lambda: [_service_fk()], {}, True),
    'service_term': (lambda: [sa.Column('service_id', sa.String(36), nullable=False),
                              sa.Column('term_id', sa.String(36), nullable=False)],
                     ['service_id', 'term_id'],
                     lambda: [_service_fk(), sa.ForeignKeyConstraint(
                         ['term_id'], ['taxonomy_term.id'], ondelete='CASCADE')],
                     {'ix_service_term_term': ['term_id', 'service_id']}, False),
    'search_vocab': (lambda: [sa.Column('token', sa.String(200), nullable=False),
                              sa.Column('df', sa.Integer(), nullable=False)],
                     ['token'], lambda: [], {}, False),
    'phone': (lambda: [sa.Column('service_id', sa.String(36), nullable=False),
                       sa.Column('id', sa.String(36), nullable=False),
                       sa.Column('position', sa.Integer(), nullable=False),
                       sa.Column('number', sa.String(100), nullable=False),
                       sa.Column('extension', sa.Float()),
                       sa.Column('type', sa.String(20), nullable=False),
                       sa.Column('description', sa.Text()),
                       sa.Column('language_codes', sa.Text(), nullable=False)],
              ['service_id', 'id'], lambda: [_service_fk()], {}, False),
    'schedule': (lambda: [sa.Column('service_id', sa.String(36), nullable=False),
                          sa.Column('id', sa.String(36), nullable=False),
                          sa.Column('position', sa.Integer(), nullable=False),
                          sa.Column('freq', sa.String(10)), sa.Column('byday', sa.String(40)),
                          sa.Column('opens_at', sa.String(20)),
                          sa.Column('closes_at', sa.String(20)),
                          sa.Column('tz_offset', sa.Float()), sa.Column('tz_name', sa.String(64)),
                          sa.Column('valid_from', sa.String(20)),
                          sa.Column('valid_to', sa.String(20)),
                          sa.Column('description', sa.Text())],
                 ['service_id', 'id'], lambda: [_service_fk()], {}, False),
}
BEFORE = {
    'language': (COMPACT['language'][0], ['id'], lambda: [_service_fk()],
                 {'ix_language_code': ['code'], 'ix_language_service_id': ['service_id']},
                 False),
    'open_slot': (lambda: [sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
                           *COMPACT['open_slot'][0]()], ['id'], lambda: [_service_fk()],
                  {'ix_open_slot_lookup': ['tz_name', 'weekday', 'opens_min'],
                   'ix_open_slot_service': ['service_id']}, False),
    'service_term': (*COMPACT['service_term'][:4], False),
    'search_vocab': COMPACT['search_vocab'],
    'phone': (COMPACT['phone'][0], ['id'], lambda: [_service_fk()],
              {'ix_phone_service_id': ['service_id']}, False),
    'schedule': (COMPACT['schedule'][0], ['id'], lambda: [_service_fk()],
                 {'ix_schedule_service_id': ['service_id']}, False),
}


def _rebuild(table, shape, with_rowid):
    """Recreate a table in a new shape and copy its rows (the same on both backends)."""
    columns, key, constraints, indexes, distinct = shape
    cols = columns()
    inspector = sa.inspect(op.get_bind())
    had = {c['name'] for c in inspector.get_columns(table)}
    names = ", ".join(c.name for c in cols if c.name in had)
    op.create_table(f'{table}_new', *cols, *constraints(), sa.PrimaryKeyConstraint(*key),
                    sqlite_with_rowid=with_rowid)
    op.execute(f"INSERT INTO {table}_new ({names}) SELECT {'DISTINCT ' if distinct else ''}"
               f"{names} FROM {table}")  # noqa: S608 (names from this file)
    for index in inspector.get_indexes(table):
        op.drop_index(index['name'], table_name=table)
    op.drop_table(table)
    op.rename_table(f'{table}_new', table)
    for index, on in indexes.items():
        op.create_index(index, table, on)


def upgrade():
    op.create_table(
        'search_doc',
        sa.Column('service_id', sa.String(length=36), nullable=False),
        sa.Column('tokens', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('service_id'),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    docs = {}
    for token, sid, weight in bind.execute(sa.select(_token.c.token, _token.c.service_id,
                                                     _token.c.weight)):
        docs.setdefault(sid, {})[token] = _number(weight)
    rows = [{"service_id": sid, "tokens": json.dumps(d, ensure_ascii=False,
                                                     separators=(",", ":"))}
            for sid, d in docs.items()]
    for i in range(0, len(rows), 5000):
        bind.execute(_doc.insert(), rows[i:i + 5000])
    with op.batch_alter_table('search_token', schema=None) as batch_op:
        batch_op.drop_index('ix_search_token_service')
    op.drop_table('search_token')
    for table, shape in COMPACT.items():
        _rebuild(table, shape, with_rowid=False)
    _new_epoch(bind)


def downgrade():
    for table, shape in BEFORE.items():
        _rebuild(table, shape, with_rowid=True)
    op.create_table(
        'search_token',
        sa.Column('token', sa.String(length=200), nullable=False),
        sa.Column('service_id', sa.String(length=36), nullable=False),
        sa.Column('weight', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token', 'service_id'),
    )
    with op.batch_alter_table('search_token', schema=None) as batch_op:
        batch_op.create_index('ix_search_token_service', ['service_id'], unique=False)
    bind = op.get_bind()
    rows = [{"token": t, "service_id": sid, "weight": float(w)}
            for sid, text in bind.execute(sa.select(_doc.c.service_id, _doc.c.tokens))
            for t, w in json.loads(text).items()]
    for i in range(0, len(rows), 5000):
        bind.execute(_token.insert(), rows[i:i + 5000])
    op.drop_table('search_doc')
    _new_epoch(bind)
