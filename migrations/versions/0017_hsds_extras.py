"""HSDS kept whole: each directory record's HSDS properties that Haven does not model,
verbatim (hsds_extra, JSON text); which service_at_location a schedule belongs to; a taxonomy
term's parent

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

EXTRA = ("organization", "service", "location", "service_at_location", "phone", "schedule",
         "language", "taxonomy", "taxonomy_term")


def _id_type():
    # ids are uuid on PostgreSQL since 0011, text elsewhere
    return "UUID" if op.get_bind().dialect.name == 'postgresql' else "VARCHAR(36)"


def upgrade():
    # Plain ALTER TABLE on both backends (SQLite 3.35+): a batch rebuild would lose the
    # WITHOUT ROWID of phone, schedule and language.
    for table in EXTRA:
        op.execute(sa.text(f'ALTER TABLE "{table}" ADD COLUMN hsds_extra TEXT'))
    op.execute(sa.text(f'ALTER TABLE schedule ADD COLUMN service_at_location_id {_id_type()}'))
    op.execute(sa.text(f'ALTER TABLE taxonomy_term ADD COLUMN parent_id {_id_type()}'))
    op.create_index('ix_taxonomy_term_parent_id', 'taxonomy_term', ['parent_id'])


def downgrade():
    op.drop_index('ix_taxonomy_term_parent_id', table_name='taxonomy_term')
    op.execute(sa.text('ALTER TABLE taxonomy_term DROP COLUMN parent_id'))
    op.execute(sa.text('ALTER TABLE schedule DROP COLUMN service_at_location_id'))
    for table in reversed(EXTRA):
        op.execute(sa.text(f'ALTER TABLE "{table}" DROP COLUMN hsds_extra'))
