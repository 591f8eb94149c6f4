"""What a test can read back of everything Haven stored: the database's bytes as they lie on
disk, every file under instance/ and the captured log (to show a secret is in none of them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from webapp.extensions import db


def raw_database(app: Flask, request: pytest.FixtureRequest) -> bytes:
    """Every byte of the database as stored: the SQLite file (+WAL) or a pg_dump."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.engine.dispose()
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return request.getfixturevalue("postgres").dump(url)  # type: ignore[no-any-return]


def everything_stored(app: Flask, request: pytest.FixtureRequest,
                      caplog: pytest.LogCaptureFixture) -> list[bytes]:
    """The database as stored, then every file under instance/, then the captured log."""
    blobs = [raw_database(app, request)]
    blobs += [p.read_bytes() for p in Path(app.instance_path).rglob("*") if p.is_file()]
    blobs.append(caplog.text.encode())
    return blobs
