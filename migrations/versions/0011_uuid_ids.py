"""HSDS ids in PostgreSQL's uuid type (16 bytes instead of 37 as text, in every row and
index entry that names a service, organisation or location); ids in lower case on
both backends, as the importer now stores them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:00:00

"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# (table, its id columns, those that may be empty), parents first.
COLUMNS = [
    ("organization", ("id",), ()),
    ("taxonomy", ("id",), ()),
    ("taxonomy_term", ("id", "taxonomy_id"), ("taxonomy_id",)),
    ("service", ("id", "organization_id"), ("organization_id",)),
    ("location", ("id", "organization_id", "address_id"), ("organization_id", "address_id")),
    ("service_at_location", ("id", "service_id", "location_id"), ()),
    ("service_term", ("service_id", "term_id"), ()),
    ("service_translation", ("service_id",), ()),
    ("phone", ("service_id", "id"), ()),
    ("schedule", ("service_id", "id"), ()),
    ("language", ("service_id", "id"), ()),
    ("search_doc", ("service_id",), ()),
    ("listing_report", ("service_id",), ()),
    ("listing_revision", ("service_id",), ()),
    ("service_space", ("service_id",), ()),
    ("space_link", ("service_id",), ()),
    ("space_request", ("held_service_id",), ("held_service_id",)),
    ("space_answer", ("service_id",), ()),
    ("member", ("organization_id",), ("organization_id",)),
    ("staff_user", ("organization_id",), ("organization_id",)),
    ("staff_invite", ("organization_id",), ("organization_id",)),
]
PARENTS = ("organization", "taxonomy", "taxonomy_term", "service", "location")
_meta = sa.table('haven_meta', sa.column('key', sa.String), sa.column('value', sa.Text))


def _new_epoch(bind):
    """Every worker builds its index afresh (ids may have changed case)."""
    bind.execute(sa.text("DELETE FROM search_change"))
    bind.execute(_meta.delete().where(_meta.c.key.in_(("index_epoch", "index_seq"))))
    bind.execute(_meta.insert(), [{"key": "index_epoch", "value": uuid.uuid4().hex},
                                  {"key": "index_seq", "value": "0"}])


def _foreign_keys(bind):
    """(table, name, definition) of every foreign key that points at an id column."""
    return bind.execute(sa.text(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.contype = 'f' "
        "AND c.confrelid::regclass::text = ANY(:parents)"), {"parents": list(PARENTS)}).all()


def _retype(bind, to_uuid):
    keys = _foreign_keys(bind)
    for table, name, _definition in keys:
        op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for table, columns, nullable in COLUMNS:
        changes = []
        for col in columns:
            if to_uuid:
                value = f"NULLIF({col}, '')" if col in nullable else col
                changes.append(f"ALTER COLUMN {col} TYPE uuid USING {value}::uuid")
            else:
                changes.append(f"ALTER COLUMN {col} TYPE VARCHAR(36) USING {col}::text")
        op.execute(f'ALTER TABLE "{table}" ' + ", ".join(changes))
    for table, name, definition in keys:
        op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _retype(bind, to_uuid=True)  # the uuid type answers in lower case
    else:
        # Lower case, as PostgreSQL's uuid and the importer now have it; references are
        # checked when the transaction commits, after every table has its new spelling.
        bind.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
        for table, columns, _nullable in COLUMNS:
            for col in columns:
                bind.execute(sa.text(f'UPDATE "{table}" SET {col} = lower({col}) '
                                     f'WHERE {col} <> lower({col})'))
    _new_epoch(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _retype(bind, to_uuid=False)
    _new_epoch(bind)
