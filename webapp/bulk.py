"""Bulk inserts without the per-row work of a Core executemany.

SQLAlchemy builds and processes a parameter set per row; for an import of 100k services
(a million rows) that cost more than the database's own work. Here the statement is compiled
once per table and column set, each column's bind processor (date-times on SQLite, say) is
applied a column at a time, and the driver's executemany gets plain tuples or dicts; on
PostgreSQL a large batch goes through COPY.
Column defaults that are plain values are filled in; a table with a computed default for a
column the rows leave out goes through SQLAlchemy as before.
"""

from __future__ import annotations

import contextlib
import gc
import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, text

from webapp.extensions import db

POSITIONAL = ("qmark", "numeric", "format")
# From this many rows PostgreSQL gets COPY instead of INSERTs (an import, a restore).
COPY_FROM = 1000


@dataclass
class Prepared:
    """Rows of one table as the driver takes them: the columns in the table's order (the
    order SQLAlchemy compiles parameters in) and a tuple of converted values per row. Made
    where there is CPU to spare (an import's worker processes), written by insert_prepared."""

    columns: list[str]
    values: list[tuple[Any, ...]]

    def column(self, name: str) -> list[Any]:
        """Every row's value of one column."""
        i = self.columns.index(name)
        return [row[i] for row in self.values]


def insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT these rows (dicts keyed by column name) in the session's transaction."""
    if not rows:
        return
    ready = prepare(table, rows, db.session.connection().dialect)
    if ready is None:
        db.session.execute(table.insert(), list(rows))  # rows that differ: the general path
        return
    insert_prepared(table, ready)


def insert(table: Table, rows: Sequence[dict[str, Any]], ready: dict[str, Prepared]) -> None:
    """INSERT the table's prepared rows when ready holds them (by table name), else rows."""
    if table.name in ready:
        insert_prepared(table, ready[table.name])
    else:
        insert_rows(table, rows)


def prepare(table: Table, rows: Sequence[dict[str, Any]], dialect: Any) -> Prepared | None:
    """These rows for insert_prepared, or None when they need SQLAlchemy's general path
    (rows with different keys, or a column default computed per row). No database needed."""
    first = rows[0].keys()
    width = len(first)
    # Rows as wide as the first that hold all its keys (the pick below) have the same keys:
    # a length per row is much cheaper to compare than the keys themselves.
    if any(len(r) != width for r in rows) or not set(first) <= set(table.columns.keys()):
        return None
    # Columns the rows leave out get their plain default; all in the table's order.
    columns: list[str] = []
    fill: list[tuple[int, Any]] = []  # (position, default value)
    for col in table.columns:
        if col.key not in first:
            if col.default is None:
                continue
            if not col.default.is_scalar:
                return None
            fill.append((len(columns), col.default.arg))  # type: ignore[attr-defined]
        columns.append(col.key)
    keys = [c for c in columns if c in first]
    processors = [(i, p) for i, c in enumerate(columns)
                  if (p := table.columns[c].type._cached_bind_processor(dialect)) is not None]
    pick = operator.itemgetter(*keys)
    try:
        if len(keys) == 1:
            values: list[Any] = [[pick(r)] for r in rows]
        else:
            values = [[*pick(r)] for r in rows]
    except KeyError:  # a row with other keys
        return None
    for at, default in fill:  # rising positions: each lands where the table has it
        for row in values:
            row.insert(at, default)
    for i, proc in processors:  # a column at a time: most columns need none
        for row in values:
            if row[i] is not None:
                row[i] = proc(row[i])
    return Prepared(columns, list(map(tuple, values)))


def insert_prepared(table: Table, ready: Prepared) -> None:
    """INSERT prepared rows in the session's transaction (COPY for many on PostgreSQL)."""
    if not ready.values:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    columns, values = ready.columns, ready.values
    if dialect.name == "postgresql" and len(values) >= COPY_FROM:
        _copy(connection, table, columns, values)
        return
    compiled = table.insert().values({c: bindparam(c) for c in columns}).compile(dialect=dialect)
    params: list[Any]
    if dialect.paramstyle in POSITIONAL:
        order = [columns.index(name) for name in compiled.positiontup or ()]
        if order == list(range(len(columns))):
            params = values
        else:  # a default filled in before the rows' own columns
            params = [tuple(row[i] for i in order) for row in values]
    else:
        params = [dict(zip(columns, row, strict=True)) for row in values]
    connection.exec_driver_sql(compiled.string, params)


def _copy(connection: Any, table: Table, columns: list[str],
          values: list[tuple[Any, ...]]) -> None:
    """PostgreSQL's COPY FROM STDIN through psycopg, in the session's transaction."""
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(c) for c in columns)
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(
            f"COPY {preparer.format_table(table)} ({names}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused for a bulk job: an import makes
    millions of objects that live until it ends, each collection walks all of them (a third
    of the time spent parsing a large file), and none of them is cyclic garbage."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextlib.contextmanager
def large_cache(mebibytes: int = 256) -> Iterator[None]:
    """A larger SQLite page cache on the session's connection for a bulk write:
    with the default 2 MB, a write that touches every table in turn keeps evicting and
    re-reading the pages it is filling. Restored before the caller commits. No-op elsewhere."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{int(mebibytes) * 1024}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")


@contextlib.contextmanager
def references_checked_by_caller() -> Iterator[bool]:
    """SQLite's foreign-key checks off for a bulk write whose every reference the caller
    checks itself (about a tenth of a large import). Yields whether they are off:
    only when no write has begun on the session's connection (SQLite ignores the pragma
    inside a transaction), never on PostgreSQL. On again when the block ends, after the
    caller's commit or rollback."""
    connection = db.session.connection()
    raw = connection.connection.dbapi_connection
    if connection.dialect.name != "sqlite" or raw is None or raw.in_transaction:
        yield False
        return
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield True
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def repack(tables: Sequence[Table]) -> None:
    """After a load that at least doubled these tables, on PostgreSQL: rebuild their indexes
    and refresh the planner's statistics. A B-tree filled row by row in random
    key order (uuids) ends up about two-thirds full; rebuilt, it is packed to its fill
    factor: a tenth of the database at 100k services. Each table in its own transaction, so
    a reader waits for one table's rebuild at most. No-op elsewhere (SQLite's indexes fill
    well enough: the bench measures 4 KB per service there)."""
    if db.session.connection().dialect.name != "postgresql":
        return
    for table in tables:
        name = db.session.connection().dialect.identifier_preparer.quote(table.name)
        db.session.execute(text(f"REINDEX TABLE {name}"))
        db.session.execute(text(f"ANALYZE {name}"))
        db.session.commit()
