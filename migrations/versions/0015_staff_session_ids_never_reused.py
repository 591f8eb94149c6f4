"""staff sessions: ids are never reused (SQLite AUTOINCREMENT), so a page listing sessions
loaded before one ended cannot end a newer session that took its number

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 21:00:00

"""
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL's sequence never hands a number out twice; SQLite reuses the highest rowid
    # after it is deleted unless the table says AUTOINCREMENT. No table refers to this one,
    # so the rebuild deletes nothing.
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('staff_session', recreate='always',
                                  table_kwargs={'sqlite_autoincrement': True}):
            pass


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('staff_session', recreate='always',
                                  table_kwargs={'sqlite_autoincrement': False}):
            pass
