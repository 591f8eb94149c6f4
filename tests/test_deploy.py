"""deploy/gunicorn.conf.py (#10 item 3): what it sets, and a real gunicorn run with it that
answers /healthz and logs no client address, user agent or request line."""

from __future__ import annotations

import multiprocessing
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "deploy" / "gunicorn.conf.py"


def test_settings() -> None:
    conf = runpy.run_path(str(CONF))
    assert conf["accesslog"] is None and conf["errorlog"] == "-"
    assert conf["loglevel"] == "warning"
    assert conf["workers"] == max(2, multiprocessing.cpu_count())
    assert conf["bind"] == "127.0.0.1:8000"


def test_gunicorn_serves_health_and_logs_no_client(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'haven.sqlite3'}",
           "SECRET_KEY": "deploy-test", "HAVEN_BIND": f"127.0.0.1:{port}",
           "HAVEN_WORKERS": "2"}
    # as a deployment does before starting workers (gunicorn does not migrate)
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(CONF), "app:app"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            body = b""
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    req = urllib.request.Request(
                        f"http://127.0.0.1:{port}/healthz",
                        headers={"User-Agent": "probe-agent-7731",
                                 "X-Forwarded-For": "203.0.113.77"})
                    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
                        body = resp.read()
                    break
                except OSError:
                    time.sleep(0.2)
            assert body.replace(b" ", b"").strip() == b'{"ok":true}'
            with pytest.raises(urllib.error.HTTPError) as missing:  # not logged either
                urllib.request.urlopen(urllib.request.Request(  # noqa: S310
                    f"http://127.0.0.1:{port}/no-such-page?x=1",
                    headers={"User-Agent": "probe-agent-7731"}), timeout=5)
            missing.value.close()
            assert missing.value.code == 404
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log.read_text("utf-8", "replace")
    assert "2 workers" in text  # the warning about per-worker limits and unlock
    for secret in ("probe-agent-7731", "203.0.113.77", "/healthz", "no-such-page", "GET "):
        assert secret not in text, secret
