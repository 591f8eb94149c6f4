"""`flask backup create|verify|restore`: encrypted backups of the whole database."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import downgrade, upgrade
from sqlalchemy.exc import SQLAlchemyError

from webapp.backups import services
from webapp.backups.fileformat import BackupError, read_header
from webapp.cli.common import database_refusal, fail
from webapp.extensions import db
from webapp.search import memindex

group = AppGroup("backup", help="Encrypted backups of the whole database.")

PASSPHRASE_FILE = click.option(
    "--passphrase-file", type=click.Path(path_type=Path, dir_okay=False),
    help="Read the backup passphrase from this file's first line instead of asking.")


def _passphrase(path: Path | None, confirm: bool) -> str:
    if path is not None:
        try:
            lines = path.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"the passphrase file {path} cannot be read ({exc.__class__.__name__})")
        return lines[0] if lines else ""
    return str(click.prompt("Backup passphrase", hide_input=True,
                            confirmation_prompt=confirm))


@group.command("create")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@PASSPHRASE_FILE
def create_cmd(path: Path, passphrase_file: Path | None) -> None:
    """Write the whole database (directory, tips still sealed, staff, keys as stored, audit
    log) to PATH, encrypted under a passphrase (asked twice, or --passphrase-file). Keep the
    passphrase, and SECRET_KEY, apart from the backups."""
    passphrase = _passphrase(passphrase_file, confirm=True)
    if len(passphrase) < 12:
        fail("the backup passphrase must have at least 12 characters")
    if os.path.lexists(path):
        fail(f"{path} already exists: choose a new name (backups are never overwritten)")
    # A new file of an unguessable name, made with O_EXCL and mode 0600: a name chosen in
    # advance (X.partial) could already be a symlink to another file, written through.
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                    dir=path.parent)
    except OSError as exc:
        fail(f"cannot write {path} ({exc.strerror})")
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            made = services.create(out, passphrase, _strength())
            out.flush()
            os.fsync(out.fileno())
        _publish(partial, path)
    except BackupError as exc:
        partial.unlink(missing_ok=True)
        fail(str(exc))
    except FileExistsError:
        partial.unlink(missing_ok=True)
        fail(f"{path} appeared while the backup was written: choose a new name (backups are "
             "never overwritten)")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    click.echo(f"Backup written to {path}: {sum(made.counts.values())} rows in "
               f"{len(made.counts)} tables, schema {made.header['revision']}.")


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


def _strength() -> str:
    kdf = str(current_app.config["HAVEN_PASSPHRASE_KDF"])
    return kdf if kdf == "interactive" else "moderate"


def _open(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as src:
            header, _raw = read_header(src)
    except OSError as exc:
        fail(f"cannot read {path} ({exc.strerror})")
    except BackupError as exc:
        fail(f"{path}: {exc}")
    return header


@group.command("verify")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@PASSPHRASE_FILE
def verify_cmd(path: Path, passphrase_file: Path | None) -> None:
    """Check that PATH opens with the passphrase and is whole, without restoring it."""
    _open(path)
    passphrase = _passphrase(passphrase_file, confirm=False)
    try:
        with path.open("rb") as src:
            found = services.verify(src, passphrase)
    except BackupError as exc:
        fail(f"{path}: {exc}")
    click.echo(f"{path} is a whole Haven backup made {found.header.get('created')} (schema "
               f"{found.header.get('revision')}, from {found.header.get('dialect')}): "
               f"{sum(found.counts.values())} rows in {len(found.counts)} tables.")
    for name, n in found.counts.items():
        if n:
            click.echo(f"  {name}: {n}")


@group.command("restore")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@PASSPHRASE_FILE
@click.option("--force", is_flag=True, help="Replace the rows of a database that has data.")
@click.option("--new-secret-key", is_flag=True, help="Restore although SECRET_KEY differs from "
              "the backed-up server's; staff authenticator codes then stop working and staff "
              "accounts must be made again.")
def restore_cmd(path: Path, passphrase_file: Path | None, force: bool,
                new_secret_key: bool) -> None:
    """Restore PATH into this database (SQLite or PostgreSQL, whichever made the backup):
    all or nothing. The whole file is checked before anything is written."""
    header = _open(path)
    passphrase = _passphrase(passphrase_file, confirm=False)
    try:
        with path.open("rb") as src:
            services.verify(src, passphrase)
    except BackupError as exc:
        fail(f"{path}: {exc}; nothing was restored")
    if header.get("secret_key_check") != services.secret_key_check() and not new_secret_key:
        fail("this backup was made with another SECRET_KEY, which staff sign-in codes need: "
             "set SECRET_KEY (or instance/secret_key) to the old server's value and run the "
             "restore again, or add --new-secret-key and make staff accounts anew")
    if services.revision() and services.has_data() and not force:
        fail("this database already has data: restore into an empty database, or add "
             "--force to replace every row")
    _schema_for(str(header.get("revision", "")))
    try:
        with path.open("rb") as src:
            found = services.restore(src, passphrase)
    except BackupError as exc:
        fail(f"{path}: {exc}; nothing was restored")
    except SQLAlchemyError as exc:
        fail(f"{path}: the database refused the backup's rows ({database_refusal(exc, 200)}); "
             "nothing was restored")
    upgrade()
    memindex.persist()
    click.echo(f"Restored {sum(found.counts.values())} rows in {len(found.counts)} tables "
               f"from {path}.")


def _schema_for(wanted: str) -> None:
    """Bring the database to the backup's schema (it is empty, or about to be emptied)."""
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    try:
        script.get_revision(wanted)
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        fail(f"the backup's schema revision {wanted!r} is unknown to this version of Haven: "
             "restore with the version that made it (or a newer one)")
    now = services.revision()
    db.session.rollback()
    if now == wanted:
        return
    older = now and wanted in {r.revision for r in script.walk_revisions("base", now)}
    if older:
        downgrade(revision=wanted)  # the rows are replaced anyway; upgraded again after
    else:
        upgrade(revision=wanted)
