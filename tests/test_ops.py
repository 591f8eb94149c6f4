"""GET /healthz: exactly {"ok": true} while the database answers, 503 when not."""

from __future__ import annotations

import socket
from pathlib import Path

from flask import Flask

from tests.conftest import base_config
from webapp import create_app


def test_healthy_says_ok_and_nothing_else(any_app: Flask) -> None:
    resp = any_app.test_client().get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"ok": True}
    assert resp.get_data(as_text=True).replace(" ", "").strip() == '{"ok":true}'
    assert "Set-Cookie" not in resp.headers
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers.get("Content-Security-Policy")  # the usual headers still apply


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens here once the socket closes


def test_an_unreachable_database_is_a_503_not_a_500(tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path / 'no-such-folder' / 'haven.sqlite3'}",
                f"postgresql+psycopg://haven@127.0.0.1:{_closed_port()}/haven"):
        app = create_app(base_config(url))
        resp = app.test_client().get("/healthz")
        assert resp.status_code == 503, url
        assert resp.get_json() == {"ok": False}
        body = resp.get_data(as_text=True)
        assert "Traceback" not in body and "127.0.0.1" not in body and "sqlite" not in body
