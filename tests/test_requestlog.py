"""What the servers write about requests: the route pattern and the status, never the client's
address and never a path as sent (it can carry an SMS path key, a space-update link, an
invitation). The development server is driven over a real socket from 127.0.0.2; gunicorn's
own messages go through the same scrubbing (tests/test_deploy.py runs gunicorn itself)."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import in_background
from webapp import requestlog
from webapp.requestlog import DevRequestHandler, GunicornLogger, scrub

CLIENT = "127.0.0.2"
SECRET = "k3y-8c1f0e9d"


@pytest.mark.parametrize(("line", "kept", "gone"), [
    ("Invalid request from ip=203.0.113.9: Invalid HTTP request line: "
     "'GET /sms/africastalking/k3y-8c1f0e9d HTTP/1.1 x'",
     "Invalid request: Invalid HTTP request line", ["203.0.113.9", SECRET, "GET"]),
    ("Invalid request from ip=2001:db8::7: Invalid HTTP Header: 'Cookie: haven_staff=k3y-8c1f0e9d'",
     "Invalid request: Invalid HTTP Header", ["2001:db8::7", SECRET, "Cookie"]),
    ("Error handling request GET /staff/invite/k3y-8c1f0e9d", "Error handling request GET",
     [SECRET, "/staff/invite"]),
    ("Error handling request (no URI read)", "Error handling request (no URI read)", []),
    ("connection from ::1 and [fe80::1%eth0]:443 closed", "connection from", ["::1", "fe80"]),
    ("Booting worker with pid: 4242", "Booting worker with pid: 4242", []),
    ("Haven: 2 workers without HAVEN_SHARED_STATE_URL", "Haven: 2 workers without", []),
])
def test_scrub_keeps_the_message_and_drops_addresses_and_paths(
        line: str, kept: str, gone: list[str]) -> None:
    """Every address form and every request path is replaced; the kind of event stays."""
    out = scrub(line)
    assert kept in out
    for text in gone:
        assert text not in out, (text, out)


def test_gunicorn_logger_scrubs_every_level(capsys: pytest.CaptureFixture[str]) -> None:
    """The class deploy/gunicorn.conf.py names, at each level gunicorn uses."""
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("errorlog", "-")
    cfg.set("loglevel", "debug")
    log = GunicornLogger(cfg)
    log.warning("Invalid request from ip={ip}: {error}".format(
        ip="198.51.100.4", error=f"Invalid HTTP request line: 'GET /sms/africastalking/{SECRET}'"))
    log.error("Error handling request %s %s", "POST", f"/staff/space/u/{SECRET}")
    log.info("Listening at: http://127.0.0.1:8000 (%s)", 42)
    log.critical("from %s", "10.0.0.1")
    log.debug("from %s", "10.0.0.2")
    log.log(logging.WARNING, "Invalid request from ip=%s", "10.0.0.3")
    GunicornLogger(cfg).error("again from %s", "10.0.0.4")  # set up twice, one filter
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("Error handling request %s %s", "GET", f"/staff/invite/{SECRET}")
    err = capsys.readouterr().err
    for text in ("198.51.100.4", "127.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4",
                 SECRET):
        assert text not in err, text
    assert "Invalid request: Invalid HTTP request line" in err
    assert "Error handling request POST /[path]" in err
    assert "RuntimeError: boom" in err  # the traceback still says what failed
    assert logging.getLogger("gunicorn.error").filters.count(requestlog._SCRUBBED) == 1


@pytest.fixture
def dev_server(app: Flask) -> Iterator[int]:
    """The app behind the development server's handler (as `python app.py` runs it)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=DevRequestHandler)
    in_background(server)
    yield server.server_port
    server.shutdown()


def send_raw(port: int, raw: bytes) -> bytes:
    """Send raw bytes from 127.0.0.2 (so the client's address is one the log could show)."""
    with socket.socket() as sock:
        sock.bind((CLIENT, 0))
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        sock.sendall(raw)
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)


def test_dev_server_logs_route_patterns_not_paths_or_addresses(
        dev_server: int, capfd: pytest.CaptureFixture[str]) -> None:
    """A secret in the path, a secret in a malformed request line and the client's address:
    none reaches the log; the route pattern and status do."""
    for raw in (
        f"POST /sms/africastalking/{SECRET} HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n",
        f"GET /staff/invite/{SECRET} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        f"GET /en/search?q={SECRET} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        f"GET /nowhere/{SECRET} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        f"GET /staff/space/u/{SECRET} HTTP/1.1 extra words\r\n\r\n",
        f"\x16\x03\x01 {SECRET}\r\n\r\n",
    ):
        answer = send_raw(dev_server, raw.encode("latin-1"))
        assert answer.startswith((b"HTTP/1.", b"<!DOCTYPE")), answer[:80]  # 0.9: no status
    time.sleep(0.2)
    err = capfd.readouterr().err
    assert SECRET not in err
    assert CLIENT not in err
    assert "POST /sms/africastalking/<token> " in err
    assert "GET /staff/invite/<token> " in err
    assert "GET /<lang>/search 200" in err
    assert "GET (no route) 404" in err
    assert err.count("Invalid request 400") == 2
    assert "- (no route)" not in err
