"""Encrypted backups: nothing in clear, all or nothing, SQLite <-> PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.backup_helpers import SENTINEL, STAFF_NAME, app_on, backup_cli, create_backup, source_app
from tests.conftest import Templates
from tests.pg import Postgres
from tests.staff_helpers import Staff, csrf, sign_in
from tests.tips_helpers import send_tip
from webapp.backups import services
from webapp.extensions import db
from webapp.models import AuditEntry, Tip

# The newest schema revision and the one before (backups record the revision they were made at).
_REVISIONS = sorted(p.name[:4] for p in (Path(__file__).parent.parent / "migrations" /
                                         "versions").glob("0*.py"))
HEAD, PREVIOUS = _REVISIONS[-1], _REVISIONS[-2]


def _empty_sqlite(tmp_path: Path, request: pytest.FixtureRequest, **overrides: Any) -> Flask:
    return app_on(f"sqlite:///{tmp_path / (uuid.uuid4().hex + '.sqlite3')}", request, **overrides)


def _empty_pg(request: pytest.FixtureRequest) -> Flask:
    pg: Postgres = request.getfixturevalue("postgres")
    name = "r_" + uuid.uuid4().hex[:12]
    pg.sql(f"CREATE DATABASE {name}")
    return app_on(pg.url(name), request)


def _backed_up(templates: Templates, request: pytest.FixtureRequest, tmp_path: Path,
               passfile: Path) -> tuple[Flask, dict[str, Staff], str, Path]:
    """A source database with tips and staff, and a backup of it."""
    source, staff, receipt = source_app(templates, request)
    path = tmp_path / "haven.backup"
    create_backup(source, path, passfile)
    return source, staff, receipt, path


def _digests(app: Flask) -> dict[str, tuple[int, str]]:
    with app.app_context():
        return services.digests()


# A restore starts a new search epoch and adds one audit entry saying it happened.
CHANGED_BY_RESTORE = {"haven_meta", "search_change", "audit_log"}


def _same_rows(source: Flask, restored: Flask) -> None:
    """Every table as in the source (count and content hash), the audit log one entry longer."""
    want, got = _digests(source), _digests(restored)
    assert {k: v for k, v in got.items() if k not in CHANGED_BY_RESTORE} == \
        {k: v for k, v in want.items() if k not in CHANGED_BY_RESTORE}
    assert got["audit_log"][0] == want["audit_log"][0] + 1
    with restored.app_context():
        last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert last is not None and last.action == "backup_restored"
        assert f"schema={HEAD}" in last.detail


def test_backup_hides_everything_and_restores_for_tipster_and_staff(
        templates: Templates, request: pytest.FixtureRequest, tmp_path: Path,
        passfile: Path) -> None:
    """No tip text, receipt or staff name in clear; restored, the receipt opens the thread and
    staff read the tip after unlocking."""
    source, staff, receipt, path = _backed_up(templates, request, tmp_path, passfile)
    raw = path.read_bytes()
    assert raw.startswith(b"HAVEN-BACKUP\n")
    for secret in (SENTINEL, "Orchard", receipt.replace(" ", ""), receipt, STAFF_NAME,
                   "wilhelmina"):
        assert secret.encode() not in raw, secret
        assert secret.encode("utf-16-le") not in raw, secret
    res = backup_cli(source, "verify", str(path), "--passphrase-file", str(passfile))
    assert res.exit_code == 0, res.output
    assert "whole Haven backup" in res.output

    target = _empty_sqlite(tmp_path, request)
    res = backup_cli(target, "restore", str(path), "--passphrase-file", str(passfile))
    assert res.exit_code == 0, res.output
    _same_rows(source, target)

    public = target.test_client()
    thread = public.post("/en/tip/status", data={"receipt": receipt})
    assert thread.status_code == 200
    assert "received" in thread.get_data(as_text=True).lower()
    reader = target.test_client()
    sign_in(reader, staff["reviewer"], unlock=True)
    with target.app_context():
        tip_ids = db.session.scalars(select(Tip.id)).all()
    pages = [reader.get(f"/staff/tips/{t}").get_data(as_text=True) for t in tip_ids]
    assert any(SENTINEL in p for p in pages)
    assert target.test_client().get("/en/search?q=shelter").status_code == 200


def test_wrong_passphrase_damage_and_truncation_change_nothing(
        templates: Templates, request: pytest.FixtureRequest, tmp_path: Path,
        passfile: Path) -> None:
    """Refused with a message naming the problem; the target database is untouched."""
    _source, _staff, _receipt, path = _backed_up(templates, request, tmp_path, passfile)
    raw = path.read_bytes()
    wrong = tmp_path / "wrong"
    wrong.write_text("not the backup passphrase\n")

    target = app_on(templates.sqlite_url(), request)  # a database with data
    before = _digests(target)
    res = backup_cli(target, "restore", str(path), "--passphrase-file", str(wrong), "--force")
    assert res.exit_code != 0
    assert "passphrase does not open this backup" in res.output
    assert "Traceback" not in res.output

    middle = len(raw) // 2
    cases = {
        "cut": raw[: len(raw) - 40],
        "cut-at-chunk": raw[: len(raw) // 3],
        "flipped": raw[:middle] + bytes([raw[middle] ^ 1]) + raw[middle + 1:],
        "header": raw.replace(f'"revision": "{HEAD}"'.encode(), f'"revision": "{PREVIOUS}"'
                              .encode()),
        "appended": raw + b"\x00\x00\x00\x05hello",
        "not-a-backup": b"PK\x03\x04 a zip file",
    }
    assert cases["header"] != raw  # the header really names another revision
    for name, data in cases.items():
        bad = tmp_path / f"bad-{name}"
        bad.write_bytes(data)
        for command in (["verify"], ["restore", "--force"]):
            res = backup_cli(target, *command[:1], str(bad), "--passphrase-file", str(passfile),
                             *command[1:])
            assert res.exit_code != 0, (name, command, res.output)
            assert "Traceback" not in res.output and res.output.strip(), (name, res.output)
    assert _digests(target) == before

    fresh = _empty_sqlite(tmp_path, request)  # an empty database gets no schema either
    res = backup_cli(fresh, "restore", str(tmp_path / "bad-flipped"), "--passphrase-file",
                     str(passfile))
    assert res.exit_code != 0
    assert "changed or damaged" in res.output
    with fresh.app_context():
        assert services.revision() == ""


def test_refusals_non_empty_database_and_other_secret_key(
        templates: Templates, request: pytest.FixtureRequest, tmp_path: Path,
        passfile: Path) -> None:
    """A database with data needs --force; another SECRET_KEY needs --new-secret-key."""
    source, _staff, _receipt, path = _backed_up(templates, request, tmp_path, passfile)
    res = backup_cli(source, "create", str(path), "--passphrase-file", str(passfile))
    assert res.exit_code != 0 and "already exists" in res.output

    seeded = app_on(templates.sqlite_url(), request)
    res = backup_cli(seeded, "restore", str(path), "--passphrase-file", str(passfile))
    assert res.exit_code != 0 and "already has data" in res.output
    res = backup_cli(seeded, "restore", str(path), "--passphrase-file", str(passfile), "--force")
    assert res.exit_code == 0, res.output
    with seeded.app_context():
        assert len(db.session.scalars(select(Tip.id)).all()) == 2

    other = _empty_sqlite(tmp_path, request, SECRET_KEY="another server's key")
    res = backup_cli(other, "restore", str(path), "--passphrase-file", str(passfile))
    assert res.exit_code != 0 and "SECRET_KEY" in res.output
    res = backup_cli(other, "restore", str(path), "--passphrase-file", str(passfile),
                     "--new-secret-key")
    assert res.exit_code == 0, res.output

    short = tmp_path / "short"
    short.write_text("short\n")
    res = backup_cli(source, "create", str(tmp_path / "b2"), "--passphrase-file", str(short))
    assert res.exit_code != 0 and "at least 12" in res.output
    assert not (tmp_path / "b2").exists()


def test_sqlite_to_postgresql_and_back_keeps_every_row(
        templates: Templates, request: pytest.FixtureRequest, tmp_path: Path,
        passfile: Path) -> None:
    """Counts and a content hash per table survive SQLite -> PostgreSQL -> SQLite, and the
    restored PostgreSQL database takes new rows (its id counters moved on)."""
    source, staff, receipt = source_app(templates, request)
    client = source.test_client()
    sign_in(client, staff["admin"], unlock=True)  # audit rows, a note
    with source.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    noted = client.post(f"/staff/tips/{tip_id}/note", data={
        "csrf_token": csrf(client, f"/staff/tips/{tip_id}"), "note": "called the hotline"})
    assert noted.status_code == 302
    first = tmp_path / "from-sqlite.backup"
    create_backup(source, first, passfile)

    pg = _empty_pg(request)
    res = backup_cli(pg, "restore", str(first), "--passphrase-file", str(passfile))
    assert res.exit_code == 0, res.output
    _same_rows(source, pg)
    assert sum(n for n, _h in _digests(pg).values()) > 2000

    public = pg.test_client()
    assert public.post("/en/tip/status", data={"receipt": receipt}).status_code == 200
    assert send_tip(pg.test_client(), what="after the move").status_code == 201
    reader = pg.test_client()
    sign_in(reader, staff["reviewer"], unlock=True)  # audit rows with new ids

    second = tmp_path / "from-postgresql.backup"
    create_backup(pg, second, passfile)
    back = _empty_sqlite(tmp_path, request)
    res = backup_cli(back, "restore", str(second), "--passphrase-file", str(passfile))
    assert res.exit_code == 0, res.output
    _same_rows(pg, back)
    with back.app_context():
        assert len(db.session.scalars(select(Tip.id)).all()) == 3


def test_a_tip_stored_during_the_backup_is_wholly_in_it_or_wholly_out(
        templates: Templates, request: pytest.FixtureRequest, tmp_path: Path, passfile: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The backup is one moment of the database: a tip committed by another instance while the
    tables are read (here: just before its idempotency key's table) is not half in it, and the
    writer is not held up."""
    from webapp.backups import fileformat

    source, _staff, _receipt = source_app(templates, request)
    other = app_on(source.config["SQLALCHEMY_DATABASE_URI"], request)
    real = fileformat.Writer.line
    sent: list[int] = []

    def line(self: fileformat.Writer, obj: Any) -> None:
        if isinstance(obj, dict) and obj.get("table") == "tip_idempotency" and not sent:
            sent.append(send_tip(other.test_client(), what="during the backup").status_code)
        real(self, obj)

    monkeypatch.setattr(fileformat.Writer, "line", line)
    path = tmp_path / "haven.backup"
    create_backup(source, path, passfile)
    assert sent == [201]
    target = _empty_sqlite(tmp_path, request)
    res = backup_cli(target, "restore", str(path), "--passphrase-file", str(passfile))
    assert res.exit_code == 0, res.output
    with target.app_context():
        assert len(db.session.scalars(select(Tip.id)).all()) == 2  # before the backup began
    with source.app_context():
        assert len(db.session.scalars(select(Tip.id)).all()) == 3
    assert not list(tmp_path.parent.rglob(".backup-snapshot-*"))
