"""Exactly once across instances and under kill -9.

Two real gunicorn instances (the shipped config, two workers each) on one database and one
redis-server. A tip whose answer is lost is resent, with the same idempotency key, to the other
instance; one instance is killed with SIGKILL in the middle of a burst.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ports import free_port
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
RECEIPT = re.compile(rb'class="receipt"><bdi dir="ltr">([\d ]+)</bdi>')


@dataclass
class Instance:
    """One gunicorn master and its workers, in their own process group."""

    port: int
    proc: subprocess.Popen[bytes]

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


def _database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "postgresql":
        pg = request.getfixturevalue("postgres")
        name = "x_" + uuid.uuid4().hex[:12]
        pg.sql(f"CREATE DATABASE {name}")
        return str(pg.url(name))
    return f"sqlite:///{tmp_path / 'shared.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def instances(request: pytest.FixtureRequest, tmp_path: Path,
              redis_server: RedisServer) -> Iterator[tuple[Instance, Instance, dict[str, str]]]:
    """Two instances on one fresh database and one shared store."""
    redis_server.client.flushall()
    env = {**os.environ, "DATABASE_URL": _database(request.param, request, tmp_path),
           "SECRET_KEY": "exactly-once", "HAVEN_WORKERS": "2",
           "HAVEN_SHARED_STATE_URL": redis_server.url, "HAVEN_TIPS_PER_HOUR": "10000",
           "HAVEN_PASSPHRASE_KDF": "interactive", "HAVEN_SEARCH_INDEX_DIR": str(tmp_path)}
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "services", "seed"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([*flask, "keys", "init", "--passphrase", "exactly once passphrase"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    started = []
    for i in range(2):
        port = free_port()
        log = (tmp_path / f"gunicorn-{i}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
             "app:app"], cwd=ROOT, env={**env, "HAVEN_BIND": f"127.0.0.1:{port}"},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        started.append(Instance(port, proc))
    try:
        for inst in started:
            deadline = time.monotonic() + 60
            while _post_status(inst, "/healthz") != 200:
                assert time.monotonic() < deadline, "instance did not start"
                time.sleep(0.2)
        yield started[0], started[1], env
    finally:
        for inst in started:
            inst.stop()


def _post_status(inst: Instance, path: str) -> int:
    """The status of a GET, or 0 while the instance does not answer (the connection is
    closed either way: a server still starting may accept and then time out)."""
    conn = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


def _send(inst: Instance, key: str, text: str) -> tuple[int, str]:
    """POST one tip; (status, receipt digits) or raises OSError when the answer is lost."""
    body = urllib.parse.urlencode({"kinds": "labour", "what": text,
                                   "idempotency_key": key}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=30)
    try:
        conn.request("POST", "/en/tip", body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        page = resp.read()
    except http.client.HTTPException as exc:
        raise OSError(str(exc)) from exc
    finally:
        conn.close()
    found = RECEIPT.search(page)
    return resp.status, found.group(1).decode().replace(" ", "") if found else ""


def _count(env: dict[str, str]) -> tuple[int, int]:
    code = ("from webapp import create_app\nfrom webapp.extensions import db\n"
            "from webapp.models import Tip, IdempotencyKey\nfrom sqlalchemy import func, select\n"
            "app = create_app()\nwith app.app_context():\n"
            "    print(db.session.scalar(select(func.count()).select_from(Tip)),"
            " db.session.scalar(select(func.count()).select_from(IdempotencyKey)))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1])


def test_answer_lost_on_one_instance_resent_to_the_other(
        instances: tuple[Instance, Instance, dict[str, str]]) -> None:
    """Stored once; both instances answer with the same receipt."""
    a, b, env = instances
    key = secrets.token_urlsafe(24)
    first, receipt_a = _send(a, key, "sent to A, answer lost")
    again, receipt_b = _send(b, key, "sent to A, answer lost")
    assert (first, again) == (201, 200)
    assert receipt_a and receipt_a == receipt_b
    assert _count(env) == (1, 1)


def test_kill_9_during_a_burst_loses_no_acknowledged_tip(
        instances: tuple[Instance, Instance, dict[str, str]]) -> None:
    """200 tips from 4 clients with retries across both instances; A is killed mid-burst:
    exactly 200 stored, every acknowledged receipt distinct."""
    a, b, env = instances
    total = 200
    receipts: dict[int, str] = {}
    lost: list[int] = []
    lock = threading.Lock()
    killed = threading.Event()

    def client(ids: list[int]) -> None:
        for i in ids:
            key = secrets.token_urlsafe(24)
            order = [a, b] if i % 2 else [b, a]
            for attempt in range(40):
                inst = order[attempt % 2]
                try:
                    status, receipt = _send(inst, key, f"burst tip {i}")
                except OSError:
                    with lock:
                        lost.append(i)
                    time.sleep(0.05)
                    continue
                if status in (200, 201) and receipt:
                    with lock:
                        receipts[i] = receipt
                    if len(receipts) == 60 and not killed.is_set():
                        killed.set()
                        a.kill()
                    break
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(list(range(k, total, 4)),))
               for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert killed.is_set() and a.proc.poll() is not None
    assert lost, "no request met the killed instance: the test did not test a kill"
    assert len(receipts) == total
    assert len(set(receipts.values())) == total
    assert _count(env) == (total, total)


