"""`backup create X` never writes through a name prepared in advance: an X.partial symlink
to another file leaves that file as it was, and X itself is never replaced."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.backup_helpers import backup_cli, create_backup, source_app
from tests.conftest import Templates

VICTIM = b"the victim's own contents\n"


def _files(folder: Path) -> dict[str, str]:
    """Name -> 'link' or 'file' for everything in folder."""
    return {p.name: "link" if p.is_symlink() else "file" for p in folder.iterdir()}


@pytest.fixture
def source(templates: Templates, request: pytest.FixtureRequest) -> Flask:
    return source_app(templates, request)[0]


def test_a_partial_symlink_is_never_written_through(source: Flask, tmp_path: Path,
                                                     passfile: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.conf"
    victim.write_bytes(VICTIM)
    victim.chmod(0o644)
    (out / "haven.backup.partial").symlink_to(victim)
    create_backup(source, out / "haven.backup", passfile)  # succeeds, readable by its owner only
    assert victim.read_bytes() == VICTIM
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert _files(out) == {"haven.backup": "file", "haven.backup.partial": "link"}
    assert os.readlink(out / "haven.backup.partial") == str(victim)
    res = backup_cli(source, "verify", str(out / "haven.backup"), "--passphrase-file",
                     str(passfile))
    assert res.exit_code == 0 and "is a whole Haven backup" in res.output


@pytest.mark.parametrize("target", ["missing", "existing"])
def test_a_symlink_at_the_backups_own_name_is_refused(source: Flask, tmp_path: Path,
                                                       passfile: Path,
                                                       target: str) -> None:
    victim = tmp_path / "victim.conf"
    if target == "existing":
        victim.write_bytes(VICTIM)
    (tmp_path / "haven.backup").symlink_to(victim)
    res: Any = backup_cli(source, "create", str(tmp_path / "haven.backup"),
                          "--passphrase-file", str(passfile))
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "already exists: choose a new name" in res.output
    assert (tmp_path / "haven.backup").is_symlink()
    assert victim.read_bytes() == VICTIM if target == "existing" else not victim.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_a_name_taken_while_writing_is_not_replaced(source: Flask, tmp_path: Path,
                                                    passfile: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone makes X between the check and the end of the backup: X stays theirs, the
    CLI says so and leaves no partial file behind."""
    from webapp.backups import services

    path = tmp_path / "haven.backup"
    real = services.create

    def slow_create(out: Any, *args: Any) -> Any:
        path.write_bytes(VICTIM)
        return real(out, *args)

    monkeypatch.setattr(services, "create", slow_create)
    res = backup_cli(source, "create", str(path), "--passphrase-file", str(passfile))
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "appeared while the backup was written" in res.output
    assert path.read_bytes() == VICTIM
    assert _files(tmp_path) == {"haven.backup": "file", "backup-passphrase": "file"}


def test_the_snapshot_is_made_in_a_private_folder(source: Flask, tmp_path: Path,
                                                  passfile: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's copy (and its journal, beside it under a guessable name) lives in a folder
    only the server's user can enter, removed afterwards."""
    import sqlite3

    from webapp.backups import services

    seen: list[tuple[str, int]] = []
    real = sqlite3.connect

    def spy(name: Any, *args: Any, **kwargs: Any) -> Any:
        if ".backup-snapshot-" in str(name):
            folder = Path(name).parent
            seen.append((folder.name, stat.S_IMODE(folder.stat().st_mode)))
        return real(name, *args, **kwargs)

    monkeypatch.setattr(services.sqlite3, "connect", spy)
    create_backup(source, tmp_path / "haven.backup", passfile)
    assert seen and all(name.startswith(".backup-snapshot-") and mode == 0o700
                        for name, mode in seen)
    with source.app_context():
        from webapp.extensions import db

        home = Path(db.engine.url.database or "").parent
    assert not list(home.glob(".backup-snapshot-*"))
