"""What a backup holds and how it comes back.

Every table of the schema, rows as stored (tips stay sealed, keys stay wrapped), written as JSON
lines with bytes, dates and times spelled out the same way whatever the database, so a backup of
SQLite restores into PostgreSQL and the reverse. A restore checks the whole file first (nothing
is touched when any chunk fails), then inserts every row in one transaction: all or nothing.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import errno
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, Table, create_engine, delete, func, select, text
from sqlalchemy.types import Date, DateTime, Integer, LargeBinary

from webapp import audit_log, bulk
from webapp.backups.fileformat import BackupError, Writer, lines
from webapp.extensions import db
from webapp.models.coalition import DEFAULT_MEMBER
from webapp.search import changelog

BATCH = 2000
# Facts about the data that a fresh schema may already hold: not "data" for the empty check.
NOT_DATA = {"haven_meta"}


def tables() -> list[Table]:
    """Every table of the schema, parents before children."""
    return list(db.metadata.sorted_tables)


def _kind(column: Any) -> str:
    if isinstance(column.type, LargeBinary):
        return "bytes"
    if isinstance(column.type, DateTime):
        return "datetime"
    if isinstance(column.type, Date):
        return "date"
    return ""


ENCODE: dict[str, Callable[[Any], Any]] = {
    "bytes": lambda v: base64.b64encode(v).decode(),
    "datetime": lambda v: v.isoformat(),
    "date": lambda v: v.isoformat(),
}
DECODE: dict[str, Callable[[Any], Any]] = {
    "bytes": base64.b64decode,
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
}


def _encoded_rows(table: Table, conn: Connection | None = None) -> Iterator[list[Any]]:
    """The table's rows with bytes and dates as text (the same on every database)."""
    codecs = [(i, ENCODE[k]) for i, k in enumerate(_kind(c) for c in table.columns) if k]
    conn = conn if conn is not None else db.session.connection()
    result = conn.execution_options(yield_per=BATCH).execute(select(table))
    for row in result:
        values = list(row)
        for i, enc in codecs:
            if values[i] is not None:
                values[i] = enc(values[i])
        yield values


def revision(conn: Connection | None = None) -> str:
    """The schema revision of the database now (alembic), '' when it has none."""
    conn = conn if conn is not None else db.session.connection()
    return MigrationContext.configure(conn).get_current_revision() or ""


def secret_key_check() -> str:
    """A check value of SECRET_KEY (staff authenticator secrets are wrapped with it)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"haven-backup-secret-key", hashlib.sha256).hexdigest()[:16]


def create(out: IO[bytes], passphrase: str, strength: str = "moderate") -> Contents:
    """Write the whole database to out, as one consistent snapshot; returns its header and
    rows per table."""
    counts: dict[str, int] = {}
    db.session.rollback()
    with _snapshot() as conn:
        rev = revision(conn)
        if not rev:
            raise BackupError("this database has no schema yet: there is nothing to back up")
        writer = Writer(out, passphrase, {"revision": rev,
                                          "secret_key_check": secret_key_check(),
                                          "dialect": db.engine.dialect.name}, strength)
        for table in tables():
            writer.line({"table": table.name, "columns": [c.name for c in table.columns],
                         "kinds": [_kind(c) for c in table.columns]})
            n = 0
            for values in _encoded_rows(table, conn):
                writer.line(values)
                n += 1
            writer.line({"end": table.name, "rows": n})
            counts[table.name] = n
    writer.line({"end_of_backup": True, "tables": counts})
    writer.close()
    return Contents(writer.header, counts)


def strength() -> str:
    """How hard the backup passphrase's key is to derive: "interactive" when the server is
    set so (tests, small machines), else "moderate"."""
    kdf = str(current_app.config["HAVEN_PASSPHRASE_KDF"])
    return kdf if kdf == "interactive" else "moderate"


def write_new(path: Path, passphrase: str, kdf: str = "moderate") -> Contents:
    """Write a backup to path, a name nothing has yet: a backup never replaces a file.
    BackupError names the problem (the name is taken, or taken while writing; the folder
    cannot be written; the database has no schema); nothing is left behind then."""
    if os.path.lexists(path):
        raise BackupError(f"{path} already exists: choose a new name (backups are never "
                          "overwritten)")
    # A new file of an unguessable name, made with O_EXCL and mode 0600: a name chosen in
    # advance (X.partial) could already be a symlink to another file, written through.
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                    dir=path.parent)
    except OSError as exc:
        raise BackupError(f"cannot write {path} ({exc.strerror})") from exc
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            made = create(out, passphrase, kdf)
            out.flush()
            os.fsync(out.fileno())
        _publish(partial, path)
    except FileExistsError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{path} appeared while the backup was written: choose a new name "
                          "(backups are never overwritten)") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return made


def _publish(partial: Path, path: Path) -> None:
    """Give the finished file its name, never replacing anything there (FileExistsError):
    a hard link, which fails on any existing name, symlinks included; a rename where the
    file system has no hard links."""
    try:
        os.link(partial, path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP,
                             errno.ENOSYS, errno.EMLINK):
            raise
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "exists", str(path)) from exc
        os.rename(partial, path)
    else:
        partial.unlink()
    # The new name itself is durable only once its folder is written out.
    with contextlib.suppress(OSError):
        folder = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


@contextlib.contextmanager
def _snapshot() -> Iterator[Connection]:
    """A connection that sees one moment of the database, whatever commits meanwhile (a tip
    stored between two tables' reads would otherwise be half in the backup), without holding
    writers up. PostgreSQL: a read-only REPEATABLE READ transaction. SQLite (whose readers
    block writers): SQLite's online backup copies the file into a private temporary file in
    a second or two, and the backup reads the copy."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ",
                                          postgresql_readonly=True)
            with conn.begin():
                yield conn
        return
    database = db.engine.url.database or ""
    if not database or database == ":memory:":
        with db.engine.connect() as conn:
            yield conn
        return
    # A private folder (mode 0700) next to the database: SQLite makes its journal beside the
    # copy under a name anyone could guess, which must not already be someone's symlink.
    folder = tempfile.mkdtemp(prefix=".backup-snapshot-", dir=Path(database).parent)
    name = os.path.join(folder, "snapshot.sqlite3")
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=30)) as source, \
                contextlib.closing(sqlite3.connect(name)) as copy:
            source.backup(copy)
        engine = create_engine(f"sqlite:///{name}")
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Contents:
    """What a checked backup holds."""

    header: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)


def _walk(src: IO[bytes], passphrase: str,
          sink: Callable[[Table, list[str], list[list[Any]]], None] | None) -> Contents:
    """Read every line, check the structure, hand batches of decoded rows to sink."""
    header, stream = lines(src, passphrase)
    known = {t.name: t for t in tables()}
    found = Contents(header)
    table: Table | None = None
    columns: list[str] = []
    codecs: list[tuple[int, Callable[[Any], Any]]] = []
    batch: list[list[Any]] = []
    n = 0
    finished = False
    for item in stream:
        if finished:
            raise BackupError("the backup has content after its end")
        if isinstance(item, list):
            if table is None or len(item) != len(columns):
                raise BackupError("the backup's content is damaged (a row outside a table)")
            for i, dec in codecs:
                if item[i] is not None:
                    item[i] = dec(item[i])
            batch.append(item)
            n += 1
            if len(batch) >= BATCH:
                if sink is not None:
                    sink(table, columns, batch)
                batch = []
        elif isinstance(item, dict) and "table" in item:
            name = str(item["table"])
            if table is not None or name not in known:
                raise BackupError(f"the backup holds a table this version of Haven does not "
                                  f"have ({name!r})")
            table, columns, n = known[name], list(item["columns"]), 0
            if set(columns) != {c.name for c in table.columns}:
                raise BackupError(f"the backup's table {name!r} has other columns than this "
                                  "version of Haven: restore with the version that made it")
            codecs = [(i, DECODE[k]) for i, k in enumerate(item["kinds"]) if k]
        elif isinstance(item, dict) and "end" in item:
            if table is None or item["end"] != table.name or item["rows"] != n:
                raise BackupError("the backup's content is damaged (row counts differ)")
            if sink is not None and batch:
                sink(table, columns, batch)
            batch = []
            found.counts[table.name] = n
            table = None
        elif isinstance(item, dict) and item.get("end_of_backup"):
            if table is not None or item.get("tables") != found.counts:
                raise BackupError("the backup's content is damaged (tables missing)")
            finished = True
        else:
            raise BackupError("the backup's content is damaged")
    if not finished:
        raise BackupError("the backup's content is incomplete")
    return found


def verify(src: IO[bytes], passphrase: str) -> Contents:
    """Decrypt and check every chunk and line without writing anything."""
    return _walk(src, passphrase, None)


def has_data() -> bool:
    """Whether any table other than the schema's own facts holds a row."""
    for table in tables():
        if table.name in NOT_DATA:
            continue
        if db.session.execute(select(func.count()).select_from(table)).scalar():
            return True
    return False


def schema_for(wanted: str) -> None:
    """Bring the database to the backup's schema revision (it is empty, or about to be
    emptied); BackupError when this version of Haven does not know the revision."""
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    try:
        script.get_revision(wanted)
    except Exception as exc:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        raise BackupError(f"the backup's schema revision {wanted!r} is unknown to this version "
                          "of Haven: restore with the version that made it (or a newer one)"
                          ) from exc
    now = revision()
    db.session.rollback()
    if now == wanted:
        return
    older = now and wanted in {r.revision for r in script.walk_revisions("base", now)}
    if older:
        downgrade(revision=wanted)  # the rows are replaced anyway; upgraded again after
    else:
        upgrade(revision=wanted)


def restore(src: IO[bytes], passphrase: str) -> Contents:
    """Replace every row with the backup's, in one transaction (the caller has checked the
    file and the schema revision). Search starts a new epoch: every worker rebuilds."""
    for table in reversed(tables()):
        db.session.execute(delete(table))

    def insert(table: Table, columns: list[str], rows: list[list[Any]]) -> None:
        bulk.insert_rows(table, [dict(zip(columns, r, strict=True)) for r in rows])

    try:
        found = _walk(src, passphrase, insert)
        _reset_sequences()
        changelog.new_epoch()
        # The audit log is the backup's now; say in it that this happened.
        # A restore replaces every member's data, so it is the hub's to record.
        audit_log.record(
            "backup_restored", member_id=DEFAULT_MEMBER, staff_id=None,
            detail=f"made={found.header.get('created', '')} "
                   f"schema={found.header.get('revision', '')} "
                   f"from={found.header.get('dialect', '')} rows={sum(found.counts.values())}")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return found


def _reset_sequences() -> None:
    """PostgreSQL: serial counters continue after the restored ids."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (
                True, "auto"):
            seq = db.session.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                     {"t": table.name, "c": pk[0].name}).scalar()
            if seq:
                db.session.execute(text(
                    f"SELECT setval(:s, COALESCE((SELECT MAX({pk[0].name}) FROM "  # noqa: S608
                    f"{table.name}), 1), (SELECT COUNT(*) FROM {table.name}) > 0)"),
                    {"s": seq})


def digests() -> dict[str, tuple[int, str]]:
    """Rows and a content hash per table, in key order (the same on every database)."""
    out: dict[str, tuple[int, str]] = {}
    for table in tables():
        # sorted here, not by the database: collations differ between SQLite and PostgreSQL
        encoded = sorted(json.dumps(values, separators=(",", ":"), ensure_ascii=False)
                         for values in _encoded_rows(table))
        h = hashlib.sha256()
        for line in encoded:
            h.update(line.encode() + b"\n")
        out[table.name] = (len(encoded), h.hexdigest())
    db.session.rollback()
    return out
