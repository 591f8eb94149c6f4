"""`flask backup create|verify|restore`: encrypted backups of the whole database."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy.exc import SQLAlchemyError

from webapp.backups import services
from webapp.backups.fileformat import BackupError, read_header
from webapp.cli.common import database_refusal, fail, failing_on
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
    with failing_on(BackupError):
        made = services.write_new(path, passphrase, services.strength())
    click.echo(f"Backup written to {path}: {sum(made.counts.values())} rows in "
               f"{len(made.counts)} tables, schema {made.header['revision']}.")


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
    with failing_on(BackupError):
        services.schema_for(str(header.get("revision", "")))
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

