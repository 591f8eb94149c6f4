"""Backups in tests: a source database with tips and staff, the `flask backup` commands, and
the `passfile` fixture (a file holding the backup passphrase). conftest.py registers this
module as a plugin (pytest_plugins), so the fixture reaches every test module without an
import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import Templates, base_config
from tests.staff_helpers import Staff, keyed
from tests.tips_helpers import receipt_of, send_tip
from webapp import create_app
from webapp.extensions import db
from webapp.staff import auth

BACKUP_PASSPHRASE = "a long backup passphrase 42"
SENTINEL = "BACKUP-SENTINEL farm on Orchard Road"
STAFF_NAME = "wilhelmina.sentinel"


def app_on(url: str, request: pytest.FixtureRequest, **overrides: Any) -> Flask:
    """An app on the database at url (fast Argon2id), its connections closed after the test."""
    app = create_app({**base_config(url), "HAVEN_PASSPHRASE_KDF": "interactive", **overrides})

    def dispose() -> None:
        with app.app_context():
            db.engine.dispose()

    request.addfinalizer(dispose)
    return app


def source_app(templates: Templates, request: pytest.FixtureRequest,
               backend: str = "sqlite") -> tuple[Flask, dict[str, Staff], str]:
    """A seeded app with a key, two staff, one more reviewer and two tips, the first holding
    SENTINEL; returns (app, staff, the first tip's receipt)."""
    url = templates.pg_url(request.getfixturevalue("postgres")) if backend == "postgresql" \
        else templates.sqlite_url()
    app = app_on(url, request)
    staff = keyed(app)
    with app.app_context():
        auth.create_user(STAFF_NAME, "a staff password 123", "reviewer")
    receipt = receipt_of(send_tip(app.test_client(), what=SENTINEL))
    send_tip(app.test_client(), what="a second tip", kinds=["child", "sexual"])
    return app, staff, receipt


def backup_cli(app: Flask, *args: str) -> Any:
    """`flask backup <args>` on app; returns click's result."""
    return app.test_cli_runner().invoke(args=["backup", *args])


@pytest.fixture
def passfile(tmp_path: Path) -> Path:
    """A file holding BACKUP_PASSPHRASE, as `--passphrase-file` reads it."""
    path = tmp_path / "backup-passphrase"
    path.write_text(BACKUP_PASSPHRASE + "\n")
    return path


def create_backup(app: Flask, path: Path, passfile: Path) -> None:
    """`flask backup create path`, which must succeed and leave a file only its owner reads."""
    res = backup_cli(app, "create", str(path), "--passphrase-file", str(passfile))
    assert res.exit_code == 0, res.output
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
