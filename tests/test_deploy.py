"""deploy/gunicorn.conf.py: what it sets, and a real gunicorn run with it that
answers /healthz and logs no client address, user agent or request line."""

from __future__ import annotations

import json
import multiprocessing
import os
import runpy
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.editor_helpers import save
from webapp.extensions import db
from webapp.models import Service, StaffUser
from webapp.search import search
from webapp.staff import auth

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
            # A malformed request from another address, a secret in its path: gunicorn itself
            # logs "Invalid request from ip=…: …'<the line>'" at warning level.
            with socket.socket() as raw:
                raw.bind(("127.0.0.2", 0))
                raw.settimeout(10)
                raw.connect(("127.0.0.1", port))
                raw.sendall(b"GET /sms/africastalking/k3y-deploy-77 HTTP/1.1 extra\r\n\r\n")
                assert raw.recv(4096).startswith(b"HTTP/1.1 400")
            time.sleep(0.5)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log.read_text("utf-8", "replace")
    assert "2 workers" in text  # the warning about per-worker limits and unlock
    assert "Invalid request: Invalid HTTP" in text  # said, without the client or the line
    for secret in ("probe-agent-7731", "203.0.113.77", "/healthz", "no-such-page", "GET ",
                   "127.0.0.2", "k3y-deploy-77", "ip="):
        assert secret not in text, secret


def test_preloaded_workers_answer_as_the_app_and_follow_an_edit(app: Flask) -> None:
    """As deployed, the parent loads the app and the search index before the two workers
    fork (preload, webapp.ops.prefork), without failing or holding on to anything a worker
    would share badly. Each answer equals the app's own search, and an edit saved after the
    workers started is found by every request (each worker applies it on top of the index it
    got from the parent)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": app.config["SECRET_KEY"], "HAVEN_BIND": f"127.0.0.1:{port}",
           "HAVEN_WORKERS": "2", "HAVEN_SEARCH_INDEX_DIR": app.instance_path,
           "HAVEN_PRELOAD": "1"}
    with app.app_context():
        expected = search.search(search.Params(q="legal aid", per_page=5),
                                 home_country=app.config["HAVEN_COUNTRY"]).ids
        db.session.remove()
        db.engine.dispose()  # no connection of ours open while the server starts

    def ids(q: str) -> list[str]:
        url = f"http://127.0.0.1:{port}/api/hsds/services?q={q}&per_page=5"
        with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 - our loopback
            return [s["id"] for s in json.loads(r.read())["contents"]]

    log = Path(app.instance_path) / "gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(CONF), "app:app"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    first = ids("legal+aid")
                    break
                except OSError:
                    assert time.monotonic() < deadline and proc.poll() is None
                    time.sleep(0.2)
            assert first == expected and first
            with app.app_context():
                auth.create_user("deploy-editor", "a-long-enough-password", "editor")
                user = db.session.scalar(select(StaffUser).where(
                    StaffUser.username == "deploy-editor"))
                assert user is not None
                save(app, user, db.session.get(Service, first[-1]), name="Zqpreload House")
                db.session.remove()
            assert all(ids("zqpreload") == [first[-1]] for _ in range(20))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert "not loaded before the workers start" not in log.read_text("utf-8", "replace")


# --- systemd units and Caddy -------------------------------------------------------------

SYSTEMD = ROOT / "deploy" / "systemd"
CLIENT_ADDRESS = "127.0.0.2"  # the test's client connects from its own loopback address
USER_AGENT = "UA-SENTINEL/7.3 (Haven deploy test)"
SPOOFED = "203.0.113.9"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _installed(tmp: Path, name: str, places: dict[str, str]) -> Path:
    """A unit as it would be installed, with this checkout and the test's folders in place
    of /opt/haven, /etc/haven and /var/backups/haven."""
    text = (SYSTEMD / name).read_text()
    for old, new in places.items():
        text = text.replace(old, new)
    out = tmp / "units" / name
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    return out


def _commands(unit: Path, key: str) -> list[list[str]]:
    """The unit's command lines for key (ExecStart, ExecStartPre...), as systemd runs them."""
    import shlex

    found = []
    for line in unit.read_text().splitlines():
        if line.startswith(key + "="):
            found.append(shlex.split(line[len(key) + 1:].replace("%%", "%")))
    return found


def _places(tmp: Path) -> dict[str, str]:
    (tmp / "etc").mkdir(exist_ok=True)
    (tmp / "backups").mkdir(exist_ok=True)
    return {"/opt/haven": str(ROOT), "/etc/haven": str(tmp / "etc"),
            "/var/backups/haven": str(tmp / "backups")}


def _env_file(tmp: Path, settings: dict[str, str]) -> dict[str, str]:
    (tmp / "etc" / "haven.env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    return {**os.environ, **settings}


def test_systemd_units_verify(tmp_path: Path) -> None:
    """systemd itself accepts the service, the backup service and the timer."""
    if not Path("/usr/bin/systemd-analyze").exists():
        from tests.conftest import missing

        missing("systemd-analyze (apt-get install systemd)")
    places = _places(tmp_path)
    units = [_installed(tmp_path, n, places) for n in
             ("haven.service", "haven-backup.service", "haven-backup.timer",
              "haven-sync.service", "haven-sync.timer")]
    res = subprocess.run(["systemd-analyze", "verify", *map(str, units)], capture_output=True,
                         text=True, check=False)
    assert res.returncode == 0 and not res.stderr.strip(), res.stderr
    timer = units[2].read_text()
    assert "OnCalendar=*-*-* 03:15:00" in timer and "Persistent=true" in timer
    service = units[0].read_text()
    assert "ExecStartPre=" in service and "db upgrade" in service
    assert "gunicorn -c deploy/gunicorn.conf.py" in service
    sync_timer = units[4].read_text()
    assert "OnCalendar=hourly" in sync_timer and "Unit=haven-sync.service" in sync_timer


def test_sync_unit_pulls_every_source_in_haven_sync_sources(tmp_path: Path) -> None:
    """Run haven-sync.service's own command line with two sources in HAVEN_SYNC_SOURCES (an
    HSDS page served on loopback, and a page that is not HSDS): the good one is mirrored,
    the bad one named, the run fails so systemd shows it."""
    places = _places(tmp_path)
    unit = _installed(tmp_path, "haven-sync.service", places)
    example = json.loads((ROOT / "reference" / "hsds-3.0" / "examples" / "service_full.json")
                         .read_text("utf-8"))
    page = {"total_items": 1, "total_pages": 1, "page_number": 1, "size": 1,
            "first_page": True, "last_page": True, "empty": False, "contents": [example]}

    def upstream(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = page if environ["PATH_INFO"] == "/good/services" else {"hello": "world"}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    server = make_server("127.0.0.1", 0, upstream, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    database = tmp_path / "haven.sqlite3"
    env = _env_file(tmp_path, {"DATABASE_URL": f"sqlite:///{database}",
                               "SECRET_KEY": "unit-test",
                               "HAVEN_SYNC_SOURCES": f"{base}/good {base}/bad"})
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", "services", "seed"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        [cmd] = _commands(unit, "ExecStart")
        cmd[0] = str(Path(sys.executable).parent / "flask")  # the virtualenv running the tests
        res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                             check=False)
    finally:
        server.shutdown()
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert f"Synced {base}/good: 1 added" in res.stdout
    assert f"{base}/bad/services" in res.stderr and "not an HSDS page" in res.stderr
    with sqlite3.connect(database) as con:
        assert con.execute("SELECT source FROM sync_origin WHERE service_id = ?",
                           (example["id"],)).fetchone() == (f"{base}/good",)


def test_backup_unit_writes_a_backup_that_verifies(tmp_path: Path) -> None:
    """Run haven-backup.service's own command lines: a dated backup appears and verifies."""
    places = _places(tmp_path)
    unit = _installed(tmp_path, "haven-backup.service", places)
    (tmp_path / "etc" / "backup-passphrase").write_text("nightly backup passphrase\n")
    env = _env_file(tmp_path, {"DATABASE_URL": f"sqlite:///{tmp_path / 'haven.sqlite3'}",
                               "SECRET_KEY": "unit-test", "HAVEN_PASSPHRASE_KDF": "interactive"})
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "services", "seed"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    old = tmp_path / "backups" / "haven-2001-01-01T000000.backup"
    old.write_bytes(b"old")
    os.utime(old, (0, 0))
    for key in ("ExecStart", "ExecStartPost"):
        for cmd in _commands(unit, key):
            res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                 check=False)
            assert res.returncode == 0, (cmd, res.stdout, res.stderr)
    made = sorted((tmp_path / "backups").glob("haven-*.backup"))
    assert len(made) == 1 and not old.exists(), made  # the 30-day clean-up ran too
    res = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "backup", "verify",
                          str(made[0]), "--passphrase-file",
                          str(tmp_path / "etc" / "backup-passphrase")],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert res.returncode == 0 and "whole Haven backup" in res.stdout, res.stderr


def _get(port: int, path: str, cafile: Path, method: str = "GET", body: bytes = b"",
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    import http.client
    import ssl

    ctx = ssl.create_default_context(cafile=str(cafile))
    conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=20,
                                       source_address=(CLIENT_ADDRESS, 0))
    try:
        conn.request(method, path, body=body or None, headers={
            "User-Agent": USER_AGENT, "X-Forwarded-For": SPOOFED, "X-Real-IP": SPOOFED,
            "Host": f"localhost:{port}", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_caddy_in_front_of_gunicorn_keeps_headers_and_no_client(
        tmp_path: Path, redis_server: Any) -> None:
    """The shipped Caddyfile (localhost: Caddy's own CA) in front of gunicorn started by the
    shipped unit's commands: Haven's headers arrive, HSTS is added, and afterwards no file
    under the test's folders (Caddy's data and log, gunicorn's log, the database) nor Redis
    holds the client's address, the address it claimed or its user agent."""
    import re
    import shutil
    import urllib.parse

    caddy = shutil.which("caddy")
    if caddy is None:
        from tests.conftest import missing

        missing("caddy (apt-get install caddy)")
    redis_server.client.flushall()
    places = _places(tmp_path)
    unit = _installed(tmp_path, "haven.service", places)
    upstream = _port()
    env = _env_file(tmp_path, {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'haven.sqlite3'}", "SECRET_KEY": "caddy-test",
        "HAVEN_BIND": f"127.0.0.1:{upstream}", "HAVEN_WORKERS": "2",
        "HAVEN_PROXY_HEADER": "X-Forwarded-For", "HAVEN_SHARED_STATE_URL": redis_server.url,
        "HAVEN_PASSPHRASE_KDF": "interactive", "HAVEN_SEARCH_INDEX_DIR": str(tmp_path)})
    for cmd in _commands(unit, "ExecStartPre"):
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "keys", "init",
                    "--passphrase", "a passphrase for caddy"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    https = _port()
    caddy_env = {**os.environ, "HOME": str(tmp_path / "caddy-home"),
                 "XDG_DATA_HOME": str(tmp_path / "caddy-data"),
                 "XDG_CONFIG_HOME": str(tmp_path / "caddy-config"), "HAVEN_DOMAIN": "localhost",
                 "HAVEN_HTTP_PORT": str(_port()), "HAVEN_HTTPS_PORT": str(https),
                 "HAVEN_CADDY_ADMIN": f"localhost:{_port()}",
                 "HAVEN_UPSTREAM": f"127.0.0.1:{upstream}"}
    procs = []
    with (tmp_path / "gunicorn.log").open("wb") as glog, \
            (tmp_path / "caddy.log").open("wb") as clog:
        (start,) = _commands(unit, "ExecStart")
        procs.append(subprocess.Popen(start, cwd=ROOT, env=env, stdout=glog,
                                      stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen(
            [caddy, "run", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter",
             "caddyfile"], cwd=tmp_path, env=caddy_env, stdout=clog, stderr=subprocess.STDOUT))
        try:
            cafile = tmp_path / "caddy-data" / "caddy" / "pki" / "authorities" / "local" / \
                "root.crt"
            deadline = time.monotonic() + 60
            status = 0
            while time.monotonic() < deadline:
                try:
                    status, _h, _b = _get(https, "/healthz", cafile)
                    if status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.3)
            assert status == 200, (tmp_path / "caddy.log").read_text()
            status, headers, body = _get(https, "/en/", cafile)
            assert status == 200
            from webapp.security import SECURITY_HEADERS

            for name, value in SECURITY_HEADERS.items():
                assert headers.get(name.lower()) == value, name
            assert headers["strict-transport-security"].startswith("max-age=")
            assert "server" not in headers and "set-cookie" not in headers
            _s, _h, form = _get(https, "/en/tip", cafile)
            key = re.search(rb'name="idempotency_key" type="hidden" value="([^"]+)"', form)
            assert key
            tip = urllib.parse.urlencode({"kinds": "labour", "what": "sent through caddy",
                                          "idempotency_key": key.group(1).decode()}).encode()
            status, _h, _b = _get(https, "/en/tip", cafile, "POST", tip, {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://localhost:{https}"})
            assert status == 201
            assert _get(https, "/en/no-such-page", cafile)[0] == 404
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
    assert b"Haven: 2 workers without" not in (tmp_path / "gunicorn.log").read_bytes()
    needles = [CLIENT_ADDRESS.encode(), SPOOFED.encode(), b"UA-SENTINEL"]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 5
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, (path, needle)
    stored = b"\n".join(k + b" " + v for k, v in redis_server.everything().items())
    assert stored and not any(n in stored for n in needles)
