"""What an operator reads when a `flask` command refuses: one line naming the problem, exit
status 1, no traceback, and nothing written. These refusals are made in the areas' services
and worded for the command line; each is checked word for word."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from webapp.extensions import db
from webapp.models import Service, StaffUser

PASSPHRASE = "a long backup passphrase 42"


def _said(output: str) -> list[str]:
    """The command's own lines (commands that migrate first also log alembic's)."""
    return [line for line in output.splitlines() if not line.startswith("INFO  [alembic")]


def _refused(app: Flask, *args: str) -> str:
    """The refusal's message, after checking it is the one line a refusal prints."""
    res = app.test_cli_runner().invoke(args=list(args))
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    [line] = _said(res.output)
    assert line.startswith("Error: ")
    return line.removeprefix("Error: ")


@pytest.fixture
def passfile(tmp_path: Path) -> Path:
    """A backup passphrase in a file, as a cron job passes it."""
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


def test_keys_init_for_a_member_that_does_not_exist(app: Flask) -> None:
    assert _refused(app, "keys", "init", "--org", "nobody", "--passphrase",
                    "long enough passphrase") == (
        "--org 'nobody': no such member organisation (see: flask --app app orgs list)")
    assert _refused(app, "keys", "init", "--passphrase", "too short") == (
        "the passphrase must have at least 12 characters")


@pytest.mark.parametrize(("args", "message"), [
    (["bad name!"], "the username must be 3 to 64 letters, digits, dots or dashes"),
    (["ok.name", "--member", "nobody"],
     "--member 'nobody': no such member organisation (see: flask --app app orgs list)"),
    (["ok.name", "--role", "org-editor"],
     "an org-editor needs --org (an organisation id or name)"),
])
def test_staff_create_user_refusals(app: Flask, args: list[str], message: str) -> None:
    assert _refused(app, "staff", "create-user", *args, "--password",
                    "a long password 1234") == message
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_staff_create_user_twice(app: Flask) -> None:
    ok = app.test_cli_runner().invoke(args=["staff", "create-user", "ana.k", "--password",
                                            "a long password 1234"])
    assert ok.exit_code == 0 and "Created reviewer 'ana.k'." in ok.output
    assert _refused(app, "staff", "create-user", "ana.k", "--password",
                    "a long password 1234") == "a user named 'ana.k' already exists"


def test_backup_into_a_folder_that_does_not_exist(app: Flask, tmp_path: Path,
                                                  passfile: Path) -> None:
    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    target = tmp_path / "missing" / "haven.backup"
    assert _refused(app, "backup", "create", str(target), "--passphrase-file",
                    str(passfile)) == f"cannot write {target} (No such file or directory)"
    assert not (tmp_path / "missing").exists()


def test_restore_of_a_schema_this_version_does_not_know(app: Flask, tmp_path: Path,
                                                        passfile: Path) -> None:
    """Made by a newer Haven: refused before any row is touched."""
    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    with app.app_context():
        real = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
        db.session.commit()
    backup = tmp_path / "newer.backup"
    made = app.test_cli_runner().invoke(args=["backup", "create", str(backup),
                                              "--passphrase-file", str(passfile)])
    assert made.exit_code == 0, made.output
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": real})
        db.session.execute(text("DELETE FROM service_term"))
        db.session.commit()
        before = db.session.scalar(select(func.count()).select_from(Service))
    assert _refused(app, "backup", "restore", str(backup), "--passphrase-file", str(passfile),
                    "--force") == (
        "the backup's schema revision 'f00d' is unknown to this version of Haven: restore "
        "with the version that made it (or a newer one)")
    with app.app_context():
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == real
        assert db.session.scalar(select(func.count()).select_from(Service)) == before
        assert not db.session.scalar(text("SELECT count(*) FROM service_term"))


def test_an_export_that_does_not_validate_writes_nothing(app: Flask, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.exchange import hsds

    monkeypatch.setattr(hsds, "service_json", lambda svc: {"id": svc.id})
    with app.app_context():
        first = db.session.scalar(select(Service.id).order_by(Service.id).limit(1))
    out = tmp_path / "services.json"
    said = _refused(app, "services", "export", str(out))
    assert said.startswith(f"service {first} does not validate: ")
    assert list(tmp_path.iterdir()) == []


def test_orgs_list_marks_keys_and_the_hub(app: Flask) -> None:
    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    run = app.test_cli_runner().invoke
    assert run(args=["orgs", "add", "fresno", "--name", "Fresno  Safe Haven",
                     "--kind", "shelter"]).exit_code == 0
    assert run(args=["keys", "init", "--org", "fresno", "--passphrase",
                     "fresno passphrase 2026"]).exit_code == 0
    listed = run(args=["orgs", "list"])
    assert listed.exit_code == 0
    assert _said(listed.output) == [
        "default\tngo\tno key, hub\tDefault organisation",
        "fresno\tshelter\tkey\tFresno Safe Haven",
    ]
